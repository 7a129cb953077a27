"""Keyset paging for lists: ``?after=<cursor>``, not OFFSET, so page 1000 is as fast as page 1.

A list is ordered by one sortable column and then by id; the cursor carries the last row's value
of both, so the next page starts right after it, whatever was inserted meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import BadRequest, FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from kartoteka.core.ids import parse_id

M = TypeVar("M", bound=Model)
PAGE_SIZE = 50


@dataclass
class KeysetPage(Generic[M]):
    rows: list[M]
    next_after: str | None
    previous: bool
    sort: str
    previous_before: str | None = None  # the cursor of the page back (``?before=``)
    total: int | None = None  # the rows of the whole list, when counted
    start: int = 1  # the first row's number in the whole list

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1


def _encode(value: Any, pk: int) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        value = value.isoformat()
    raw = json.dumps([value, pk], ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: str, model: type[Model], field: str) -> tuple[Any, int] | None:
    """The cursor's (value, pk), or None for text that is no cursor at all (a link cut short:
    the list starts over). A cursor that decodes but that this list could not have made (null,
    a list, text where a date goes, an id beyond 64 bits) is a BadRequest (400): it would
    otherwise fail in the database as a 500."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        cursor = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not (isinstance(cursor, list) and len(cursor) == 2):
        raise BadRequest(_("This page link is broken: open the list again."))
    value, pk = cursor
    if not (isinstance(pk, int) and parse_id(pk) is not None and _fits(model, field, value, pk)):
        raise BadRequest(_("This page link is broken: open the list again."))
    return value, pk


def _fits(model: type[Model], field: str, value: Any, pk: int) -> bool:
    if field == "pk":
        return value == pk
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        return False
    target: Any = model
    try:
        for part in field.split("__"):
            model_field = target._meta.get_field(part)
            target = model_field.related_model or target
        model_field.get_prep_value(model_field.to_python(value))
    except (DjangoValidationError, FieldDoesNotExist, TypeError, ValueError, OverflowError):
        return False
    return True


def ordering(
    queryset: QuerySet[M], params: Mapping[str, Any], sortable: Mapping[str, str] | None = None
) -> tuple[QuerySet[M], str, bool, str]:
    """``queryset`` in the list's order: by ``params["sort"]`` (a key of ``sortable``, "-" for
    descending; newest first by default), then by id. Also the field, its direction and the
    ``sort`` value in force. The list, its export and a card's Prev/Next share this order."""
    sortable = sortable or {}
    requested = str(params.get("sort", "") or "")
    key = requested.lstrip("-")
    if key in sortable:
        field, descending, sort = sortable[key], requested.startswith("-"), requested
    else:
        field, descending, sort = "pk", True, ""
    direction = "-" if descending else ""
    return queryset.order_by(f"{direction}{field}", f"{direction}pk"), field, descending, sort


def _beyond(field: str, value: Any, pk: int, later: bool) -> Q:
    # The rows after (``later``) or before the row (value, pk) in ascending (value, pk) order.
    op = "gt" if later else "lt"
    if field == "pk":
        return Q(**{f"pk__{op}": pk})
    return Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": pk})


def _reverse(queryset: QuerySet[M], field: str, descending: bool) -> QuerySet[M]:
    direction = "" if descending else "-"
    return queryset.order_by(f"{direction}{field}", f"{direction}pk")


def keyset_page(
    queryset: QuerySet[M],
    params: Mapping[str, Any],
    size: int = PAGE_SIZE,
    sortable: Mapping[str, str] | None = None,
    count: bool = False,
) -> KeysetPage[M]:
    """One page of ``queryset`` in the list's order (see :func:`ordering`): after the cursor
    ``params["after"]``, or before ``params["before"]`` (the page back). One query, fetching one
    row more than shown; with ``count``, one more for the total and, past the first page, one
    for the rows before it ("51–100 из 12 345")."""
    base = queryset
    queryset, field, descending, sort = ordering(queryset, params, sortable)
    after = str(params.get("after", "") or "")
    before = str(params.get("before", "") or "")
    cursor = _decode(after, queryset.model, field) if after else None
    back = _decode(before, queryset.model, field) if before and cursor is None else None
    if back is not None:
        value, pk = back
        earlier = _reverse(queryset, field, descending).filter(
            _beyond(field, value, pk, later=descending)
        )
        found = list(earlier[: size + 1])
        more_before = len(found) > size
        rows = list(reversed(found[:size]))
        has_more = True
    else:
        if cursor is not None:
            value, pk = cursor
            queryset = queryset.filter(_beyond(field, value, pk, later=not descending))
        rows = list(queryset[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size]
        more_before = cursor is not None
    next_after = _cursor_of(rows[-1], field) if has_more and rows else None
    previous_before = _cursor_of(rows[0], field) if more_before and rows else None
    page = KeysetPage(
        rows=rows,
        next_after=next_after,
        previous=more_before,
        sort=sort,
        previous_before=previous_before,
    )
    if count:
        page.total = base.count()
        if more_before and rows:
            first = rows[0]
            value = first.pk if field == "pk" else _attribute(first, field)
            page.start = base.filter(_beyond(field, value, first.pk, later=descending)).count() + 1
        page.start = min(page.start, max(page.total, 1))
    return page


def _cursor_of(row: Any, field: str) -> str:
    return _encode(row.pk if field == "pk" else _attribute(row, field), row.pk)


def neighbours(
    queryset: QuerySet[M], params: Mapping[str, Any], obj: Any, sortable: Mapping[str, str]
) -> tuple[int | None, int | None]:
    """The ids of the rows just before and just after ``obj`` in the list ``params`` describe
    (its filters went into ``queryset``): a card's Prev/Next. Two queries."""
    ordered, field, descending, _sort = ordering(queryset, params, sortable)
    value = obj.pk if field == "pk" else _attribute(obj, field)
    if value is None:
        return None, None
    following = ordered.filter(_beyond(field, value, obj.pk, later=not descending))
    preceding = _reverse(ordered, field, descending).filter(
        _beyond(field, value, obj.pk, later=descending)
    )
    previous_pk = preceding.values_list("pk", flat=True).first()
    next_pk = following.values_list("pk", flat=True).first()
    return previous_pk, next_pk


def _attribute(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj
