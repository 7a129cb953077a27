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


def keyset_page(
    queryset: QuerySet[M],
    params: Mapping[str, Any],
    size: int = PAGE_SIZE,
    sortable: Mapping[str, str] | None = None,
) -> KeysetPage[M]:
    """One page of ``queryset`` sorted by ``params["sort"]`` (a key of ``sortable``, "-" for
    descending; newest first by default). One query, fetching one row more than shown."""
    sortable = sortable or {}
    requested = str(params.get("sort", "") or "")
    key = requested.lstrip("-")
    if key in sortable:
        field, descending, sort = sortable[key], requested.startswith("-"), requested
    else:
        field, descending, sort = "pk", True, ""
    direction = "-" if descending else ""
    queryset = queryset.order_by(f"{direction}{field}", f"{direction}pk")
    after = str(params.get("after", "") or "")
    if after:
        cursor = _decode(after, queryset.model, field)
        if cursor is not None:
            value, pk = cursor
            beyond = "lt" if descending else "gt"
            if field == "pk":
                queryset = queryset.filter(**{f"pk__{beyond}": pk})
            else:
                queryset = queryset.filter(
                    Q(**{f"{field}__{beyond}": value}) | Q(**{field: value, f"pk__{beyond}": pk})
                )
    rows = list(queryset[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    next_after = None
    if has_more and rows:
        last = rows[-1]
        value = last.pk if field == "pk" else _attribute(last, field)
        next_after = _encode(value, last.pk)
    return KeysetPage(rows=rows, next_after=next_after, previous=bool(after), sort=sort)


def _attribute(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj
