"""Every API error as ``{"error": {"code", "message", "fields"}}`` with the right status."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from kartoteka.core.errors import ConflictError, DomainError

logger = logging.getLogger("django.request")


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for sub in detail for item in _flatten(sub)]
    if isinstance(detail, dict):
        return [str(item) for sub in detail.values() for item in _flatten(sub)]
    return [str(detail)]


def error_response(
    code: str,
    message: str,
    http_status: int,
    fields: dict[str, list[str]] | None = None,
    **extra: Any,
) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "fields": fields or {}, **extra}},
        status=http_status,
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """The error as JSON; whatever happened, nothing the request wrote is kept."""
    set_rollback()
    return _answer(exc, context)


def _answer(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, ConflictError):
        return error_response(
            exc.code, exc.message, 409, current_version=exc.current_version, changes=exc.changes
        )
    if isinstance(exc, DomainError):
        return error_response(exc.code, exc.message, exc.status, exc.fields)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        # A bug: logged with its traceback as Django logs a page's 500, answered in the API's
        # format (a program cannot read Django's HTML error page) without any detail of it.
        request = context.get("request")
        logger.error(
            "Internal Server Error: %s",
            getattr(request, "path", "?"),
            exc_info=(type(exc), exc, exc.__traceback__),
            extra={"status_code": 500, "request": getattr(request, "_request", request)},
        )
        response = error_response(
            "server_error",
            _("Something went wrong on our side. Try again later."),
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
        response._has_been_logged = True  # type: ignore[attr-defined] # (with traceback)
        return response
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {str(name): _flatten(value) for name, value in detail.items()}
        else:
            fields = {"non_field_errors": _flatten(detail)}
        response = error_response(
            "invalid", _("The request is not valid."), status.HTTP_400_BAD_REQUEST, fields
        )
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response = error_response(code, " ".join(_flatten(exc.detail)), exc.status_code)
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt  # it changes nothing; a POST here must get this 404, not the CSRF page
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under the API that names no endpoint or record (``/companies/abc/``)."""
    return JsonResponse(
        {
            "error": {
                "code": "not_found",
                "message": str(exceptions.NotFound.default_detail),
                "fields": {},
            }
        },
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler: the JSON error under ``/api/``, the error page elsewhere."""
    if not request.path.startswith("/api/"):
        return defaults.server_error(request)
    return JsonResponse(
        {
            "error": {
                "code": "server_error",
                "message": _("Something went wrong on our side. Try again later."),
                "fields": {},
            }
        },
        status=500,
    )
