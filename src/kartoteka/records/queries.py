"""Reads every record kind shares, already scoped to the user: its list (searched and filtered by
its field list and custom fields) and its saved views."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet

from kartoteka.core import access, kinds, search
from kartoteka.core.ids import parse_id
from kartoteka.records import custom_queries
from kartoteka.records.models import SavedView

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


def apply_filters(
    queryset: QuerySet[Any], table: Mapping[str, str], params: Mapping[str, Any]
) -> QuerySet[Any]:
    """``queryset`` narrowed by the list filters in ``params`` (``table``: parameter -> lookup)."""
    for name, lookup in table.items():
        value = params.get(name)
        if value not in (None, ""):
            # An id beyond 64 bits, or text with NUL (which no value holds), names nothing.
            if lookup.endswith("_id"):
                value = parse_id(value)
            if value is None or "\x00" in str(value):
                return queryset.none()
            queryset = queryset.filter(**{lookup: value})
    return queryset


def filtered(
    queryset: QuerySet[Any], kind: kinds.RecordKind, params: Mapping[str, Any]
) -> QuerySet[Any]:
    """The kind's list filters (its field list's) and custom field filters (``cf_<code>``)."""
    queryset = apply_filters(queryset, kind.filters(), params)
    if kind.custom_fields:
        # Each type compares its own way (numbers as numbers, lists by element, ranges).
        queryset = custom_queries.filter_by_custom(queryset, kind.entity, params)
    if any(params.get(p) for p, lookup in kind.filters().items() if _many(kind, lookup)):
        # A filter through a many-to-many (a tag) can meet a record more than once.
        queryset = queryset.distinct()
    return queryset


def _many(kind: kinds.RecordKind, lookup: str) -> bool:
    """Does ``lookup`` go through a relation that holds many rows per record?"""
    try:
        relation = kind.model._meta.get_field(lookup.split("__", 1)[0])
    except FieldDoesNotExist:
        return False
    return bool(relation.many_to_many or relation.one_to_many)


def generic_listing(
    kind: kinds.RecordKind,
    user: User,
    *,
    text: str = "",
    params: Mapping[str, Any] | None = None,
    action: str = "view",
) -> QuerySet[Any]:
    """Records of ``kind`` that ``user`` may ``action``, found by ``text`` (the search index)
    and filtered by ``params``: what a kind without its own list query gets."""
    queryset = access.scoped(kind.model.objects.all(), user, action).select_related(
        "owner", "branch"
    )
    if kind.tags:
        queryset = queryset.prefetch_related("tags")
    if text.strip() and kind.search is not None:
        queryset = queryset.filter(search.matches(user, kind.model, text))
    if params:
        queryset = filtered(queryset, kind, params)
    return queryset


def listing(
    kind: kinds.RecordKind,
    user: User,
    *,
    text: str = "",
    params: Mapping[str, Any] | None = None,
    action: str = "view",
) -> QuerySet[Any]:
    """The kind's list as its page and API show it (its own query, or the generic one)."""
    if kind.listing is not None:
        return kind.listing(user, text=text, params=params, action=action)
    return generic_listing(kind, user, text=text, params=params, action=action)


def saved_views(user: User, entity: str) -> QuerySet[SavedView]:
    """The user's own views and everyone's shared ones, for the list's tabs."""
    return SavedView.objects.filter(Q(owner=user) | Q(is_shared=True), entity=entity).order_by(
        "name"
    )
