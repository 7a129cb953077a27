"""Finding: the query → hits grouped by kind, only among the records the user may see."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.db import connection
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from kartoteka.core import access
from kartoteka.core.db.planner import no_sequential_scans
from kartoteka.core.search import matching
from kartoteka.core.search.document import SearchDocument
from kartoteka.core.search.indexing import Hit, Source, source_for, sources
from kartoteka.core.search.text import Term, parse

if TYPE_CHECKING:
    from django.db import models

    from kartoteka.accounts.models import User

LIMIT = 20


@dataclass(frozen=True)
class Group:
    hits: list[Hit]
    #: more records match than were returned (never how many: that could count hidden ones)
    more: bool


def _sees_all(user: User, model: type[models.Model]) -> bool:
    """May ``user`` see every live record of ``model``? (Then a document match needs no join:
    only live records have documents.)"""
    condition = access.visible(user, model)
    return condition is not None and not condition


#: How many matching documents a scoped top-bar search reads per word: a first pass, then a
#: wider one only when the first found less than a page. The LIMIT also fences the document
#: match off as its own subquery: without it PostgreSQL joins a user's records to every
#: document of the kind in id order, computing each one's words, hoping to meet a match early
#: (1.4 s at 300,000 companies for a sales manager); with it, the word indexes answer.
FENCES = (1_000, 100_000)


def _object_ids(docs: QuerySet[SearchDocument], fence: int | None) -> QuerySet[Any]:
    ids = docs.values("object_id")
    return ids[:fence] if fence else ids


def _visible_ids(
    source: Source,
    user: User,
    docs: QuerySet[SearchDocument],
    cap: int | None = None,
    fence: int | None = None,
) -> QuerySet[Any]:
    """Ids of the records of ``source`` whose documents are among ``docs`` and that ``user`` may
    see, at most ``cap`` of them: the scope is inside the bounded query, never applied after."""
    ids: QuerySet[Any, Any]
    if _sees_all(user, source.model):
        ids = docs.values("object_id")
    else:
        found = _object_ids(docs, fence)
        ids = source.listing(user).filter(pk__in=found).order_by().values("pk")
    return ids if cap is None else ids[:cap]


def _term_ids(
    source: Source,
    user: User,
    term: Term,
    narrowed: list[Term],
    *,
    strict: bool,
    cap: int | None,
    fence: int | None,
) -> QuerySet[Any]:
    """Ids of records of ``source`` matching ``term`` in their own document or in the document
    of a linked record ``user`` may see (``found_through``), as one UNION ALL subquery. ``cap``
    bounds how many linked records are followed: a word in every company's name ("ООО") would
    otherwise join every employment. ``narrowed``: one-letter terms the same document must
    also match."""
    # The first part of a UNION takes no LIMIT (SQLite refuses one): it is a plain index match.
    ids = matching.documents(source.kind, [term, *narrowed], strict=strict).values("object_id")
    linked = _linked_ids(source, user, [term, *narrowed], strict=strict, cap=cap, fence=fence)
    return ids if linked is None else ids.union(linked, all=True)


def _linked_ids(
    source: Source,
    user: User,
    together: list[Term],
    *,
    strict: bool,
    cap: int | None,
    fence: int | None,
    read_first: bool = False,
) -> QuerySet[Any] | None:
    """Ids of records of ``source`` linked to a record ``user`` may see whose document matches
    every one of ``together`` (``found_through``), as one UNION ALL subquery; None when the
    source is found through nothing. ``read_first``: the linked records' ids are read before
    their links are looked up (:func:`matching.read_first`)."""
    linked: QuerySet[Any] | None = None
    for other, through, docs in _link_documents(source, together, strict=strict):
        visible = _visible_ids(other, user, docs, cap, fence)
        ids = through(cast(Any, matching.read_first(visible)) if read_first else visible)
        # UNION ALL: an IN needs no duplicates removed, and a LIMIT over it stops early.
        linked = ids if linked is None else linked.union(ids, all=True)
    return linked


def _link_documents(
    source: Source, together: list[Term], *, strict: bool
) -> list[tuple[Source, Callable[[QuerySet[Any]], QuerySet[Any]], QuerySet[SearchDocument]]]:
    """For each kind ``source`` is found through: how it is searched, how its records lead to
    those of ``source``, and its link documents matching every one of ``together``."""
    found = []
    for model, through in source.found_through:
        other = source_for(model)
        if other is not None:
            docs = matching.documents(other.link_kind, together, strict=strict)
            found.append((other, through, docs))
    return found


#: up to how many linked records (companies) matching the words, for all the words together,
#: their records (people) are each tested for every word; with more, each word's matches are
#: intersected (see :func:`_every_term_ids`). At the demo's 2.3 people a company, about 9,000.
PROBED_LINKS = 4_000


def _every_term_ids(
    source: Source,
    user: User,
    words: list[Term],
    letters: list[Term],
    *,
    cap: int | None,
    fence: int | None,
) -> RawSQL:
    """PostgreSQL: ids of records of ``source`` matching every word (any form), each in their
    own document or in that of a linked record ``user`` may see, as one subquery.

    A record found through no linked record for any word holds every word in its own document:
    one match of all the words together, which one scan of the trigram index answers as one
    small set. The others are among those found through a linked record for some word; while
    the linked records matching the words are at most :data:`PROBED_LINKS`, each of those is
    tested for every word: its own document, or among those found through a link for that
    word. With more ("Пр": 27,694 companies, 64,638 people), each word's matches are read and
    intersected instead, which costs what all of them hold.

    Intersecting read every match of each word first: 321,000 documents for "нови" (its stem
    "нов" is inside every Иванов) to find Кира Новикова, where testing the 7,193 people of
    companies with "нов" in their names and matching both words in one scan reads 15,000.
    """
    together = [[word, *(letters if i == 0 else [])] for i, word in enumerate(words)]
    linked = [
        _linked_ids(source, user, terms, strict=False, cap=cap, fence=fence, read_first=True)
        for terms in together
    ]
    # Each word's linked records are read once (a CTE), for the candidates and their tests.
    named: dict[int, str] = {}
    params: list[Any] = []
    for position, ids in enumerate(linked):
        compiled = None if ids is None else matching.as_sql(ids)
        if compiled is not None:
            named[position] = f"found_through_{position} AS MATERIALIZED ({compiled[0]})"
            params.extend(compiled[1])
    # Forms as one row's test has them (a Russian word's forms all hold its stem): a word's
    # forms under an OR kept its fragment out of the one index scan, and PostgreSQL computed
    # the words of each of the 58,000 documents holding "бо" to find "Федот" among them.
    everyone = SearchDocument.objects.filter(
        matching.row_matches(source.kind, [*words, *letters], one_scan=True), kind=source.kind
    )
    every_sql, every_params = everyone.values("object_id").query.sql_with_params()
    if not named:
        return RawSQL(every_sql, every_params)  # noqa: S611 - Django's own SQL
    # The SQL below is Django's own for every part; only CTE names and counts are added.
    probed_sql, probed_params = _probed(source, together, list(named))
    counted, counted_params = _first_linked(source, together)
    each = [
        _term_ids(source, user, word, letters if i == 0 else [], strict=False, cap=cap, fence=fence)
        for i, word in enumerate(words)
    ]
    intersected_sql, intersected_params = each[0].intersection(*each[1:]).query.sql_with_params()
    # At most one more than the bound is read, whichever words they match.
    first = f"SELECT count(*) AS n FROM ({counted} LIMIT {PROBED_LINKS + 1:d}) AS f"  # noqa: S608
    linked_count = f"linked_count AS MATERIALIZED ({first})"
    few = f"(SELECT n FROM linked_count) <= {PROBED_LINKS:d}"  # noqa: S608
    # A condition on no column is tested once, before the rows under it are read: only one of
    # the two ways ever runs, and a CTE only the other way reads is never computed.
    return RawSQL(  # noqa: S611
        f"WITH {', '.join(named.values())}, {linked_count} "  # noqa: S608
        f"(SELECT * FROM ({every_sql}) AS together WHERE {few}) UNION ALL "
        f"(SELECT * FROM ({probed_sql}) AS probed WHERE {few}) UNION ALL "
        f"(SELECT * FROM ({intersected_sql}) AS intersected WHERE NOT {few})",
        (
            *params,
            *counted_params,
            *every_params,
            *probed_params,
            *intersected_params,
        ),
    )


def _probed(source: Source, together: list[list[Term]], named: list[int]) -> tuple[str, list[Any]]:
    """SQL for the records found through a linked record for some word (the CTEs
    ``found_through_<position>`` of the words in ``named``) that match every word: in their own
    document, or among those found through a link for that word."""
    some = " UNION ALL ".join(f"SELECT * FROM found_through_{at}" for at in named)  # noqa: S608
    candidates = SearchDocument.objects.filter(
        kind=source.kind,
        object_id__in=matching.read_first(RawSQL(some, ())),  # noqa: S611
    )
    for position, terms in enumerate(together):
        test = matching.row_matches(source.kind, terms)
        if position in named:
            through = RawSQL(f"SELECT * FROM found_through_{position}", ())  # noqa: S608,S611
            test |= Q(object_id__in=through)
        candidates = candidates.filter(test)
    sql, params = candidates.values("object_id").query.sql_with_params()
    return sql, list(params)


def _first_linked(source: Source, together: list[list[Term]]) -> tuple[str, list[Any]]:
    """SQL for the first :data:`PROBED_LINKS` + 1 linked records matching each word (whether
    the user may see them or not: this only chooses a way), which the trigram index finds
    without reading them all, as one UNION ALL."""
    parts: list[str] = []
    params: list[Any] = []
    for terms in together:
        for _other, _through, docs in _link_documents(source, terms, strict=False):
            first = docs.values("object_id")[: PROBED_LINKS + 1]
            sql, part_params = first.query.sql_with_params()
            parts.append(f"({sql})")
            params.extend(part_params)
    return " UNION ALL ".join(parts), params


def _found(
    source: Source,
    user: User,
    terms: list[Term],
    *,
    strict: bool,
    cap: int | None = None,
    fence: int | None = None,
    apart: bool = False,
) -> Q:
    """Records of ``source`` matching every term: in their own document or, term by term, in
    the document of a record they are linked to that ``user`` may see (``apart``: each term's
    matches planned on their own, for a list with no bound of its own).

    A document holds only its record's own text, so what a user cannot see never finds
    anything for them.
    """
    if not source.found_through:
        docs = matching.documents(source.kind, terms, strict=strict)
        return Q(pk__in=_object_ids(docs, fence))
    words, letters = _letters_aside(terms)
    if apart and not strict and len(words) > 1 and connection.vendor == "postgresql":
        # Read before any record is: given each word's matches as a condition of its own,
        # PostgreSQL read every record matching the first (87,000 for "Мари Фом" at 1M
        # contacts) to test it against the next.
        every = _every_term_ids(source, user, words, letters, cap=cap, fence=fence)
        return Q(pk__in=matching.read_first(every))
    each = [
        _term_ids(
            source, user, term, letters if i == 0 else [], strict=strict, cap=cap, fence=fence
        )
        for i, term in enumerate(words)
    ]
    condition = Q()
    for ids in each:
        condition &= Q(pk__in=_planned_apart(ids) if apart else ids)
    return condition


def _letters_aside(terms: list[Term]) -> tuple[list[Term], list[Term]]:
    """(terms, one-letter terms): a single letter ("Павел М") narrows the document the first
    longer word matched, never a set of its own — that set would be most documents, read one by
    one. A query of single letters only keeps each as a term."""
    letters = [term for term in terms if len(term.prefix) == 1]
    words = [term for term in terms if len(term.prefix) != 1]
    return (words, letters) if words else (terms, [])


#: no list has this many records: a LIMIT that cuts nothing
_EVERY = 2**62


def _planned_apart(ids: QuerySet[Any]) -> QuerySet[Any]:
    """PostgreSQL: a term's matches as a subquery planned on its own (one with a LIMIT cannot
    be merged into the outer query), so it is always answered by the word and trigram indexes.
    Merged, the planner may instead walk the list in its order testing each record's document
    (computing its words) and hoping to meet a page of matches early — half a second at 100,000
    contacts for a term few of them match ("Paul Mit")."""
    return ids[:_EVERY] if connection.vendor == "postgresql" else ids


def matches(user: User, model: type[models.Model], text: str) -> Q:
    """A filter for ``model`` querysets: records whose document matches ``text`` in any form
    (or, for a contact, the document of a company of theirs ``user`` may see).

    Lists and APIs combine it with their own scoping (access.scoped), never instead of it.
    """
    source = source_for(model)
    terms = parse(text)
    if source is None:
        return Q()
    if not terms:
        # A text with no word in it ("", "()") asks for nothing: a bulk change "to all
        # matching" must not reach every record.
        return Q(pk__in=[])
    found = _found(source, user, terms, strict=False, apart=True)
    if len(found.children) != 1 or found.negated:
        # SQLite: each word's matches are a condition of their own. Gathered into one
        # subquery (to walk the list), those a walk could not fill a page from took 10-50 ms
        # longer to look up at a million contacts than as they are.
        return found
    # The very subquery the matches are found by, marked so that a page can be walked.
    _name, ids = found.children[0]  # type: ignore[misc]
    compiled = matching.as_sql(ids)
    each_row = None if compiled is None else _row_test(source, user, terms)
    if compiled is None or each_row is None:
        return found
    return Q(pk__in=Found(*compiled, each_row))


#: how many rows of a searched list a page tests one by one, in the list's order, before it
#: looks every match up instead: first a few, then as many more as the matches met among those
#: say a page needs (twice that), up to the second figure (each row costs 7-20 µs; a term rarer
#: than one row in forty is cheaper to look up)
WALK = (300, 4_000)


class Found(RawSQL):
    """The ids :func:`matches` found, with the same test for one row at a time (``each_row``).

    A term of two or three letters ("пе", "ва") matches a tenth of a million documents;
    looking all of them up to show the first 50 took 300-500 ms on PostgreSQL, while the list's
    first rows, tested one by one, hold the page within a few hundred rows (``walked``).
    """

    def __init__(self, sql: str, params: Any, each_row: Q) -> None:
        super().__init__(sql, params)
        self.each_row = each_row


def _row_test(source: Source, user: User, terms: list[Term]) -> Q | None:
    """``terms`` tested on one row at a time (its own document, or those of the records it is
    linked to); None where a page cannot be walked (links the user may not all see, which only
    the matches as a set can leave out)."""
    if len(source.links_of) != len(source.found_through) or not all(
        _sees_all(user, model) for model, _links in source.links_of
    ):
        return None
    words, letters = _letters_aside(terms)
    test = Q()
    for position, term in enumerate(words):
        together = [term, *(letters if position == 0 else [])]
        own = SearchDocument.objects.filter(kind=source.kind, object_id=OuterRef("pk"))
        either = Q(Exists(matching.documents_among(own, source.kind, together)))
        for model, links in source.links_of:
            other = source_for(model)
            if other is None:
                continue
            # Only live records have documents: a link to one in the trash finds nothing.
            linked = SearchDocument.objects.filter(
                kind=other.link_kind, object_id__in=links(OuterRef(OuterRef("pk")))
            )
            either |= Q(Exists(matching.documents_among(linked, other.link_kind, together)))
        test &= either
    return test


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
    each_row = found.each_row
    unsearched = ordered.all()
    unsearched.query.where.children = [c for c in where.children if c is not search]
    first, most = WALK
    rows = _walk(unsearched, each_row, 0, first, size)
    tested = first
    while rows and len(rows) < size:
        # The matches met so far say how many rows hold a page; twice that, for they are a
        # sample (21 ± 5 in 300): with a third more, "Ник Ни" met 49 matches in 971 rows
        # where it needed 51, then looked up all 41,000 of them (500 ms, against 10 ms for the
        # rows the margin adds). Only the rows not yet tested are tested, after those.
        wanted = 2 * tested * size // len(rows)
        if wanted > most:
            # One match among the first rows may be the only one in a million.
            return _probed_in_order(unsearched, found, size) if len(rows) > 1 else None
        rows += _walk(unsearched, each_row, tested, wanted, size - len(rows))
        tested = wanted
    return rows if len(rows) == size else None


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


def _walk(unsearched: QuerySet[Any], each_row: Q, start: int, stop: int, size: int) -> list[Any]:
    """The first ``size`` matches among the rows ``start`` to ``stop`` of the list."""
    window = unsearched.values("pk")[start:stop]
    return list(unsearched.filter(pk__in=window).filter(each_row)[:size])


def _in_name_first(source: Source, terms: list[Term]) -> Case:
    """0 when every term is found in the record's own name ("Иванову" → Иванов before
    Алексеева Ксения Ивановна, whose patronymic also holds the stem), else 1."""
    in_name = Q()
    for term in terms:
        anywhere = Q()
        for fragment in {term.prefix} if term.prefix else {*term.exact, *term.loose}:
            for name in source.names:
                anywhere |= Q(**{f"{name}__folded": fragment})
        in_name &= anywhere
    if not source.names:
        return Case(default=Value(1))
    return Case(When(in_name, then=Value(0)), default=Value(1))


CANDIDATES = 400


def _candidates(
    source: Source,
    user: User,
    scoped: QuerySet[Any],
    terms: list[Term],
    *,
    strict: bool,
    fence: int | None,
) -> Q:
    """At most CANDIDATES records matching the terms *among those the user may see*: the scope
    is part of the bounded query, so others' namesakes never crowd one's own out."""
    if _sees_all(user, source.model):
        # Nothing to leave out: the bounded set comes straight from the index.
        if not source.found_through:
            docs = matching.documents(source.kind, terms, strict=strict)
            return Q(pk__in=docs.values("object_id")[:CANDIDATES])
        if len(terms) == 1:
            ids = _term_ids(source, user, terms[0], [], strict=strict, cap=CANDIDATES, fence=None)
            return Q(pk__in=ids[:CANDIDATES])
    found = _found(source, user, terms, strict=strict, cap=CANDIDATES, fence=fence)
    return Q(pk__in=scoped.filter(found).order_by().values("pk")[:CANDIDATES])


def _own_candidates(
    source: Source,
    user: User,
    scoped: QuerySet[Any],
    terms: list[Term],
    *,
    strict: bool,
    fence: int | None,
) -> Q:
    """At most CANDIDATES records the user may see matching every term in their own document."""
    docs = matching.documents(source.kind, terms, strict=strict)
    if _sees_all(user, source.model):
        return Q(pk__in=docs.values("object_id")[:CANDIDATES])
    found = _object_ids(docs, fence)
    return Q(pk__in=scoped.filter(pk__in=found).order_by().values("pk")[:CANDIDATES])


def _ranked_ids(
    source: Source, user: User, scoped: QuerySet[Any], text: str, limit: int
) -> list[int]:
    """Exact phone/INN/email matches first, then the query as typed, then other word forms;
    records found through a linked record ("Иванов Ромашка": Иванов works at «Ромашка») only
    when no record's own text matches every word.

    A user who sees everything takes candidates straight from the index; a scoped user reads a
    first batch of matching documents per word, and a wider one only if that filled no page.
    """
    fences = (None,) if _sees_all(user, source.model) else FENCES
    found: list[int] = []
    for fence in fences:
        found = _ranked_once(source, user, scoped, text, limit, fence)
        if len(found) > limit:
            break
    return found


def _ranked_once(
    source: Source, user: User, scoped: QuerySet[Any], text: str, limit: int, fence: int | None
) -> list[int]:
    terms = parse(text)
    own: list[Q] = []
    linked: list[Q] = []
    exact = source.exact(text)
    if exact is not None:
        own.append(exact)
    # A common surname matches thousands of documents; ranking all of them for a page of 20 is
    # what made search slow at a million contacts. Rank a bounded set of candidates per tier.
    for strict in (True, False) if not matching.same_either_way(terms) else (True,):
        if source.found_through:
            own.append(_own_candidates(source, user, scoped, terms, strict=strict, fence=fence))
            # Following links is a union over other kinds' documents: several times slower.
            linked.append(_candidates(source, user, scoped, terms, strict=strict, fence=fence))
        else:
            own.append(_candidates(source, user, scoped, terms, strict=strict, fence=fence))
    ordering: list[Any] = [_in_name_first(source, terms), *source.ordering]
    found: list[int] = []
    for condition, follows_links in [(q, False) for q in own] + [(q, True) for q in linked]:
        if len(found) > limit or (found and follows_links):
            # The page is full and ``more`` is already known, or people were found by their own
            # names: later tiers would only rank below what is shown.
            break
        rows = scoped.filter(condition).order_by(*ordering).values_list("pk", flat=True)
        for pk in rows[: limit + 1 + len(found)]:
            if pk not in found:
                found.append(pk)
    return found


def find(user: User, text: str, *, limit: int = LIMIT) -> dict[str, Group]:
    """Up to ``limit`` hits per kind (companies, contacts...) that ``user`` may see."""
    grouped: dict[str, Group] = {}
    for source in sources():
        if not parse(text):
            grouped[source.group] = Group(hits=[], more=False)
            continue
        scoped = source.listing(user)
        # Someone who sees every record takes the first 400 matching documents straight from
        # the index; PostgreSQL would read the documents in order hoping to meet them early.
        # (A scoped user's candidates are planned apart already, and do better as they are.)
        with no_sequential_scans() if _sees_all(user, source.model) else nullcontext():
            ids = _ranked_ids(source, user, scoped, text, limit)
        shown = ids[:limit]
        records = {obj.pk: obj for obj in scoped.filter(pk__in=shown)} if shown else {}
        hits = [source.hit(records[pk]) for pk in shown if pk in records]
        grouped[source.group] = Group(hits=hits, more=len(ids) > limit)
    return grouped
