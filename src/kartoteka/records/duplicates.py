"""The Duplicates page for any record kind: likely pairs, one reason per tab, a page at a time.

Each kind says why two of its records may be one (``RecordKind.duplicate_reasons``: same INN,
phone, email, a similar name...); this module groups the records the user may edit by each
reason's key, in pages, with a bounded number of queries whatever the size of the base.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber

from kartoteka.core import access, kinds
from kartoteka.core.models import Record
from kartoteka.records.custom_queries import folded

if TYPE_CHECKING:
    from kartoteka.accounts.models import User

#: below this a pair of names is not worth showing
SIMILARITY_THRESHOLD = 0.85
GROUPS_PER_PAGE = 25


@dataclass
class Pair:
    """Two records that look like one; ``first`` is the older, offered as the one to keep."""

    first: Record
    second: Record
    reason: str  # the reason's code: "inn", "phone", "email", "name"...
    value: str  # the shared key: INN, phone, email, name key
    score: int  # 100 unless the names are only similar
    label: str  # the reason as people read it


@dataclass
class PairsPage:
    pairs: list[Pair]
    next_after: str | None
    after: str


def reasons(entity: str) -> tuple[kinds.DuplicateReason, ...]:
    """Why records of ``entity`` may be duplicates (none for a kind that says nothing)."""
    kind = kinds.record_kind(entity)
    return kind.duplicate_reasons if kind is not None else ()


def kinds_with_duplicates() -> list[kinds.RecordKind]:
    return [kind for kind in kinds.record_kinds() if kind.duplicate_reasons]


def _groups(rows: QuerySet[Any], key: str, owner: str, after: str, size: int) -> list[str]:
    """Keys shared by more than one record, in key order after ``after``: one GROUP BY query."""
    grouped = (
        rows.filter(**{f"{key}__gt": after})
        .values(key)
        .annotate(records=Count(owner, distinct=True))
        .filter(records__gt=1)
        .order_by(key)
        .values_list(key, flat=True)
    )
    return list(grouped[: size + 1])


def _members(
    rows: QuerySet[Any], key: str, owner: str, keys: list[str], cap: int
) -> dict[str, list[int]]:
    """The first ``cap`` record ids of each group, oldest first: one query, bounded."""
    numbered = (
        rows.filter(**{f"{key}__in": keys})
        .annotate(place=Window(RowNumber(), partition_by=[F(key)], order_by=[F(owner).asc()]))
        .filter(place__lte=cap * 2)  # * 2: a record may carry the same phone twice
        .values_list(key, owner)
    )
    members: dict[str, list[int]] = {}
    for value, pk in numbered:
        group = members.setdefault(value, [])
        if pk not in group and len(group) < cap:
            group.append(pk)
    return members


def duplicate_pairs(
    user: User, entity: str, reason: str, *, after: str = "", size: int = GROUPS_PER_PAGE
) -> PairsPage:
    """Likely duplicate pairs among records the user may view and edit, ``size`` groups a page.

    Work is bounded whatever the size of the base: one GROUP BY query for the page's groups,
    one for their first members (a window function caps each group), one for the records.
    """
    kind = kinds.record_kind(entity)
    if kind is None or not kind.duplicate_reasons:
        return PairsPage([], None, after)
    found = {item.code: item for item in kind.duplicate_reasons}
    why = found.get(reason, kind.duplicate_reasons[0])
    editable = access.scoped(kind.model.objects.all(), user, "edit")
    rows, key, owner = why.rows(editable)
    keys = _groups(rows, key, owner, after, size)
    next_after = keys[size - 1] if len(keys) > size else None
    keys = keys[:size]
    if not keys:
        return PairsPage([], None, after)
    members = _members(rows, key, owner, keys, why.members)
    ids = {pk for group in members.values() for pk in group}
    records = editable.filter(pk__in=ids).select_related("owner", "branch").in_bulk()
    details = why.details(rows, ids) if why.details is not None else {}
    pairs: list[Pair] = []
    for value in keys:
        group = [records[pk] for pk in members.get(value, []) if pk in records]
        if why.similarity is not None:
            pairs.extend(_similar_pairs(why, group, details))
        else:
            pairs.extend(
                Pair(group[0], other, why.code, value, 100, why.describe(value, 100))
                for other in group[1:]
            )
    return PairsPage(pairs, next_after, after)


def _similar_pairs(
    why: kinds.DuplicateReason, group: list[Record], details: dict[int, tuple[str, str]]
) -> list[Pair]:
    """Each record paired with the oldest earlier one it is the same as or similar to."""
    assert why.similarity is not None
    pairs = []
    for index, record in enumerate(group):
        mine = details.get(record.pk, ("", ""))
        for earlier in group[:index]:
            score = why.similarity(details.get(earlier.pk, ("", "")), mine)
            if score >= SIMILARITY_THRESHOLD:
                percent = int(score * 100)
                label = why.describe(mine[0], percent)
                pairs.append(Pair(earlier, record, why.code, mine[0], percent, label))
                break
    return pairs


def same_text(field: str, label: Any, pair_label: Any) -> kinds.DuplicateReason:
    """A reason for any kind: the same text in ``field`` (case, spaces and ё folded), e.g. two
    deals with one title. ``label`` names the tab, ``pair_label`` each pair."""

    def rows(editable: QuerySet[Any]) -> tuple[QuerySet[Any], str, str]:
        found = editable.exclude(**{field: ""}).annotate(duplicate_key=folded(F(field)))
        return found, "duplicate_key", "pk"

    return kinds.DuplicateReason(
        code=field, label=label, rows=rows, describe=lambda value, score: str(pair_label)
    )
