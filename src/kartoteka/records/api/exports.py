"""``GET /api/v1/<kind>/export/`` (companies, contacts...): the filtered list as CSV."""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from kartoteka.core import kinds
from kartoteka.core.web import signed_in
from kartoteka.records.views.exports import csv_response


class CSVRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: text/csv``; the CSV itself is streamed, not rendered."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, context: Any = None) -> bytes:
        # Only error answers reach a renderer here: give their message as plain text.
        error = data.get("error", {}) if isinstance(data, dict) else {}
        return str(error.get("message", data)).encode()


class ExportActions:
    """Adds the export endpoint to a record kind's viewset."""

    queryset: Any

    @extend_schema(
        description=(
            "The list, with the same filters as the list endpoint, as CSV (UTF-8 with BOM, `;`, "
            "dates as dd.mm.yyyy): only records the caller's role may export; 403 without the "
            "export grant."
        ),
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        url_name="export",
        renderer_classes=[JSONRenderer, CSVRenderer],
        pagination_class=None,
    )
    def export(self, request: Request, *args: Any, **kwargs: Any) -> StreamingHttpResponse:
        kind = kinds.kind_of(self.queryset.model).code
        return csv_response(
            signed_in(request), kind, request.query_params, request.query_params.urlencode()
        )
