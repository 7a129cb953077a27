"""A list searched by someone who may not see every record its records are found through.

A person's wide document holds the link texts of every company they work at; a manager may see
only some of those companies, and must never find a person through one they may not see. The
wide documents still narrow the search at once: whoever matches in what a manager may see also
matches in their wide document. Only those few are then tested again, in the text made for the
reader: the person's own document followed by the link texts of the linked records the reader
may see (:func:`seen_texts`).

Before, each word was matched in the people's own documents and, separately, through every
company the reader may see holding it, and the sets intersected: about 80 ms a request
(median) and up to a second at a million contacts for a sales manager.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from kartoteka.core import access
from kartoteka.core.search import matching
from kartoteka.core.search.document import SearchDocument
from kartoteka.core.search.indexing import Source, source_for
from kartoteka.core.search.text import Term
from kartoteka.core.search.walking import Found, tested

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


def seen_texts(source: Source, user: User, ids: list[int] | RawSQL) -> tuple[str, list[Any]]:
    """SQL of (``object_id``, ``body``) rows, one for each of the records of ``source`` among
    ``ids`` (a subquery) that has a document: its own text followed by the link texts of the
    records it is linked to that ``user`` may see, in no particular order (each word of a
    search is looked for on its own)."""
    own = SearchDocument.objects.filter(kind=source.kind, object_id__in=ids)
    parts: QuerySet[Any] = own.values_list("object_id", "body")
    for model, pairs in source.link_pairs:
        other = source_for(model)
        if other is None:
            continue
        links = pairs(ids)
        seen = _seen_through(user, model, links.model)
        if seen is None:
            continue
        link = SearchDocument.objects.filter(kind=other.link_kind, object_id=OuterRef("linked"))
        linked = (
            links.filter(seen)
            .annotate(body=Subquery(link.values("body")[:1]))
            .values_list("record", "body")
        )
        parts = parts.union(linked, all=True)
    sql, params = parts.query.sql_with_params()
    joined = "string_agg" if connection.vendor == "postgresql" else "group_concat"
    # Django's own SQL for the rows; only the grouping is added around them.
    whole = (
        f"SELECT t.object_id AS object_id, {joined}(t.body, '') AS body "  # noqa: S608
        f"FROM ({sql}) AS t GROUP BY t.object_id"
    )
    return whole, list(params)


def _seen_through(user: User, model: type[models.Model], links: type[models.Model]) -> Q | None:
    """The access rule for records of ``model`` as a filter on the rows of ``links`` pointing
    at them (None: the user sees none). Through the link's own foreign key, each link's record
    is looked up by its id; as ``linked IN (records the user may see)`` PostgreSQL read every
    company in id order to merge them (48 ms for 229 links)."""
    key = next(
        (
            field
            for field in links._meta.get_fields()
            if field.many_to_one and field.related_model is model
        ),
        None,
    )
    if key is None:
        raise TypeError(f"{links.__name__} rows do not point at {model.__name__} records")
    return access.visible(user, model, through=f"{key.name}__")


def seen_matches(
    source: Source,
    user: User,
    kind: str,
    terms: list[Term],
    every: tuple[str, Any] | None = None,
) -> Q:
    """Records of ``source`` matching every term in what ``user`` may see of them, their wide
    documents (of ``kind``) the first sieve: as :func:`results.matches`, for a reader who may
    not see every linked record. ``every``: the SQL and parameters of the same matches as a
    set, when the caller has a cheaper way to them."""
    test = matching.row_matches(kind, terms)

    def exact(ids: list[int]) -> RawSQL:
        return tested(*seen_texts(source, user, ids), test)

    if every is not None:
        return Q(pk__in=Found(*every, kind, test, exact))

    if connection.vendor == "postgresql":
        docs = SearchDocument.objects.filter(
            matching.row_matches(kind, terms, one_scan=True), kind=kind
        )
    else:
        docs = matching.documents(kind, terms, strict=False)
    # Only the records the reader may see are tested again (a tenth of them for a manager).
    # The documents' ids are read first, then each record looked up: given them as a set,
    # PostgreSQL read every contact to hash them (100 ms).
    ids = matching.read_first(docs.values("object_id"))
    sieved = source.listing(user).filter(pk__in=ids).order_by().values("pk")
    compiled = matching.as_sql(sieved)
    if compiled is None:
        return Q(pk__in=[])
    # Read once (the texts' parts each use them), before the list is.
    texts, params = seen_texts(source, user, RawSQL("SELECT pk FROM sieve", ()))  # noqa: S611
    within = tested(texts, params, test)
    found = RawSQL(  # noqa: S611 - Django's own SQL for every part
        f"WITH sieve AS MATERIALIZED ({compiled[0]}) {within.sql}",  # noqa: S608
        (*compiled[1], *within.params),
    )
    # PostgreSQL guessed thousands where there were tens, and walked the reader's whole list
    # in its order to meet them: the ids are read as an array first.
    first = matching.as_sql(matching.read_first(found))
    assert first is not None  # a RawSQL always compiles
    return Q(pk__in=Found(*first, kind, test, exact))
