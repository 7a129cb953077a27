"""The "Export" button of a record kind's list: the filtered list as a CSV file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.core import kinds
from kartoteka.core.errors import ForbiddenError
from kartoteka.core.web import signed_in
from kartoteka.records.services import exports


def csv_response(
    actor: User, kind: str, params: Mapping[str, Any], query_string: str
) -> StreamingHttpResponse:
    """Stream the export of the list filtered by ``params``; shared by the page and the API."""
    filters = exports.filter_params(params)
    total, lines = exports.records_export(
        actor=actor,
        kind=kind,
        text=str(filters.get("q") or ""),
        params=filters,
        query_string=query_string,
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    record_kind = kinds.by_code(kind)
    plural = record_kind.entity if record_kind is not None else kind
    name = f"{plural}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Total-Count"] = str(total)
    return response


@login_required
def export_csv(request: HttpRequest, kind: str) -> StreamingHttpResponse:
    try:
        return csv_response(signed_in(request), kind, request.GET, request.GET.urlencode())
    except ForbiddenError as error:
        raise PermissionDenied(error.message) from None
