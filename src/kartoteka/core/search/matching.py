"""Query terms → a filter on :class:`SearchDocument`, in the dialect of the database in use."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from kartoteka.core.search.document import SearchDocument
from kartoteka.core.search.indexes import fts_table
from kartoteka.core.search.text import TRIGRAM, WORD_STARTS, Term

_LATIN = re.compile(r"[a-z]")


def _fts_phrase(fragment: str) -> str:
    return '"' + fragment.replace('"', '""') + '"'


def _fts_match(kind: str, query: str) -> Q:
    """SQLite: the document is among the matches of the kind's FTS5 table."""
    table = fts_table(kind)  # a checked name; the query itself is a parameter
    sql = f"SELECT rowid FROM {table} WHERE {table} MATCH %s"  # noqa: S608
    return Q(id__in=RawSQL(sql, (query,)))  # noqa: S611


def _uses_fts(fragments: Iterable[str]) -> bool:
    return connection.vendor == "sqlite" and all(len(f) >= TRIGRAM for f in fragments)


def _any_of(
    kind: str,
    fragments: Iterable[str],
    word: str = "",
    *,
    indexed: bool = True,
    one_scan: bool = False,
) -> Q:
    """The document contains one of ``fragments`` anywhere (or, on PostgreSQL, ``word``'s forms).

    Fragments of 3+ characters use the kind's trigram index (pg_trgm, FTS5 trigram); shorter
    ones can only be found by reading the documents, which is still right, only slower. Not
    ``indexed``: a test of one document at a time, never a match against the whole index
    (which SQLite's FTS5 table would answer for every document first). ``one_scan``: a word
    start as one condition (:func:`_word_start`), for a scan with other words.
    """
    fragments = list(dict.fromkeys(fragments))
    if indexed and _uses_fts(fragments):
        condition = _fts_match(kind, " OR ".join(_fts_phrase(f) for f in fragments))
    elif one_scan and connection.vendor == "postgresql" and _word_start(fragments) is not None:
        condition = Q(body__regex=_word_start(fragments))
    else:
        condition = Q()
        for fragment in fragments:
            condition |= Q(body__contains=fragment)
    if word and connection.vendor == "postgresql":
        condition |= Q(body__word_form=word)
    return condition


_ALPHANUMERIC = re.compile(r"[^\W_]+")


def _word_start(fragments: list[str]) -> str | None:
    """PostgreSQL: the fragments of a word start ("ма" after a space, a hyphen or an apostrophe)
    as one regular expression, or None when they are something else.

    As three LIKEs under an OR, each became an index scan of its own, and no other word of the
    query could share one: "На Ма" read 51,692 documents holding a word starting with "на" to
    test each for "ма". As one condition, both go into one scan of the trigram index, which
    finds the 4,949 documents holding both (166 -> 29 ms at a million contacts).
    """
    starts = {fragment[:1] for fragment in fragments}
    rests = {fragment[1:] for fragment in fragments}
    rest = rests.pop() if len(rests) == 1 else ""
    if starts != set(WORD_STARTS) or not _ALPHANUMERIC.fullmatch(rest):
        return None
    return "[ '-]" + rest


def documents_among(
    docs: QuerySet[SearchDocument], kind: str, terms: list[Term]
) -> QuerySet[SearchDocument]:
    """Those of ``docs`` (of ``kind``) matching every term in any form, tested one document at
    a time: by their fragments, and (PostgreSQL) English words by their forms.

    Computing a document's words costs 12 µs a row. A Russian word's forms need not be: Snowball
    only strips endings, so each word of its forms contains its stem, the loose fragment.
    """
    return docs.filter(row_matches(kind, terms))


def row_matches(kind: str, terms: list[Term], *, one_scan: bool = False) -> Q:
    """The condition of :func:`documents_among` on one document of ``kind`` (``one_scan``:
    written for one scan of the trigram index, see :func:`_any_of`)."""
    condition = Q()
    for term in terms:
        english = _LATIN.search(term.word) is not None
        word = term.word if english else ""
        condition &= _any_of(kind, term.loose, word, indexed=False, one_scan=one_scan)
    return condition


def documents(kind: str, terms: list[Term], *, strict: bool) -> QuerySet[SearchDocument]:
    """Documents of ``kind`` matching every term: ``strict`` — as typed; otherwise any word form."""
    wanted = [term.exact if strict else term.loose for term in terms]
    queryset = SearchDocument.objects.all()
    indexed = [fragments for fragments in wanted if _uses_fts(fragments)]
    if not indexed:
        # PostgreSQL: literally ``kind = '<kind>'``, the predicate of the kind's partial
        # indexes. SQLite's FTS5 tables hold one kind each, so a match there needs no more; a
        # kind = ? beside it would make SQLite walk every document of the kind instead.
        queryset = queryset.filter(kind=kind)
    else:
        # SQLite: every word in one MATCH, whose lists FTS5 intersects itself, stepping through
        # the shortest; as a MATCH each, SQLite read every match of each word ("мар": 86,695
        # documents, 80 ms, for the 577 also holding "фом", 3 ms together).
        queryset = queryset.filter(
            _fts_match(
                kind,
                " AND ".join(
                    "(" + " OR ".join(_fts_phrase(f) for f in dict.fromkeys(fragments)) + ")"
                    for fragments in indexed
                ),
            )
        )
    for term, fragments in zip(terms, wanted, strict=True):
        if fragments not in indexed:
            queryset = queryset.filter(_any_of(kind, fragments, "" if strict else term.word))
    return queryset


def read_first(ids: QuerySet[Any] | RawSQL) -> QuerySet[Any] | RawSQL:
    """``ids`` (a one-column subquery) for an ``__in``, read in full before the statement around
    them runs: on PostgreSQL as an array, whose size the planner does not guess.

    Guessing from a trigram match, PostgreSQL expected thousands of ids where there were forty,
    and walked a whole list in its order (or every employment) to meet them instead of looking
    each one up.
    """
    compiled = as_sql(ids) if connection.vendor == "postgresql" else None
    if compiled is None:
        return ids
    sql, params = compiled
    return RawSQL(f"SELECT unnest(ARRAY({sql}))", params)  # noqa: S611 - compiled, not typed


def as_sql(ids: QuerySet[Any] | RawSQL) -> tuple[str, Any] | None:
    """A subquery's SQL and parameters, or None when it can hold no row (a role that sees
    none): Django then says so itself, given the subquery as it is."""
    if isinstance(ids, RawSQL):
        return ids.sql, ids.params
    try:
        return ids.query.sql_with_params()
    except EmptyResultSet:
        return None


def same_either_way(terms: list[Term]) -> bool:
    """Would the loose match find nothing more than the strict one? (Then skip running it.)"""
    return connection.vendor != "postgresql" and all(t.exact == t.loose for t in terms)
