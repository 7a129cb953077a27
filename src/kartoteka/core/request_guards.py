"""Requests no view can answer sensibly, refused before any view runs."""

from __future__ import annotations

from collections.abc import Callable

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.utils.translation import gettext as _


def _under_api(path: str) -> bool:
    # ``/api`` itself too: it answers the API's JSON 404 (see kartoteka.urls), whatever the method.
    return path == "/api" or path.startswith("/api/")


class RefuseNulMiddleware:
    """A NUL character (``%00``) in the query string is a 400, on pages and in the API.

    PostgreSQL holds no NUL in text, so a filter or search carrying one fails in the database
    (a 500) rather than matching nothing; no person types one, and no stored value has one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad = [
            key
            for key, values in request.GET.lists()
            if "\x00" in key or any("\x00" in value for value in values)
        ]
        if bad or "\x00" in request.path:
            return self._refuse(request, bad)
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, names: list[str]) -> HttpResponse:
        message = _("Text may not contain NUL (\\u0000) characters.")
        if _under_api(request.path):
            fields = {name.replace("\x00", ""): [message] for name in names}
            return JsonResponse(
                {"error": {"code": "invalid", "message": message, "fields": fields}}, status=400
            )
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class PageMethodsMiddleware:
    """Pages answer GET, HEAD and POST (what browsers and forms send); anything else is a 405.

    Page views read and render on any method otherwise, so a DELETE to an edit page would show
    the form; the API under ``/api/`` declares its own methods per endpoint.
    """

    ALLOWED = frozenset({"GET", "HEAD", "POST", "OPTIONS"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in self.ALLOWED and not _under_api(request.path):
            return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
        return self.get_response(request)
