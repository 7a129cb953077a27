"""A record's short lists (phones, emails, tags...) read inside the record's own query.

Django's ``prefetch_related`` reads each list with a statement of its own: a caller-ID lookup
that prints one contact with five lists made six statements, each compiled, sent (a network
round trip on PostgreSQL) and turned into model rows. A :class:`JsonList` instead adds one
sub-select per list to the main statement, aggregating the children of each row into a JSON
array; the rows come back with their lists as text, parsed into unsaved model instances put
where a prefetch would have put them (``_prefetched_objects_cache``), so ``record.phones.all()``
and :func:`kartoteka.core.prefetch.prefetched` read them unchanged.

The children hold no link back to their parent, so the lists make no reference cycles.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, models
from django.db.models import Aggregate, OuterRef, QuerySet, Subquery, TextField
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL

#: the annotation a list's JSON arrives in, before it is parsed: ``json_list_<name>``
PREFIX = "json_list_"


class _JsonRows(Aggregate):
    """Each group's rows as one JSON array of arrays (the expressions, in order), as text."""

    function = "json_group_array"
    template = "%(function)s(json_array(%(expressions)s))"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            function="json_agg",
            template="%(function)s(json_build_array(%(expressions)s))::text",
            **extra,
        )


@dataclass(frozen=True)
class JsonList:
    """How to read one list of a record in the record's query."""

    #: where a prefetch puts it: the relation's name on the record (``"phones"``)
    name: str
    #: the child rows: a table, or a queryset when they are scoped (the record's companies a
    #: user may see); a table's statement is built once, a queryset's on every read
    rows: type[models.Model] | QuerySet[Any]
    #: the column of ``rows`` naming the record (``"contact_id"``)
    parent: str
    #: what each child becomes, built from ``columns``
    model: type[models.Model]
    #: the child's attribute -> the lookup in ``rows`` it is read from
    columns: dict[str, str]
    #: attributes the list is sorted by (JSON aggregates keep no order on SQLite)
    order: tuple[str, ...] = ("id",)
    _converters: dict[str, Callable[[Any], Any]] = field(default_factory=dict, compare=False)

    def subquery(self, record: type[models.Model]) -> Subquery | RawSQL:
        """The sub-select reading this list for each row of ``record``'s table."""
        if isinstance(self.rows, QuerySet):
            one_record = self.rows.filter(**{self.parent: OuterRef("pk")}).order_by()
            grouped = one_record.values(self.parent).annotate(
                json_rows=_JsonRows(*self.columns.values())
            )
            return Subquery(grouped.values("json_rows"))
        # Built from the models' own names only, never from input.
        return RawSQL(  # noqa: S611
            _table_sql(
                connection.vendor,
                self.rows,
                self.parent,
                tuple(self.columns.values()),
                record,
            ),
            (),
            output_field=TextField(),
        )

    def build(self, text: str | list[Any] | None) -> list[models.Model]:
        """The children read for one record, in the list's order. An attribute named
        ``<foreign key>__<field>`` becomes that field of the related row, loaded with it
        (``company__name``: ``child.company.name`` with no query)."""
        if not text:
            return []
        read = json.loads(text) if isinstance(text, str) else text
        names = tuple(self.columns)
        convert = self._convert()
        related = self._related()
        children = []
        for row in read:
            values = {name: convert[name](v) for name, v in zip(names, row, strict=True)}
            child = loaded(self.model, {k: v for k, v in values.items() if "__" not in k})
            for link, (model, fields) in related.items():
                known = {field: values[f"{link}__{field}"] for field in fields}
                known.setdefault("id", child.__dict__.get(f"{link}_id"))
                child._state.fields_cache[link] = loaded(model, known)
            children.append(child)
        children.sort(key=lambda child: tuple(getattr(child, name) for name in self.order))
        return children

    def _related(self) -> dict[str, tuple[type[models.Model], list[str]]]:
        related: dict[str, tuple[type[models.Model], list[str]]] = {}
        for name in self.columns:
            if "__" in name:
                link, field = name.split("__", 1)
                model = _column(self.model, link).related_model
                related.setdefault(link, (model, []))[1].append(field)
        return related

    def _convert(self) -> dict[str, Callable[[Any], Any]]:
        if not self._converters:
            for name in self.columns:
                model, field = self.model, name
                if "__" in name:
                    link, field = name.split("__", 1)
                    model = _column(model, link).related_model
                self._converters[name] = converter(_column(model, field))
        return self._converters


def converter(found: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """What makes a column's value read from a JSON array into the field's value: JSON already
    gives numbers, text, booleans (1/0 on SQLite) and nested JSON; dates and moments arrive as
    ISO text (a moment without an offset, SQLite's, is UTC)."""
    if isinstance(found, models.DateTimeField):
        return _moment
    plain = (
        models.CharField,
        models.TextField,
        models.IntegerField,
        models.AutoField,
        models.ForeignKey,
        models.JSONField,
    )
    if isinstance(found, plain):
        return _same
    if isinstance(found, models.BooleanField):
        return _truth
    return found.to_python


def _same(value: Any) -> Any:
    return value


def _truth(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def loaded(model: type[models.Model], values: dict[str, Any]) -> models.Model:
    """A row as read from the database, with only ``values`` loaded (the rest deferred, as
    ``.only()`` leaves them). Built the way unpickling builds one: no ``__init__``, whose
    defaults and signals were most of the cost of a list of 50 records' lists."""
    row = model.__new__(model)
    row.__dict__.update(values)
    state = ModelState()
    state.adding = False
    state.db = DEFAULT_DB_ALIAS
    row._state = state
    return row


@functools.cache
def _table_sql(
    vendor: str,
    table: type[models.Model],
    parent: str,
    lookups: tuple[str, ...],
    record: type[models.Model],
) -> str:
    """``(SELECT <JSON array of the lookups' values> FROM <table> WHERE <parent> = record.pk)``;
    a lookup may go one foreign key further (``tag__name``), which joins that table."""
    quote = connection.ops.quote_name
    joins: dict[str, str] = {}
    values = []
    for lookup in lookups:
        name, _, further = lookup.partition("__")
        column = _column(table, name)
        if not further:
            values.append(f"c.{quote(column.column)}")
            continue
        target: Any = column.related_model
        alias = f"j{list(joins).index(name) if name in joins else len(joins)}"
        joins.setdefault(
            name,
            f" JOIN {quote(target._meta.db_table)} {alias}"
            f" ON {alias}.{quote(target._meta.pk.column)} = c.{quote(column.column)}",
        )
        values.append(f"{alias}.{quote(_column(target, further).column)}")
    if vendor == "postgresql":
        rows = f"json_agg(json_build_array({', '.join(values)}))::text"
    else:
        rows = f"json_group_array(json_array({', '.join(values)}))"
    pk = _column(record, record._meta.pk.name if record._meta.pk else "id")
    outer = f"{quote(record._meta.db_table)}.{quote(pk.column)}"
    return (
        f"(SELECT {rows} FROM {quote(table._meta.db_table)} c{''.join(joins.values())}"  # noqa: S608
        f" WHERE c.{quote(_column(table, parent).column)} = {outer})"
    )


def _column(model: type[models.Model], name: str) -> Any:
    """The concrete field ``name`` (or attname) of ``model``: what has a ``column``."""
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field), f"{model.__name__}.{name} has no column"
    return found


def with_lists(queryset: QuerySet[Any], *lists: JsonList) -> QuerySet[Any]:
    """``queryset`` reading ``lists`` inside its own statement; its rows come back with them
    where a prefetch would have put them. Needs a :class:`~kartoteka.core.prefetch.
    ReleasingQuerySet` (every record's manager gives one).

    On SQLite the lists are read right after the rows instead, in one more statement for the
    rows read: SQLite works out a statement's columns before sorting its rows, so a list sorted
    without an index (a manager's own clients, newest first) would read the lists of every
    candidate, not of the page's 50. A statement costs SQLite no round trip.
    """
    record = queryset.model
    if connection.vendor == "sqlite":
        chained = queryset.all()
    else:
        chained = queryset.annotate(**{PREFIX + e.name: e.subquery(record) for e in lists})
    chained._json_lists = (*getattr(queryset, "_json_lists", ()), *lists)  # type: ignore[attr-defined]
    return chained


def inline(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``queryset`` (made by :func:`with_lists`) reading its lists inside its own statement on
    SQLite too: for a statement whose few rows an index finds (a caller-ID lookup), where the
    second statement would cost more than the lists it spares, and would be compiled anew on
    every call besides."""
    lists: tuple[JsonList, ...] = getattr(queryset, "_json_lists", ())
    record = queryset.model
    missing = {
        PREFIX + e.name: e.subquery(record)
        for e in lists
        if PREFIX + e.name not in queryset.query.annotations
    }
    if not missing:
        return queryset
    chained = queryset.annotate(**missing)
    chained._json_lists = lists  # type: ignore[attr-defined]
    return chained


def fill(rows: Iterable[Any], lists: tuple[JsonList, ...]) -> None:
    """Parse each row's lists (read by :func:`with_lists`) into its prefetch cache, first
    reading those the rows' own statement did not (SQLite) in one statement."""
    rows = list(rows)
    if not rows:
        return
    later = [each for each in lists if PREFIX + each.name not in rows[0].__dict__]
    if later:
        _read_after(rows, later)
    for row in rows:
        cache = row.__dict__.setdefault("_prefetched_objects_cache", {})
        for each in lists:
            cache[each.name] = each.build(row.__dict__.pop(PREFIX + each.name, None))


def _read_after(rows: list[Any], lists: list[JsonList]) -> None:
    model = type(rows[0])
    names = [PREFIX + each.name for each in lists]
    read = (
        model._base_manager.filter(pk__in=[row.pk for row in rows])
        .annotate(**{PREFIX + each.name: each.subquery(model) for each in lists})
        .values_list("pk", *names)
    )
    by_pk = {pk: values for pk, *values in read}
    for row in rows:
        row.__dict__.update(zip(names, by_pk.get(row.pk, [None] * len(names)), strict=True))
