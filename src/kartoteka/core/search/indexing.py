"""Keeping the index fresh: which records are searchable, and writing their documents.

Apps register a :class:`Source` per searchable model (clients registers companies and contacts
in its AppConfig.ready), so core knows nothing of their fields. Services call :func:`index`
after each write; bulk operations call :func:`index_many`; :func:`rebuild` redoes everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from kartoteka.core.db.prepared import planned_once
from kartoteka.core.search import indexes
from kartoteka.core.search.document import SearchDocument

if TYPE_CHECKING:
    from kartoteka.accounts.models import User
    from kartoteka.core.jobs import Progress

#: records per round trip when (re)indexing
BATCH = 2_000


@dataclass(frozen=True)
class Hit:
    """One found record as every caller shows it (page, API)."""

    id: int
    type: str
    title: str
    subtitle: str
    url: str
    #: what the record can be found by, as people read it: (label, value) pairs, its name
    #: first; the command box shows the one that matched, highlighted (not part of the API)
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Source:
    """A searchable model and how to turn its records into documents and hits."""

    kind: str  # "company": the document kind and the hit's type
    group: str  # "companies": the key results are grouped under
    model: type[models.Model]
    #: {id: text} for the live (not trashed) records among the ids; a few queries per batch
    documents: Callable[[Sequence[int]], dict[int, str]]
    #: the user's scoped queryset, prefetching what ``hit`` reads (from the app's queries.py)
    listing: Callable[[User], QuerySet[Any]]
    hit: Callable[[Any], Hit]
    ordering: tuple[str, ...]
    #: fields holding the record's own name: matches there rank before matches elsewhere
    names: tuple[str, ...] = ()
    #: exact matches for the query (phone, INN, email) that rank first, or None
    exact: Callable[[str], Q | None] = lambda text: None
    #: records of other models whose documents quote these records
    dependents: Callable[[Sequence[int]], dict[type[models.Model], list[int]]] = field(
        default=lambda ids: {}
    )
    #: records found through another kind's link documents (a company's finds its people): pairs of
    #: (that model, function(ids of its matching records, as a subquery) -> ids of these
    #: records, as a subquery). The ids passed are only of records the user may see (that
    #: kind's ``listing``), so nothing is found through a record the user may not see; a
    #: document never quotes another record's text.
    found_through: tuple[
        tuple[type[models.Model], Callable[[QuerySet[Any]], QuerySet[Any]]], ...
    ] = ()
    #: for each model of ``found_through``: function(ids of these records) -> (id, id of a
    #: record of that model it is linked to) pairs. A source with links also keeps, per record,
    #: a document of the kind :attr:`wide_kind`: its own text followed by the link texts of the
    #: records it is linked to, which a user who sees every one of those records searches a
    #: list by in one match (see ``results.matches``)
    link_pairs: tuple[
        tuple[type[models.Model], Callable[[Sequence[int] | RawSQL], QuerySet[Any]]], ...
    ] = ()
    #: the text ``documents`` would read back for a record just created, made from the record
    #: and the lists its write left on it (``prefetch.remember``); None when it cannot tell
    document: Callable[[Any], str | None] = lambda record: None
    #: instead of ``documents``, when records linked to these are found through less than the
    #: whole document: function(ids) -> ({id: text} like ``documents``, {id: link text}), both
    #: from one read; the link texts are kept as documents of the kind :attr:`link_kind` (a
    #: company's people are found by its name, INN and phones, never by its city or tags)
    documents_and_links: Callable[[Sequence[int]], tuple[dict[int, str], dict[int, str]]] | None = (
        None
    )
    #: the link text of a record just created (see ``document``)
    link_document: Callable[[Any], str | None] = lambda record: None
    #: does a record just created link to no record (its wide document is then its own
    #: text, with nothing to read)? False when it cannot tell
    links_none: Callable[[Any], bool] = lambda record: False

    @property
    def link_kind(self) -> str:
        """The kind of the documents other records are found through these by."""
        return f"{self.kind}_link" if self.documents_and_links is not None else self.kind

    @property
    def wide_kind(self) -> str | None:
        """The kind of the documents holding a record's own text and its links' link texts, or
        None when it is found through no other records."""
        return f"{self.kind}_wide" if self.link_pairs else None

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind of document these records have."""
        wide = (self.wide_kind,) if self.wide_kind else ()
        return tuple(dict.fromkeys((self.kind, self.link_kind, *wide)))


_SOURCES: dict[type[models.Model], Source] = {}


def register(source: Source) -> None:
    _SOURCES[source.model] = source


def sources() -> list[Source]:
    return list(_SOURCES.values())


def source_for(model: type[models.Model]) -> Source | None:
    return _SOURCES.get(model)


def _chunks(ids: Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    chunk: list[int] = []
    for pk in ids:
        chunk.append(pk)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _rows(
    source: Source,
    texts: dict[int, str],
    links: dict[int, str],
    wide: dict[int, str] | None = None,
) -> list[SearchDocument]:
    rows = [SearchDocument(kind=source.kind, object_id=pk, body=body) for pk, body in texts.items()]
    if source.documents_and_links is not None:
        kind = source.link_kind
        rows += [SearchDocument(kind=kind, object_id=pk, body=body) for pk, body in links.items()]
    if wide and source.wide_kind is not None:
        kind = source.wide_kind
        rows += [SearchDocument(kind=kind, object_id=pk, body=body) for pk, body in wide.items()]
    return rows


def _store(
    source: Source,
    texts: dict[int, str],
    links: dict[int, str],
    wide: dict[int, str] | None = None,
) -> None:
    """Write these documents (and link and wide documents) over the ones there, in one
    statement per :data:`BATCH`."""
    SearchDocument.objects.bulk_create(
        _rows(source, texts, links, wide),
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=["body"],
    )


def _texts(source: Source, ids: list[int]) -> tuple[dict[int, str], dict[int, str]]:
    if source.documents_and_links is not None:
        return source.documents_and_links(ids)
    return source.documents(ids), {}


def wide_texts(source: Source, own: dict[int, str]) -> dict[int, str]:
    """The wide documents of records whose own texts are ``own``: each own text followed by the
    link texts of the live records it is linked to (in their id order), read from their link
    documents in one statement per linked model; {} for a source found through nothing."""
    if source.wide_kind is None or not own:
        return {}
    parts: dict[int, list[str]] = {pk: [text] for pk, text in own.items()}
    for model, pairs in source.link_pairs:
        other = source_for(model)
        if other is None:
            continue
        body = SearchDocument.objects.filter(kind=other.link_kind, object_id=OuterRef("linked"))
        rows = (
            pairs(list(own))
            .annotate(body=Subquery(body.values("body")[:1]))
            .order_by("record", "linked")
            .values_list("record", "body")
        )
        for pk, text in rows:
            # A linked record in the trash has no link document: it finds nobody.
            if text and pk in parts:
                parts[pk].append(text)
    return {pk: "".join(texts) for pk, texts in parts.items()}


def _linking(model: type[models.Model]) -> list[tuple[Source, Callable[[Any], QuerySet[Any]]]]:
    """The sources with wide documents found through ``model``'s records, each with how those
    records lead to theirs."""
    return [
        (source, through)
        for source in sources()
        if source.wide_kind is not None
        for linked, through in source.found_through
        if linked is model
    ]


def refresh_wide(source: Source, ids: Iterable[int]) -> None:
    """Rewrite the wide documents of these records of ``source`` from their own documents and
    their links' link documents as stored (records with no document of their own lose theirs)."""
    kind = source.wide_kind
    if kind is None:
        return
    for chunk in _chunks(dict.fromkeys(ids)):
        own = dict(
            SearchDocument.objects.filter(kind=source.kind, object_id__in=chunk).values_list(
                "object_id", "body"
            )
        )
        _store(source, {}, {}, wide_texts(source, own))
        gone = [pk for pk in chunk if pk not in own]
        if gone:
            SearchDocument.objects.filter(kind=kind, object_id__in=gone).delete()


def _refresh_linking(source: Source, ids: list[int]) -> None:
    """The records linked to these records of ``source`` get their wide documents rewritten: a
    company renamed (or trashed) finds its people by its new text at once."""
    for other, through in _linking(source.model):
        for chunk in _chunks(ids):
            # ``through`` gives a one-column subquery of ids, as rows of one value.
            refresh_wide(other, [next(iter(row.values())) for row in through(chunk)])


def _write(source: Source, ids: list[int], *, fresh: bool = False) -> None:
    texts, links = _texts(source, ids)
    if fresh:
        # A rebuild writes wide documents once every kind's own and link documents are there.
        SearchDocument.objects.bulk_create(_rows(source, texts, links), batch_size=BATCH)
        return
    _store(source, texts, links, wide_texts(source, texts))
    # A statement each for what stays and what goes, only when there is some: a live record
    # (re)indexed after its write costs one.
    gone = [pk for pk in ids if pk not in texts]
    if gone:
        SearchDocument.objects.filter(kind__in=source.kinds, object_id__in=gone).delete()
    # Whoever is linked to these now (people moved here by a merge too) reads their text anew.
    _refresh_linking(source, ids)


def index_many(
    model: type[models.Model],
    ids: Iterable[int],
    *,
    dependents: bool = True,
    progress: Progress | None = None,
) -> None:
    """(Re)index these records of ``model``; trashed or missing ones leave the index.

    For bulk operations and merges: call it with every id touched, after the write. Many
    records at once from a page: :func:`kartoteka.core.search.background.index_many_later`.
    ``progress`` (a background job's counter) advances per batch of records.
    """
    source = source_for(model)
    if source is None:
        return
    # Part of the caller's transaction when there is one, without a savepoint (two round trips
    # per write): an index that failed to follow its record takes the whole change back.
    with transaction.atomic(savepoint=False):
        for chunk in _chunks(dict.fromkeys(ids)):
            _write(source, chunk)
            if dependents:
                for other, other_ids in source.dependents(chunk).items():
                    index_many(other, other_ids, dependents=False)
            if progress is not None:
                progress.advance(len(chunk))


def index(obj: models.Model, *, as_written: bool = False) -> None:
    """Bring one record's document up to date (and the documents that quote it).

    ``as_written``: ``obj`` is the record its creation has just written, in this transaction,
    so its document can be made from it (``Source.document``) instead of read back.
    """
    source = source_for(type(obj))
    text = source.document(obj) if source is not None and as_written else None
    link = source.link_document(obj) if source is not None and as_written else None
    if source is None or text is None or (link is None and source.documents_and_links is not None):
        index_many(type(obj), [obj.pk])
        return
    links = {obj.pk: link} if link is not None else {}
    with transaction.atomic(savepoint=False):
        # One record's document, by its key: the same plan whatever the record.
        with planned_once():
            alone = source.wide_kind is not None and source.links_none(obj)
            wide = {obj.pk: text} if alone else wide_texts(source, {obj.pk: text})
            _store(source, {obj.pk: text}, links, wide)
        _refresh_linking(source, [obj.pk])
        for other, other_ids in source.dependents([obj.pk]).items():
            index_many(other, other_ids, dependents=False)


def remove(obj: models.Model) -> None:
    """Take a record out of the index (it went to the trash); what quotes it is redone."""
    index(obj)  # a trashed record has no document; its dependents drop its name


def is_complete() -> bool:
    """Does every live searchable record have a document? (Cheap: counts only.)"""
    for source in sources():
        live = source.model._default_manager.count()
        for kind in source.kinds:
            if SearchDocument.objects.filter(kind=kind).count() != live:
                return False
    return True


def _analyze() -> None:
    if connection.vendor == "postgresql":
        # Fresh statistics, or the planner guesses match counts from the table before.
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{SearchDocument._meta.db_table}"')


def rebuild(progress: Progress | None = None) -> dict[str, int]:
    """Index every record from scratch, in batches, in one transaction (searches meanwhile see
    the old index: no index is dropped, nothing is locked for readers); returns
    {group: documents written}. ``progress`` (a background job's counter, see
    :mod:`kartoteka.core.search.background`) learns the total first and advances per batch."""
    written: dict[str, int] = {}
    if progress is not None:
        progress.set_total(sum(source.model._default_manager.count() for source in sources()))
    with transaction.atomic():
        for source in sources():
            SearchDocument.objects.filter(kind__in=source.kinds).delete()
            ids = source.model._default_manager.order_by("pk").values_list("pk", flat=True)
            last = 0
            count = 0
            while True:
                chunk = list(ids.filter(pk__gt=last)[:BATCH])
                if not chunk:
                    break
                _write(source, chunk, fresh=True)
                count += len(chunk)
                last = chunk[-1]
                if progress is not None:
                    progress.advance(len(chunk))
            written[source.group] = count
        for source in sources():
            if source.wide_kind is not None:
                live = source.model._default_manager.order_by("pk").values_list("pk", flat=True)
                refresh_wide(source, list(live))
    indexes.compact(connection)
    _analyze()
    return written
