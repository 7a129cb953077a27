"""Finding: the query → hits grouped by kind, only among the records the user may see."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.db import connection
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from kartoteka.core import access
from kartoteka.core.db.planner import no_sequential_scans
from kartoteka.core.search import matching
from kartoteka.core.search.document import SearchDocument
from kartoteka.core.search.indexing import Hit, Source, source_for, sources
from kartoteka.core.search.seen import seen_matches
from kartoteka.core.search.text import Term, parse
from kartoteka.core.search.walking import Found

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
    kind = _whole_kind(user, source)
    if kind is not None:
        return _wide_matches(kind, terms)
    if source.wide_kind is None:
        return _found(source, user, terms, strict=False, apart=True)
    every = None
    if len(terms) == 1:
        # One word's matches as a set: those of the record's own documents and those found
        # through each linked record the user may see, from their indexes (the wide documents
        # holding it, each then tested again, cost two to three times as much).
        ids = _term_ids(source, user, terms[0], [], strict=False, cap=None, fence=None)
        every = matching.as_sql(_planned_apart(ids))
    return seen_matches(source, user, source.wide_kind, terms, every)


def _whole_kind(user: User, source: Source) -> str | None:
    """The kind of document holding all a record of ``source`` can be found by for ``user``:
    its own when it is found through nothing, its wide one when ``user`` may see every record
    it is found through (nothing in it is then hidden from them); else None."""
    if not source.found_through:
        return source.kind
    if source.wide_kind is None:
        return None
    sees = all(_sees_all(user, model) for model, _through in source.found_through)
    return source.wide_kind if sees else None


def _wide_matches(kind: str, terms: list[Term]) -> Q:
    """Records whose wide document (their own text and their links' link texts) matches every
    term: one match of one document a record, which a page can also test row by row, in the
    list's order (:func:`walked`).

    Found through each linked record separately, a term held by many companies' names ("На
    Ма": 19,000 people at companies starting with "на") read all their people to test each:
    300-400 ms at a million contacts, against 30 ms for the 7,000 wide documents holding both.
    """
    if connection.vendor == "postgresql":
        # One scan of the trigram index for all the words together (see matching._word_start).
        docs = SearchDocument.objects.filter(
            matching.row_matches(kind, terms, one_scan=True), kind=kind
        )
    else:
        docs = matching.documents(kind, terms, strict=False)
    compiled = matching.as_sql(_planned_apart(docs.values("object_id")))
    if compiled is None:
        return Q(pk__in=[])
    return Q(pk__in=Found(*compiled, kind, matching.row_matches(kind, terms)))


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
