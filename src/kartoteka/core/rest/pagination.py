"""Cursor pagination: ``?cursor=&limit=``, answering ``{"results": [...], "next": ...}``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.core.ids import parse_id


class IdCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500

    def decode_cursor(self, request: Request) -> Cursor | None:
        """The cursor of a ``next``/``previous`` link; anything else is a 400 naming it.

        DRF answers 404 for a cursor it cannot decode and passes a decodable one's position to
        the query unread, where ``p=zzz`` fails as a 500: the position is an id here, so it is
        checked as one.
        """
        invalid = ValidationError({"cursor": [_("This cursor is not one the API gave.")]})
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid from None
        if cursor is None:
            return None
        ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
        if cursor.position is not None and ordering.lstrip("-") in ("id", "pk"):
            position = parse_id(cursor.position)
            if position is None:
                raise invalid
            # DRF compares the position with rows' positions as text.
            cursor = Cursor(
                offset=cursor.offset,
                reverse=cursor.reverse,
                position=str(position),  # type: ignore[arg-type] # DRF's own are text too
            )
        return cursor

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {"results": data, "next": self.get_next_link(), "previous": self.get_previous_link()}
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        }
