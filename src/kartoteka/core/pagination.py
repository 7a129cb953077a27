"""Keyset paging for lists: ``?after=<cursor>``, not OFFSET, so page 1000 is as fast as page 1.

A list is ordered by its sort's columns (a person's surname, first name and patronymic) and then
by id; the cursor carries the last row's values of them all, so the next page starts right after
it, whatever was inserted meanwhile. The order and the "rows past this one" condition come from
:class:`SortKey` lists, which the API's cursor pages (several columns, ``?ordering=``) build on
too.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.core.exceptions import BadRequest, EmptyResultSet, FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy, RawSQL
from django.utils.translation import gettext as _

from kartoteka.core import search
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
    total: int | None = None  # the rows of the whole list, when counted (up to COUNT_LIMIT + 1)
    start: int | None = 1  # the first row's number in the whole list; None past COUNT_LIMIT

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + len(self.rows) - 1

    @property
    def count_limit(self) -> int:
        return COUNT_LIMIT

    @property
    def more_than_limit(self) -> bool:
        """The list holds more rows than were counted ("of more than 10 000")."""
        return self.total is not None and self.total > COUNT_LIMIT


#: the sort by id alone: the list's newest first
BY_ID = ("pk",)


def _encode(values: Sequence[Any], pk: int) -> str:
    dates = datetime.datetime | datetime.date
    plain = [value.isoformat() if isinstance(value, dates) else value for value in values]
    raw = json.dumps([*plain, pk], ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(token: str, model: type[Model], fields: Sequence[str]) -> tuple[list[Any], int] | None:
    """The cursor's (values of ``fields``, pk), or None for text that is no cursor at all (a
    link cut short: the list starts over). A cursor that decodes but that this list could not
    have made (null, a list, text where a date goes, an id beyond 64 bits, a value too many or
    too few) is a BadRequest (400): it would otherwise fail in the database as a 500."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        cursor = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not (isinstance(cursor, list) and len(cursor) == len(fields) + 1):
        raise BadRequest(_("This page link is broken: open the list again."))
    *values, pk = cursor
    if not (
        isinstance(pk, int)
        and parse_id(pk) is not None
        and all(_fits(model, field, value, pk) for field, value in zip(fields, values, strict=True))
    ):
        raise BadRequest(_("This page link is broken: open the list again."))
    return values, pk


def _fits(model: type[Model], field: str, value: Any, pk: int) -> bool:
    if field == "pk":
        return value == pk
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        return False
    if isinstance(value, str) and "\x00" in value:  # PostgreSQL refuses it in any text: a 500
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


@dataclass(frozen=True)
class SortKey:
    """One column of a list's order. NULL counts as larger than any value on every database
    (PostgreSQL's own rule; SQLite's is the opposite), so both give the same order and a cursor
    continues the same way on both. Non-null columns are ordered by the plain column, which the
    same indexes serve as before."""

    field: str
    descending: bool = False
    nullable: bool = False

    def expression(self) -> str | OrderBy:
        if not self.nullable:
            return f"-{self.field}" if self.descending else self.field
        if self.descending:
            return F(self.field).desc(nulls_first=True)
        return F(self.field).asc(nulls_last=True)

    def reversed(self) -> SortKey:
        return replace(self, descending=not self.descending)

    def past(self, value: Any, later: bool) -> Q | None:
        """Rows whose value comes strictly after (``later``) or before ``value`` in this
        column's order; None when no row can."""
        upward = later != self.descending  # towards larger values
        if value is None:  # NULL is the largest value
            return None if upward else Q(**{f"{self.field}__isnull": False})
        condition = Q(**{f"{self.field}__{'gt' if upward else 'lt'}": value})
        if self.nullable and upward:
            condition |= Q(**{f"{self.field}__isnull": True})
        return condition

    def reach(self, value: Any, later: bool) -> Q | None:
        """The rows after (``later``) or before ``value`` in this column's order, the value
        itself included, as one range (None when it is not one). What :func:`beyond` ORs
        together, no index can seek to; AND-ed to it, this lets a (…, column) index start at
        the row instead of walking up to it."""
        upward = later != self.descending
        if value is None or (upward and self.nullable):  # NULLs come last: no single range
            return None
        return Q(**{f"{self.field}__{'gte' if upward else 'lte'}": value})

    def same(self, value: Any) -> Q:
        if value is None:
            return Q(**{f"{self.field}__isnull": True})
        return Q(**{self.field: value})


def nullable(model: type[Model], field: str) -> bool:
    """Whether the column ``field`` (a path such as ``company__name``) may hold NULL."""
    if field == "pk":
        return False
    target: Any = model
    model_field: Any = None
    for part in field.split("__"):
        model_field = target._meta.get_field(part)
        target = model_field.related_model or target
    return bool(model_field.null)


def sort_keys(model: type[Model], columns: Sequence[tuple[str, bool]]) -> list[SortKey]:
    """The order by ``columns`` ((field, descending) pairs), then by id in the last one's
    direction (newest first when there are none); the id ends the order wherever it comes."""
    keys: list[SortKey] = []
    for field, descending in columns:
        if field in ("id", "pk"):
            return [*keys, SortKey("pk", descending)]
        keys.append(SortKey(field, descending, nullable(model, field)))
    return [*keys, SortKey("pk", keys[-1].descending if keys else True)]


def order_by(queryset: QuerySet[M], keys: Sequence[SortKey]) -> QuerySet[M]:
    return queryset.order_by(*(key.expression() for key in keys))


def beyond(keys: Sequence[SortKey], values: Sequence[Any], later: bool = True) -> Q:
    """The rows after (``later``) or before the row whose ``keys`` hold ``values``, in the
    order of ``keys`` (the last of which is the id, so no two rows tie)."""
    condition: Q | None = None
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        past = key.past(value, later)
        if past is not None:
            condition = equal & past if condition is None else condition | (equal & past)
        equal &= key.same(value)
    if condition is None:
        return Q(pk__in=[])
    reach = keys[0].reach(values[0], later) if len(keys) > 1 else None
    return condition if reach is None else reach & condition


#: a list's sort keys (``?sort=``) -> the columns each orders by, in turn
Sortable = Mapping[str, Sequence[str]]


def ordering(
    queryset: QuerySet[M], params: Mapping[str, Any], sortable: Sortable | None = None
) -> tuple[QuerySet[M], tuple[str, ...], bool, str]:
    """``queryset`` in the list's order: by ``params["sort"]`` (a key of ``sortable``, "-" for
    descending; newest first by default), then by id. Also the columns, their direction and the
    ``sort`` value in force. The list, its export and a card's Prev/Next share this order."""
    sortable = sortable or {}
    requested = str(params.get("sort", "") or "")
    key = requested.lstrip("-")
    if key in sortable:
        fields, descending, sort = tuple(sortable[key]), requested.startswith("-"), requested
    else:
        fields, descending, sort = BY_ID, True, ""
    return _ordered(queryset, fields, descending), fields, descending, sort


def _ordered(queryset: QuerySet[M], fields: Sequence[str], descending: bool) -> QuerySet[M]:
    return order_by(queryset, sort_keys(queryset.model, [(f, descending) for f in fields]))


def _beyond(
    model: type[Model], fields: Sequence[str], values: Sequence[Any], pk: int, later: bool
) -> Q:
    # The rows after (``later``) or before the row (values, pk) in ascending (values, pk) order.
    keys = sort_keys(model, [(field, False) for field in fields])
    return beyond(keys, [pk] if tuple(fields) == BY_ID else [*values, pk], later)


def _values_of(row: Any, fields: Sequence[str]) -> list[Any]:
    return [_attribute(row, field) for field in fields]


#: lists are counted up to this many rows: past it a total costs a scan of the whole list on
#: every page (160 ms at a million contacts) and tells a reader no more than "very many"
COUNT_LIMIT = 10_000


#: seconds a count past :data:`COUNT_LIMIT` is kept for the same statement (see :func:`counted`)
OVER_LIMIT_KEPT = 60


def counted(queryset: QuerySet[Any], alternatives: Sequence[Q] | None = None) -> int:
    """How many rows ``queryset`` holds, counted up to ``COUNT_LIMIT + 1``, in one query.

    With several ``alternatives`` (see :func:`first_rows`) each is counted on its own, less
    the rows an earlier one admits: through their OR both databases fetch every row the rule
    admits (a manager's 10,000 clients: 21 ms on PostgreSQL), one at a time an index on the
    owner alone answers.

    A count past the limit is kept for :data:`OVER_LIMIT_KEPT` seconds, keyed by the counting
    statement with its values (the list's filters and the reader's access rule are in it):
    counting 10,001 rows took 1.5–2 ms of every page of a long list, to print "more than
    10 000" again. Only a list that shrinks below the limit meanwhile reads that a little
    longer; a count within the limit is always made afresh."""
    if alternatives is None or len(alternatives) < 2:
        limited = queryset.values("pk")[: COUNT_LIMIT + 1]
        try:
            sql, params = limited.query.get_compiler(using=limited.db).as_sql()
        except EmptyResultSet:
            return 0
        # Django's own SQL for the list, its values passed apart as parameters.
        return _count(queryset.db, f"SELECT COUNT(*) FROM ({sql}) AS counted", params)  # noqa: S608
    each: list[QuerySet[Any]] = []
    earlier = Q()
    for alternative in alternatives:
        part = queryset.filter(alternative)
        # Each record once: not those an earlier alternative admits.
        each.append(part.exclude(earlier) if each else part)
        earlier |= alternative
    parts, values = _parts(each, COUNT_LIMIT + 1, "(SELECT COUNT(*) FROM ({sql}) AS part_{number})")
    if not parts:
        return 0
    return min(_count(queryset.db, "SELECT " + " + ".join(parts), values), COUNT_LIMIT + 1)


def _count(db: str, sql: str, params: Sequence[Any]) -> int:
    # Django's own SQL for the count, its values passed apart as parameters.
    key = "count:" + hashlib.sha256(repr((db, sql, tuple(params))).encode()).hexdigest()
    kept = cache.get(key)
    if kept is not None:
        return int(kept)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        total = int(cursor.fetchone()[0])
    if total > COUNT_LIMIT:
        cache.set(key, total, OVER_LIMIT_KEPT)
    return total


def keyset_page(
    queryset: QuerySet[M],
    params: Mapping[str, Any],
    size: int = PAGE_SIZE,
    sortable: Sortable | None = None,
    count: bool = False,
    alternatives: Sequence[Q] | None = None,
) -> KeysetPage[M]:
    """One page of ``queryset`` in the list's order (see :func:`ordering`): after the cursor
    ``params["after"]``, or before ``params["before"]`` (the page back). One query, fetching one
    row more than shown; with ``count``, one more for the total and, past the first page, one
    for the rows before it ("51–100 из 12 345"), each counted up to :data:`COUNT_LIMIT`.
    ``alternatives``: see :func:`page_of` and :func:`counted`."""
    base = queryset
    queryset, fields, descending, sort = ordering(queryset, params, sortable)
    after = str(params.get("after", "") or "")
    before = str(params.get("before", "") or "")
    cursor = _decode(after, queryset.model, fields) if after else None
    back = _decode(before, queryset.model, fields) if before and cursor is None else None
    if back is not None:
        values, pk = back
        earlier = _ordered(queryset, fields, not descending).filter(
            _beyond(queryset.model, fields, values, pk, later=descending)
        )
        found = list(page_of(earlier, size + 1, alternatives))
        more_before = len(found) > size
        rows = list(reversed(found[:size]))
        has_more = True
    else:
        if cursor is not None:
            values, pk = cursor
            queryset = queryset.filter(
                _beyond(queryset.model, fields, values, pk, later=not descending)
            )
        rows = list(page_of(queryset, size + 1, alternatives))
        has_more = len(rows) > size
        rows = rows[:size]
        more_before = cursor is not None
    next_after = _cursor_of(rows[-1], fields) if has_more and rows else None
    previous_before = _cursor_of(rows[0], fields) if more_before and rows else None
    page = KeysetPage(
        rows=rows,
        next_after=next_after,
        previous=more_before,
        sort=sort,
        previous_before=previous_before,
    )
    if count:
        page.total = counted(base, alternatives)
        if more_before and rows:
            first = rows[0]
            before_it = counted(
                base.filter(
                    _beyond(base.model, fields, _values_of(first, fields), first.pk, descending)
                ),
                alternatives,
            )
            page.start = None if before_it > COUNT_LIMIT else before_it + 1
        if page.start is not None and not page.more_than_limit:
            page.start = min(page.start, max(page.total, 1))
    return page


def _cursor_of(row: Any, fields: Sequence[str]) -> str:
    return _encode(_values_of(row, fields), row.pk)


def neighbours(
    queryset: QuerySet[M],
    params: Mapping[str, Any],
    obj: Any,
    sortable: Sortable,
    alternatives: Sequence[Q] | None = None,
) -> tuple[int | None, int | None]:
    """The ids of the rows just before and just after ``obj`` in the list ``params`` describe
    (its filters went into ``queryset``): a card's Prev/Next. Two queries.

    ``alternatives`` are conditions, any of which admits a row of ``queryset`` (the access
    rule's: one's own records, one's branch's, those shared with one). With several, each
    direction's query takes the first row of each alternative on its own (an index range that
    stops at once) and the nearest of those: the database never walks the whole list for the
    one row, as it would through their OR."""
    ordered, fields, descending, _sort = ordering(queryset, params, sortable)
    values = _values_of(obj, fields)
    if values[0] is None:
        return None, None
    model = queryset.model
    following = ordered.filter(_beyond(model, fields, values, obj.pk, later=not descending))
    preceding = _ordered(ordered, fields, not descending).filter(
        _beyond(model, fields, values, obj.pk, later=descending)
    )
    return _first(preceding, alternatives), _first(following, alternatives)


def _first(ordered: QuerySet[M], alternatives: Sequence[Q] | None) -> int | None:
    # The id of ``ordered``'s first row; one query either way.
    found = list(first_rows(ordered.values_list("pk", flat=True), 1, alternatives))
    return found[0] if found else None


def page_of(
    ordered: QuerySet[M], size: int, alternatives: Sequence[Q] | None
) -> QuerySet[M] | list[M]:
    """A page's rows: ``ordered``'s first ``size``, found by the access rule's parts
    (:func:`first_rows`) on SQLite, which otherwise collects and sorts every row their OR admits.
    PostgreSQL walks that OR in the list's order and stops at the page's end; asking it part by
    part costs more planning than it saves (a manager's first page of 50: 20 → 25 ms). A
    searched list's page is first looked for among the list's first rows, row by row
    (:func:`kartoteka.core.search.walked`)."""
    walk = search.walked(ordered, size)
    if walk is not None:
        return walk
    if connections[ordered.db].vendor == "sqlite":
        return first_rows(ordered, size, alternatives)
    return ordered[:size]


def first_rows(
    ordered: QuerySet[M], size: int, alternatives: Sequence[Q] | None = None
) -> QuerySet[M]:
    """``ordered``'s first ``size`` rows, in one query.

    ``alternatives`` are conditions, any of which admits a row of ``ordered`` (the access
    rule's parts, :func:`kartoteka.core.access.alternatives`: one's own records, those shared
    with one). Through their OR the database finds and sorts every row the rule admits (a
    manager's 10,000 clients, for 50 of them); with several, each one's first ``size`` rows
    are found on their own — an index range in the list's order that stops at once — and the
    first ``size`` of those few taken."""
    if alternatives is None or len(alternatives) < 2:
        return ordered[:size]
    firsts = _firsts(ordered, size, alternatives)
    return ordered.none() if firsts is None else ordered.filter(pk__in=firsts)[:size]


def _firsts(ordered: QuerySet[Any], size: int, alternatives: Sequence[Q]) -> RawSQL | None:
    # The ids of each alternative's first rows, as one UNION ALL. Each part is a derived table
    # because SQLite takes no LIMIT inside a compound statement; and not an OR of one IN per
    # part, which PostgreSQL cannot estimate: it walked the whole name index testing both.
    each = [ordered.filter(alternative) for alternative in alternatives]
    parts, params = _parts(each, size, "SELECT row_id FROM ({sql}) AS first_{number}")
    if not parts:
        return None
    # Django's own SQL for the parts, their values passed apart as parameters.
    return RawSQL(" UNION ALL ".join(parts), params)  # noqa: S611


def _parts(
    querysets: Sequence[QuerySet[Any]], size: int, template: str
) -> tuple[list[str], list[Any]]:
    """Each queryset's first ``size`` ids (as ``row_id``), each put into ``template`` as
    ``{sql}`` (its ``{number}`` names it apart), with their parameters in order; a queryset that
    can hold no row (an id that is no id) is left out."""
    parts: list[str] = []
    params: list[Any] = []
    for number, queryset in enumerate(querysets):
        # Named, as a DISTINCT list (a filter by tag) also selects the columns it sorts by.
        limited = queryset.values(row_id=F("pk"))[:size]
        try:
            sql, values = limited.query.get_compiler(using=limited.db).as_sql()
        except EmptyResultSet:
            continue
        parts.append(template.format(sql=sql, number=number))
        params.extend(values)
    return parts, params


def _attribute(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj
