"""Query terms → a filter on :class:`SearchDocument`, in the dialect of the database in use."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Q, QuerySet

from kartoteka.core.search.document import SearchDocument
from kartoteka.core.search.text import TRIGRAM, Term


def _fts_phrase(fragment: str) -> str:
    return '"' + fragment.replace('"', '""') + '"'


def _any_of(fragments: Iterable[str], word: str = "") -> Q:
    """The document contains one of ``fragments`` anywhere (or, on PostgreSQL, ``word``'s forms).

    Fragments of 3+ characters use the trigram index (pg_trgm, FTS5 trigram); shorter ones can
    only be found by reading the documents, which is still right, only slower.
    """
    fragments = list(dict.fromkeys(fragments))
    if connection.vendor == "sqlite" and all(len(f) >= TRIGRAM for f in fragments):
        condition = Q(id__fts=" OR ".join(_fts_phrase(f) for f in fragments))
    else:
        condition = Q()
        for fragment in fragments:
            condition |= Q(body__contains=fragment)
    if word and connection.vendor == "postgresql":
        condition |= Q(body__word_prefix=word)
    return condition


def documents(kind: str, terms: list[Term], *, strict: bool) -> QuerySet[SearchDocument]:
    """Documents of ``kind`` matching every term: ``strict`` — as typed; otherwise any word form."""
    # With kind=? both databases walk every document of the kind through the (kind, id) index
    # and test each against the text; a condition no index serves makes them start from the
    # full-text/trigram hits instead (milliseconds instead of a scan of a million rows).
    queryset = SearchDocument.objects.filter(kind__startswith=kind)
    for term in terms:
        if strict:
            queryset = queryset.filter(_any_of(term.exact))
        else:
            queryset = queryset.filter(_any_of(term.loose, term.word))
    return queryset


def same_either_way(terms: list[Term]) -> bool:
    """Would the loose match find nothing more than the strict one? (Then skip running it.)"""
    return connection.vendor != "postgresql" and all(t.exact == t.loose for t in terms)
