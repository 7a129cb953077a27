"""A searched list's page found among its first rows, before every match is looked up.

:func:`kartoteka.core.search.matches` marks the ids it found (:class:`Found`) with the test of
one document, so that a page (``core.pagination.page_of``) can read the list's first rows in
its order and keep the matches among them (:func:`walked`): a common term holds a page within
a few hundred rows, where looking all its matches up reads tens of thousands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection, connections
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from kartoteka.core.search import matching
from kartoteka.core.search.document import SearchDocument

#: how many rows of a searched list a page tests one by one, in the list's order, before it
#: looks every match up instead: first a few, then as many more as the matches met among those
#: say a page needs (twice that), up to the second figure (each row costs 7-20 µs; a term rarer
#: than one row in forty is cheaper to look up)
WALK = (300, 4_000)
#: the same for matches sieved by their documents, then tested again (``Found.exact``): looking
#: those up costs more (every document passing the sieve that the reader may see is tested
#: again), walking less (a few µs a row, the few passing then tested again)
SIEVED_WALK = (300, 10_000)


class Found(RawSQL):
    """The ids :func:`matches` found, with the same test for one row at a time (``each_row``).

    A term of two or three letters ("пе", "ва") matches a tenth of a million documents;
    looking all of them up to show the first 50 took 300-500 ms on PostgreSQL, while the list's
    first rows, tested one by one, hold the page within a few hundred rows (``walked``).
    """

    def __init__(
        self,
        sql: str,
        params: Any,
        kind: str,
        test: Q,
        exact: Callable[[list[int]], RawSQL] | None = None,
    ) -> None:
        super().__init__(sql, params)
        #: the kind of the documents matched, and the test of one of them (a Q on documents)
        self.kind = kind
        self.test = test
        #: when a document passing ``test`` may hold text its reader may not see: function(ids
        #: of records passing it) -> a subquery of the ids of those that match in what their
        #: reader may see (``search.seen``); the documents are then only a first sieve
        self.exact = exact

    @property
    def each_row(self) -> Q:
        """The test of a listed record's document (by its id)."""
        own = SearchDocument.objects.filter(kind=self.kind, object_id=OuterRef("pk"))
        return Q(Exists(own.filter(self.test)))


def walked(ordered: QuerySet[Any], size: int) -> list[Any] | None:
    """``ordered``'s first ``size`` rows when it is a list searched by :func:`matches` and its
    first rows (in its order, searched or not; see :data:`WALK`) hold that many matches;
    otherwise None, and the caller looks every match up.

    Exact: a match past the rows tested comes after every row among them.
    """
    where = ordered.query.where
    search = next(
        (child for child in where.children if isinstance(getattr(child, "rhs", None), Found)),
        None,
    )
    if search is None or where.connector != "AND" or where.negated:
        return None
    found: Found = search.rhs  # type: ignore[union-attr]
    unsearched = ordered.all()
    unsearched.query.where.children = [c for c in where.children if c is not search]
    if tuple(ordered.query.order_by) == ("-pk",) and found.exact is None:
        # A list of every record is dense in ids (one of a manager's is not: a tenth of them).
        return _newest(unsearched, found, size)
    first, most = WALK if found.exact is None else SIEVED_WALK
    rows = _walk(unsearched, found, 0, first, size)
    tested = first
    while rows and len(rows) < size:
        # The matches met so far say how many rows hold a page; twice that, for they are a
        # sample (21 ± 5 in 300): with a third more, "Ник Ни" met 49 matches in 971 rows
        # where it needed 51, then looked up all 41,000 of them (500 ms, against 10 ms for the
        # rows the margin adds). Only the rows not yet tested are tested, after those.
        wanted = 2 * tested * size // len(rows)
        if wanted > most:
            # One match among the first rows may be the only one in a million. Matches tested
            # again (exact) are looked up as a set: the first rows among them gain nothing.
            many = len(rows) > 1 and found.exact is None
            return _probed_in_order(unsearched, found, size) if many else None
        rows += _walk(unsearched, found, tested, wanted, size - len(rows))
        tested = wanted
    return rows if len(rows) == size else None


#: how many ids back from the newest record a newest-first page first looks among the documents
#: for its matches, and at most (each document costs about 1 µs; a term rarer than one record in
#: ten thousand is cheaper to look up)
NEWEST = (2_000, 20_000)


def _newest(unsearched: QuerySet[Any], found: Found, size: int) -> list[Any] | None:
    """The first ``size`` rows of a newest-first list (``unsearched``, in id order from the
    highest) among ``found``: its documents are read in the same order, by id ranges counted
    back from the newest, each range's matches then kept only if the list holds them; None when
    the matches are too rare for that (see :data:`NEWEST`).

    Testing a list's rows one by one looks each one's document up (3-4 µs a row at a million
    contacts); reading the documents themselves in id order tests about one a microsecond.
    Exact: every match past a range has a lower id than those in it.
    """
    docs = SearchDocument.objects.filter(kind=found.kind)
    # The list's own newest row: a later page (its cursor) starts below the first.
    top = unsearched.values_list("pk", flat=True).first()
    if top is None:
        return []
    first, most = NEWEST
    # Only the matches' ids, range by range: a page still short after a range is often looked
    # up after all, and rows read by then would be thrown away; the page's rows are read once.
    ids: list[int] = []
    low, high = top + 1 - first, top + 1
    while True:
        window = _tested_in_order(docs.filter(object_id__gte=low, object_id__lt=high), found.test)
        ids += unsearched.filter(pk__in=window).values_list("pk", flat=True)[: size - len(ids)]
        if len(ids) == size or low <= 0:
            return list(unsearched.filter(pk__in=ids)) if ids else []
        # As in walked: the matches met say how many ids hold a page, and half as many again
        # (a sample); a page short after those reads on by what it has met by then.
        read = top + 1 - low
        wanted = 3 * read * size // (2 * len(ids)) if ids else most + 1
        if wanted > most:
            return _newest_looked_up(unsearched, found, size)
        low, high = top + 1 - max(wanted, read + first), low


def _tested_in_order(docs: QuerySet[SearchDocument], test: Q) -> RawSQL:
    """The ids of ``docs`` passing ``test``, each document read and tested in turn: on
    PostgreSQL the documents are fenced off (OFFSET 0) so that the planner cannot look the
    test's fragments up in the trigram index instead ("кир" and "нов": 8,000 documents read to
    keep the few among 2,000 ids, 15 ms against 2)."""
    inner_sql, inner_params = docs.values("object_id", "body").query.sql_with_params()
    return tested(inner_sql, inner_params, test)


def tested(inner_sql: str, inner_params: Any, test: Q) -> RawSQL:
    """The ``object_id`` of each row of ``inner_sql`` (rows of ``object_id`` and ``body``, like
    documents) passing ``test``, a Q on documents, each row tested in turn."""
    table = SearchDocument._meta.db_table
    outer = SearchDocument.objects.filter(test).values("object_id")
    outer_sql, outer_params = outer.query.sql_with_params()
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    # Django's own SQL for both: the tested rows come from the fenced read, under the table's
    # name, so the test's column references read them.
    plain = f' FROM "{table}" '
    if outer_sql.count(plain) != 1:
        raise RuntimeError(f"unexpected statement for a search walk: {outer_sql}")
    sql = outer_sql.replace(plain, f' FROM ({inner_sql}{fence}) AS "{table}" ')
    return RawSQL(sql, (*inner_params, *outer_params))  # noqa: S611


def _newest_looked_up(unsearched: QuerySet[Any], found: Found, size: int) -> list[Any] | None:
    """The first ``size`` rows of a newest-first list among ``found``'s every match, looked up:
    the highest ``size`` ids among the matches, when the list holds every one of them (None
    otherwise). Only those are read as rows, not every match (7,000 for "На Ма")."""
    # found's own SQL (Django's, compiled), its values passed apart
    sql = f"SELECT * FROM ({found.sql}) AS found ORDER BY 1 DESC LIMIT {size:d}"  # noqa: S608
    with connections[unsearched.db].cursor() as cursor:
        cursor.execute(sql, found.params)
        highest = [pk for (pk,) in cursor.fetchall()]
    rows = list(unsearched.filter(pk__in=highest)[:size]) if highest else []
    return rows if len(rows) == len(highest) else None


#: how many of a list's first rows a page is looked for in when the matches are common there
#: but too rare to walk (see :func:`_probed_in_order`)
PROBED = 50_000


def _probed_in_order(unsearched: QuerySet[Any], found: RawSQL, size: int) -> list[Any] | None:
    """PostgreSQL: the page when the matches, too rare to walk, are still common in the list
    (its first rows held two or more): every match is looked up once, as a hash, and the
    list's first :data:`PROBED` rows are looked for in it, in order; None when fewer than a
    page are among them.

    Given the matches as a plain condition, PostgreSQL joined every one of them to its record
    and sorted them all, 11 µs a match ("Там", 13,000 matches at a million contacts: 126 ms a
    request, so 61 ms). An IN under an OR is never made a join: it stays a hashed subplan.
    The rows are bounded because a few matches among the first rows can be all there are.
    """
    if connection.vendor != "postgresql":
        return None
    first = matching.as_sql(unsearched.values("pk")[:PROBED])
    if first is None:
        return None
    sql, params = first
    # Django's own SQL for both subqueries, their values passed apart as parameters.
    among = RawSQL(  # noqa: S611
        f"SELECT first_rows.pk FROM ({sql}) AS first_rows "  # noqa: S608
        f"WHERE (first_rows.pk IN ({found.sql}) OR false)",
        (*params, *found.params),
    )
    rows = list(unsearched.filter(pk__in=among)[:size])
    if len(rows) < size and unsearched[PROBED : PROBED + 1].exists():
        return None
    return rows


def _walk(unsearched: QuerySet[Any], found: Found, start: int, stop: int, size: int) -> list[Any]:
    """The first ``size`` matches among the rows ``start`` to ``stop`` of the list."""
    window = unsearched.values("pk")[start:stop]
    if found.exact is None:
        return list(unsearched.filter(pk__in=window).filter(found.each_row)[:size])
    # The rows read first (PostgreSQL otherwise matched every document holding the words and
    # looked each up in the window, read anew for each: 226 ms for "Ирина Ер"); the few whose
    # documents pass are then tested in what their reader may see.
    passing = unsearched.filter(pk__in=matching.read_first(window)).filter(found.each_row)
    sieved = list(passing.order_by().values_list("pk", flat=True))
    return list(unsearched.filter(pk__in=found.exact(sieved))[:size]) if sieved else []
