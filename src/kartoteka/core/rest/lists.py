"""Lists answered row by row through one serializer."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.core.db.prepared import planned_once


class RowListMixin(mixins.ListModelMixin):
    """``GET`` on a list, each row printed by one serializer.

    DRF's ``many=True`` list serializer and its child name each other, and the list serializer
    holds the page and what it printed: every list answer left its rows in a reference cycle for
    the garbage collector. One serializer printing row after row ties nothing together.
    """

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        with planned_once() if self.plan_kept() else nullcontext():
            page = self.paginate_queryset(queryset)  # type: ignore[attr-defined]
        serializer = self.get_serializer()  # type: ignore[attr-defined]
        data = [serializer.to_representation(row) for row in (queryset if page is None else page)]
        if page is None:
            return Response(data)
        return self.get_paginated_response(data)  # type: ignore[attr-defined,no-any-return]

    def plan_kept(self) -> bool:
        """Whether this list's statement is planned once per connection and kept
        (:mod:`kartoteka.core.db.prepared`): only where its best plan is the same whatever
        the values, as for a lookup by a selective index."""
        return False
