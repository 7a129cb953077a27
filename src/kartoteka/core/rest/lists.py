"""Lists answered row by row through one serializer."""

from __future__ import annotations

from collections.abc import Hashable
from contextlib import nullcontext
from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.core.db.prepared import planned_once
from kartoteka.core.rest.pagination import KeysetPagination


class RowListMixin(mixins.ListModelMixin):
    """``GET`` on a list, each row printed by one serializer.

    DRF's ``many=True`` list serializer and its child name each other, and the list serializer
    holds the page and what it printed: every list answer left its rows in a reference cycle for
    the garbage collector. One serializer printing row after row ties nothing together.
    """

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kept = self.kept_statement()
        paginator = self.paginator  # type: ignore[attr-defined]
        if kept is not None and isinstance(paginator, KeysetPagination):
            with planned_once():
                page = paginator.paginate_kept(*kept, self.listed, request, view=self)
            rows: Any = page
        else:
            rows = self.listed()
            with planned_once() if self.plan_kept() else nullcontext():
                page = self.paginate_queryset(rows)  # type: ignore[attr-defined]
        serializer = self.get_serializer()  # type: ignore[attr-defined]
        data = [serializer.to_representation(row) for row in (rows if page is None else page)]
        if page is None:
            return Response(data)
        return self.get_paginated_response(data)  # type: ignore[attr-defined,no-any-return]

    def listed(self) -> QuerySet[Any]:
        """The list's rows, filtered, in no particular order."""
        return self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined,no-any-return]

    def plan_kept(self) -> bool:
        """Whether this list's statement is planned once per connection and kept
        (:mod:`kartoteka.core.db.prepared`): only where its best plan is the same whatever
        the values, as for a lookup by a selective index."""
        return False

    def kept_statement(self) -> tuple[Hashable, Any] | None:
        """The shape of this list's statement and the one value that varies in it, when the
        statement may be compiled once and run again (:mod:`kartoteka.core.db.compiled`) with
        another value: the shape must name everything else the statement is built from."""
        return None
