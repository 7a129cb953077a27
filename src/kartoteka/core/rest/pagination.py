"""Cursor pagination: ``?cursor=&limit=&ordering=``, answering ``{"results": [...], "next": ...}``.

Keyset pages, never OFFSET: the cursor carries the values of the sort columns and the id of the
row a page ended (or began) at, and the next page is "the rows past it" in the list's order
(see :mod:`kartoteka.core.pagination`), so any page is as fast as the first and a row inserted
meanwhile neither repeats nor hides another.

A view names its order (DRF's convention): ``ordering``, the default (``("-occurred_at",)``;
newest first when empty), and ``ordering_fields``, the columns a caller may sort by with
``?ordering=last_name,-created_at`` besides ``id``. Ties are broken by id in the last column's
direction. A view may also offer ``list_alternatives()``, the parts of the access rule its list
was scoped by, for :func:`kartoteka.core.pagination.page_of`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from kartoteka.core import json_lists
from kartoteka.core.db import compiled
from kartoteka.core.ids import parse_id
from kartoteka.core.pagination import SortKey, beyond, order_by, page_of, sort_keys

#: the column every list may be sorted by, whatever else it offers
ID = "id"


def ordering_fields(view: Any) -> tuple[str, ...]:
    """The columns ``view``'s list may be sorted by (``?ordering=``), id last."""
    return (*(name for name in getattr(view, "ordering_fields", ()) if name != ID), ID)


def _invalid_cursor() -> ValidationError:
    return ValidationError({"cursor": [_("This cursor is not one the API gave.")]})


class KeysetPagination(CursorPagination):
    # DRF's cursor pages for the page size and the schema; the pages themselves are keyset ones.
    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500
    ordering_param = "ordering"
    next_link: str | None = None
    previous_link: str | None = None

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        size, keys = self._start(request, view, queryset.model)
        cursor = self.read_cursor(request, queryset.model, keys)
        # The access rule's parts, when the view offers them (see pagination.page_of).
        offered = getattr(view, "list_alternatives", None)
        alternatives = offered() if offered is not None else None
        if cursor is not None and cursor[0]:  # the page before the cursor's row
            earlier = order_by(queryset, [key.reversed() for key in keys]).filter(
                beyond(keys, cursor[1], later=False)
            )
            found = list(page_of(earlier, size + 1, alternatives))
            rows = list(reversed(found[:size]))
            if len(found) > size:
                self.previous_link = self.link(rows[0], keys, back=True)
            # Nothing before it any more (deleted meanwhile): the list from its start.
            self.next_link = (
                self.link(rows[-1], keys, back=False)
                if rows
                else remove_query_param(str(self.base_url), self.cursor_query_param)
            )
            return rows
        ordered = order_by(queryset, keys)
        if cursor is not None:
            ordered = ordered.filter(beyond(keys, cursor[1], later=True))
        found = list(page_of(ordered, size + 1, alternatives))
        rows = found[:size]
        if len(found) > size:
            self.next_link = self.link(rows[-1], keys, back=False)
        if cursor is not None:
            self.previous_link = (
                self.link(rows[0], keys, back=True)
                if rows
                else self.encode([_plain(value) for value in cursor[1]], back=True)
            )
        return rows

    def paginate_kept(
        self,
        shape: Hashable,
        value: Any,
        build: Callable[[], QuerySet[Any]],
        request: Request,
        view: Any,
    ) -> list[Any]:
        """The first page of a list whose statement is kept for its ``shape`` and run with
        ``value`` (:func:`kartoteka.core.db.compiled.rows`); ``build`` makes the list's rows
        when the shape is new. For lists without a cursor whose statement is the same for
        every value but one (a caller-ID lookup)."""
        size, keys = self._start(request, view, view.queryset.model)

        def page() -> QuerySet[Any]:
            return order_by(json_lists.inline(build()), keys)[: size + 1]

        found = compiled.rows((shape, size, self.spec), value, page)
        rows = found[:size]
        if len(found) > size:
            self.next_link = self.link(rows[-1], keys, back=False)
        return rows

    def _start(self, request: Request, view: Any, model: type[Model]) -> tuple[int, list[SortKey]]:
        """What every page begins with: the request, the page size, the order (a 400 for an
        unknown column) and no links yet."""
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.spec, keys = self.keys(request, view, model)
        self.next_link = self.previous_link = None
        return self.get_page_size(request) or self.page_size, keys

    # --- The order ---------------------------------------------------------------------------

    def keys(self, request: Request, view: Any, model: type[Model]) -> tuple[str, list[SortKey]]:
        """The order asked for (``?ordering=``, else the view's own) as text and as keys; an
        unknown or repeated column is a 400 naming it."""
        raw = request.query_params.get(self.ordering_param, "")
        names = [part.strip() for part in raw.split(",") if part.strip()]
        if not names:
            names = list(getattr(view, "ordering", ()) or ())
        else:
            allowed = ordering_fields(view)
            seen: set[str] = set()
            for name in names:
                column = name.removeprefix("-")
                if column not in allowed:
                    raise ValidationError(
                        {
                            self.ordering_param: [
                                _("Unknown column '%(column)s'; allowed: %(allowed)s.")
                                % {"column": column, "allowed": ", ".join(allowed)}
                            ]
                        }
                    )
                if column in seen:
                    raise ValidationError(
                        {
                            self.ordering_param: [
                                _("The column '%(column)s' is given twice.") % {"column": column}
                            ]
                        }
                    )
                seen.add(column)
        columns = [(name.removeprefix("-"), name.startswith("-")) for name in names]
        keys = sort_keys(model, columns)
        spec = ",".join(("-" if key.descending else "") + key.field for key in keys)
        return spec, keys

    # --- Cursors -----------------------------------------------------------------------------

    def read_cursor(
        self, request: Request, model: type[Model], keys: Sequence[SortKey]
    ) -> tuple[bool, list[Any]] | None:
        """The request's cursor: (whether it points back, the row's sort values then id);
        anything the API did not give for this order is a 400 naming the cursor."""
        token = request.query_params.get(self.cursor_query_param, "")
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(raw.decode("utf-8"))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise _invalid_cursor() from None
        if not (
            isinstance(data, dict)
            and data.get("o") == self.spec
            and isinstance(data.get("r"), bool)
            and isinstance(data.get("v"), list)
            and len(data["v"]) == len(keys)
        ):
            raise _invalid_cursor()
        pairs = zip(keys, data["v"], strict=True)
        return data["r"], [_value(model, key, value) for key, value in pairs]

    def encode(self, values: list[Any], back: bool) -> str:
        data = {"o": self.spec, "r": back, "v": values}
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        token = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        return replace_query_param(str(self.base_url), self.cursor_query_param, token)

    def link(self, row: Any, keys: Sequence[SortKey], back: bool) -> str:
        """The link to the page after (or, ``back``, before) ``row``."""
        values = []
        for key in keys:
            value: Any = row
            for part in key.field.split("__"):
                value = getattr(value, part)
            values.append(_plain(value))
        return self.encode(values, back)

    def get_next_link(self) -> str | None:
        return self.next_link

    def get_previous_link(self) -> str | None:
        return self.previous_link

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {"results": data, "next": self.get_next_link(), "previous": self.get_previous_link()}
        )

    # --- Schema ------------------------------------------------------------------------------

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        columns = ordering_fields(view)
        default = ",".join(getattr(view, "ordering", ()) or ("-id",))
        parameters.append(
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Sort by these columns, comma-separated, `-` before one for descending: "
                    f"{', '.join(f'`{column}`' for column in columns)}. Ties are broken by id "
                    f"in the last column's direction. Default: `{default}`."
                ),
                "schema": {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "enum": [f"{sign}{column}" for column in columns for sign in ("", "-")],
                    },
                },
                "style": "form",
                "explode": False,
            }
        )
        return parameters

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


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime | datetime.date) else value


def _value(model: type[Model], key: SortKey, value: Any) -> Any:
    """A cursor's value for ``key`` as the column holds it; a value this list could not have
    given (text where a date goes, an id beyond 64 bits, a null in a non-null column) is a 400
    rather than a database error."""
    if key.field == "pk":
        pk = parse_id(value) if isinstance(value, int) else None
        if pk is None:
            raise _invalid_cursor()
        return pk
    if value is None:
        if not key.nullable:
            raise _invalid_cursor()
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _invalid_cursor()
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL refuses it in any text: a 500
        raise _invalid_cursor()
    target: Any = model
    model_field: Any = None
    try:
        for part in key.field.split("__"):
            model_field = target._meta.get_field(part)
            target = model_field.related_model or target
        python = model_field.to_python(value)
        if isinstance(python, datetime.datetime):
            if python.tzinfo is None:
                raise ValueError("The API gives moments with their offset.")
            # PostgreSQL takes offsets only up to 15:59: a crafted "+21:28" would be a 500.
            python = python.astimezone(datetime.UTC)
        model_field.get_prep_value(python)
    except (DjangoValidationError, FieldDoesNotExist, TypeError, ValueError, OverflowError):
        raise _invalid_cursor() from None
    return python
