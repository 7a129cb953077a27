"""Several small tables read in one statement: what a page lists beside its rows.

A list page shows the tags, custom fields, branches and saved views of its filter bar. Each is a
few rows, but read as a queryset of its own each cost 0.5–1 ms, most of it Django building and
compiling the statement rather than the database answering: four of them were a fifth of the
page. :func:`read` asks for them all in one statement whose text is made once per process, each
table's rows aggregated into one JSON array (as :mod:`kartoteka.core.json_lists` reads a record's
lists), and gives back model instances as the querysets did, in the same order.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models

from kartoteka.core.json_lists import converter, loaded


@dataclass(frozen=True)
class Table:
    """Which rows of one table to read, and in which order."""

    model: type[models.Model]
    #: the condition on the table's own columns with ``%s`` for each value given to :func:`read`;
    #: fixed text in the code, never input
    where: str = ""
    #: the columns (attribute names) the rows are sorted by, ascending
    order: tuple[str, ...] = ("id",)


def read(*tables: tuple[Table, Sequence[Any]]) -> list[list[Any]]:
    """Each table's rows (``(table, the values of its condition)``), in one statement."""
    specs = tuple(table for table, _values in tables)
    params = [value for _table, values in tables for value in values]
    with connection.cursor() as cursor:
        cursor.execute(_statement(connection.vendor, specs), params)
        found = cursor.fetchone()
    return [_rows(table, text) for table, text in zip(specs, found, strict=True)]


@functools.cache
def _statement(vendor: str, tables: tuple[Table, ...]) -> str:
    return "SELECT " + ", ".join(_part(vendor, table) for table in tables)


def _part(vendor: str, table: Table) -> str:
    quote = connection.ops.quote_name
    fields = table.model._meta.concrete_fields
    values = [
        # SQLite would put a JSON column's text into the array as a string.
        f"json({quote(f.column)})"
        if vendor == "sqlite" and isinstance(f, models.JSONField)
        else quote(f.column)
        for f in fields
    ]
    where = f" WHERE {table.where}" if table.where else ""
    if vendor == "postgresql":
        # In the database's collation, as the querysets were.
        order = ", ".join(quote(_column(table.model, name)) for name in table.order)
        rows = f"json_agg(json_build_array({', '.join(values)}) ORDER BY {order})::text"
    else:
        # SQLite keeps no order in an aggregate; sorted in Python, in its own (binary) order.
        rows = f"json_group_array(json_array({', '.join(values)}))"
    return f"(SELECT {rows} FROM {quote(table.model._meta.db_table)}{where})"  # noqa: S608


def _column(model: type[models.Model], name: str) -> str:
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field) and found.column, (
        f"{model.__name__}.{name} has no column"
    )
    return str(found.column)


def _rows(table: Table, text: str | None) -> list[Any]:
    if not text:
        return []
    fields = table.model._meta.concrete_fields
    convert = _converters(table.model)
    made = [
        loaded(
            table.model,
            {f.attname: convert[f.attname](value) for f, value in zip(fields, row, strict=True)},
        )
        for row in json.loads(text)
        if row is not None
    ]
    if connection.vendor != "postgresql":
        made.sort(key=lambda row: [_sort_key(getattr(row, name)) for name in table.order])
    return made


def _sort_key(value: Any) -> tuple[bool, Any]:
    # SQLite sorts NULLs first.
    return (value is not None, value)


@functools.cache
def _converters(model: type[models.Model]) -> dict[str, Callable[[Any], Any]]:
    return {f.attname: converter(f) for f in model._meta.concrete_fields}
