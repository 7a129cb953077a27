"""Keyset paging for pages: ``?after=<id>`` instead of OFFSET, so page 1000 is as fast as page 1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import QueryDict

M = TypeVar("M", bound=Model)
PAGE_SIZE = 50


@dataclass
class KeysetPage(Generic[M]):
    rows: list[M]
    next_after: int | None
    previous: bool


def keyset_page(queryset: QuerySet[M], params: QueryDict, size: int = PAGE_SIZE) -> KeysetPage[M]:
    """Newest first by id; one query fetching one row more than shown to know if more exist."""
    after: Any = params.get("after", "")
    queryset = queryset.order_by("-pk")
    if str(after).isdigit():
        queryset = queryset.filter(pk__lt=int(after))
    rows = list(queryset[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows=rows, next_after=rows[-1].pk if has_more and rows else None, previous=bool(after)
    )
