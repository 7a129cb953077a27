"""Reading prefetched related rows, and letting them go once a request is answered.

Django's prefetch ties every row and its related rows into reference cycles: the row holds a
queryset of its phones (``_prefetched_objects_cache``), that queryset holds the row (its filter
and hints), and each phone holds the row back (its ``contact`` cache). Reference counting never
frees a cycle, so each 50-row list left thousands of objects for the cycle collector, whose full
collections then stalled every dozenth request. Rows read through :class:`ReleasingQuerySet`
during a request are noted, and :class:`ReleasePrefetchedMiddleware` drops their prefetch caches
once the response is made: nothing points from a row to its children any more, so the whole
page is freed by reference counting the moment the request lets it go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Any, cast

from django.db import models
from django.db.models import prefetch_related_objects
from django.db.models.query import ModelIterable
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty

from kartoteka.core.json_lists import JsonList, fill
from kartoteka.core.rest.serializers import unbind

#: the row lists read with prefetches during the current request (None outside a request)
_read: ContextVar[list[list[Any]] | None] = ContextVar("kartoteka_prefetched_rows", default=None)


def prefetched(record: Any, name: str) -> list[Any]:
    """``record.<name>.all()`` as a list, straight from the prefetch cache when it is there.

    Building a related manager and a queryset per row and relation is most of what rendering a
    50-row list costs; the cache already holds the rows.
    """
    cache = getattr(record, "_prefetched_objects_cache", {})
    if name in cache:
        return list(cache[name])
    return list(getattr(record, name).all())


def remember(record: Any, name: str, rows: Iterable[Any]) -> None:
    """Put ``rows`` on ``record`` as its prefetched ``name`` list, as a prefetch would have.

    For a write that knows a list whole (a record it has just created, with the rows it has
    just inserted): whoever reads the list next (the search document, the API's answer) need
    not read it back. Django drops the list again if the relation is then changed through its
    manager (``add``, ``remove``...). Released like a :class:`ReleasingQuerySet`'s rows.
    """
    cache = getattr(record, "_prefetched_objects_cache", None)
    if cache is None:
        cache = record._prefetched_objects_cache = {}
    cache.pop(name, None)
    queryset = getattr(record, name).get_queryset()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    cache[name] = queryset
    _note([record])


def remembered(record: Any, *names: str) -> dict[str, list[Any]] | None:
    """``record``'s prefetched lists ``names``, or None unless every one of them is there."""
    cache = getattr(record, "_prefetched_objects_cache", None) or {}
    if not all(name in cache for name in names):
        return None
    return {name: list(cache[name]) for name in names}


def release(rows: Iterable[Any]) -> None:
    """Drop the prefetch caches of ``rows`` and of every row reached from them, through their
    prefetched lists or their joined (``select_related``) rows: the links that close the
    cycles. A row used again afterwards reads its lists from the database."""
    pending = list(rows)
    seen: set[int] = set()
    while pending:
        row = pending.pop()
        if id(row) in seen:
            continue
        seen.add(id(row))
        state = getattr(row, "_state", None)
        if state is not None:
            pending.extend(state.fields_cache.values())
        cache = getattr(row, "_prefetched_objects_cache", None)
        if cache:
            for related in cache.values():
                pending.extend(getattr(related, "_result_cache", None) or ())
            row._prefetched_objects_cache = {}


def attach_known(rows: Sequence[models.Model], field: str, known: Iterable[models.Model]) -> None:
    """Give each of ``rows`` its ``field`` (a foreign key) from ``known``, the objects a page
    has read anyway (the people of its owner filter, its branches), as a join would have;
    those not among them are read in one statement. A list page joined its rows' owners and
    branches for their names: 51 more of each built per page, for the same few people."""
    if not rows:
        return
    link = rows[0]._meta.get_field(field)
    assert isinstance(link, models.ForeignKey), f"{field} is no foreign key"
    target = cast(type[models.Model], link.related_model)
    by_id = {item.pk: item for item in known}
    ids = {getattr(row, link.attname) for row in rows}
    missing = ids - by_id.keys() - {None}
    if missing:
        by_id.update((item.pk, item) for item in target._base_manager.filter(pk__in=missing))
    for row in rows:
        value = getattr(row, link.attname)
        row._state.fields_cache[link.name] = None if value is None else by_id.get(value)


def prefetch(rows: list[Any], *lookups: Any) -> None:
    """``prefetch_related_objects(rows, *lookups)``, released like a :class:`ReleasingQuerySet`'s
    rows when the request ends."""
    prefetch_related_objects(rows, *lookups)
    _note(rows)


def _note(rows: list[Any]) -> None:
    read = _read.get()
    if read is not None and rows:
        read.append(rows)


class ReleasingQuerySet(models.QuerySet[Any]):
    """A queryset whose prefetched rows are released when the request that read them ends,
    and which reads the lists :func:`kartoteka.core.json_lists.with_lists` asked for."""

    _json_lists: tuple[JsonList, ...] = ()

    def _clone(self) -> ReleasingQuerySet:
        clone: ReleasingQuerySet = super()._clone()  # type: ignore[misc]
        clone._json_lists = self._json_lists
        return clone

    def _fetch_all(self) -> None:
        fresh = self._result_cache is None  # type: ignore[attr-defined]
        super()._fetch_all()  # type: ignore[misc]
        if fresh and self._json_lists and self._iterable_class is ModelIterable:  # type: ignore[attr-defined]
            fill(self._result_cache or [], self._json_lists)  # type: ignore[attr-defined]

    def _prefetch_related_objects(self) -> None:
        super()._prefetch_related_objects()  # type: ignore[misc]
        _note(self._result_cache or [])  # type: ignore[attr-defined]


def unlink(response: HttpResponseBase) -> None:
    """Untie a rendered REST response from its view, the other cycle a page of rows hangs on.

    DRF's response names its view and request (``renderer_context``), and the view names the
    response and its paginator, which holds the page; the request's ``parser_context`` names
    the view again. Once the body is rendered none of these links is used.
    """
    context = response.__dict__.pop("renderer_context", None)
    if not isinstance(context, dict):
        return
    view = context.get("view")
    if view is not None:
        for serializer in view.__dict__.pop("made_serializers", ()):
            unbind(serializer)
        # ``as_view`` also gives the view its handlers as bound methods of itself.
        for name in ("response", "_paginator", "request", "args", "kwargs", "head"):
            view.__dict__.pop(name, None)
        for method in getattr(view, "action_map", None) or {}:
            view.__dict__.pop(method, None)
    request = context.get("request")
    if request is not None and isinstance(getattr(request, "parser_context", None), dict):
        request.parser_context = {}
    context.clear()


def untie(request: HttpRequest) -> None:
    """Untie an answered request from the closures Django's middleware hung on it.

    ``request.user`` (and ``auser``) close over the request, and the message storage holds it:
    small, but a cycle on every request. The user read stays readable as a plain attribute.
    """
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        wrapped = user._wrapped  # type: ignore[attr-defined]
        if wrapped is empty:
            del request.__dict__["user"]
        else:
            request.user = wrapped
    for name in ("auser", "_messages"):
        request.__dict__.pop(name, None)


class ReleasePrefetchedMiddleware:
    """Releases (:func:`release`) the rows read with prefetches once the response is made, and
    unties a REST response from its view (:func:`unlink`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        read: list[list[Any]] = []
        token = _read.set(read)
        try:
            response = self.get_response(request)
        finally:
            _read.reset(token)
        if response.streaming:
            # The body is made later, perhaps from these rows: they go when it is closed.
            response._resource_closers.append(lambda: _release_all(read))  # type: ignore[attr-defined]
        else:
            _release_all(read)
            if getattr(response, "is_rendered", True):
                unlink(response)
            untie(request)
        return response


def _release_all(read: list[list[Any]]) -> None:
    for rows in read:
        release(rows)
