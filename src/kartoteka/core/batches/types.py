"""The vocabulary of bulk changes: operations, follow-ups, counts and results."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kartoteka.core.errors import DomainError
from kartoteka.core.models import Batch, Record

if TYPE_CHECKING:
    pass

#: records read, locked and written per round trip
CHUNK = 500
#: more than this in one batch is refused: it would hold row locks for too long
MAX_RECORDS = 50_000
#: above this many distinct values a column is written with one CASE update, not one per value
_GROUPED_UPDATES = 20

IdsOrQuerySet = Iterable[int] | QuerySet[Any]

#: the grant each record needs, by kind of batch
KIND_ACTIONS = {
    "reassign": "assign",
    "handover": "assign",
    "set_field": "edit",
    "tag": "edit",
    "untag": "edit",
    "trash": "delete",
}


class AlreadyUndoneError(DomainError):
    code = "already_undone"
    status = 409

    def __init__(self) -> None:
        super().__init__(_("This bulk change has already been undone."))


@dataclass
class Counts:
    """How many records a bulk change changes, and why the others are left alone."""

    changed: int = 0
    #: the actor may not do this to them (or they are gone, or were never visible)
    skipped_forbidden: int = 0
    #: they already have the value
    skipped_unchanged: int = 0
    by_model: dict[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        return self.skipped_forbidden + self.skipped_unchanged

    def as_summary(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "skipped_forbidden": self.skipped_forbidden,
            "skipped_unchanged": self.skipped_unchanged,
            "records": dict(self.by_model),
        }


@dataclass(frozen=True)
class UndoResult:
    batch: Batch
    restored: int
    #: records changed by someone after the batch: left as they are
    kept: int

    @property
    def message(self) -> str:
        text = _("Undone: %(name)s.") % {"name": self.batch.name}
        if self.kept:
            text += " " + ngettext(
                "%(count)d record was changed after the batch and was left as it is.",
                "%(count)d records were changed after the batch and were left as they are.",
                self.kept,
            ) % {"count": self.kept}
        return text


@dataclass(frozen=True)
class FollowUp:
    """What else a change sets off on one record (a group rule adding a tag, say).

    ``values`` are more fields and their new stored values (``{"tags.7": True}``), written with
    the change, kept in the same batch and undone with it; ``audit`` adds lines to the record's
    audit entry (``{"rules": [None, [...]]}``).
    """

    values: dict[str, Any]
    audit: dict[str, list[Any]] = field(default_factory=dict)


#: (model, [(record as it was, {field: new stored value})]) -> {record id: FollowUp}; called once
#: per chunk with the records the change really changes, so it can work in a few queries
FollowUps = Callable[[type[Record], Sequence[tuple[Record, dict[str, Any]]]], dict[int, FollowUp]]


@dataclass(frozen=True)
class Operation:
    """What a bulk change does to each record: the fields it touches and their new values.

    ``values(record, position)`` gives the new stored value of every field in ``fields``;
    ``position`` counts the records the actor may change, in id order (for round robin).
    ``follow_ups``, if given, says what else the change sets off on the changed records; a field
    the operation sets itself is never overridden by a follow-up.
    """

    kind: str
    fields: tuple[str, ...]
    values: Callable[[Record, int], dict[str, Any]]
    follow_ups: FollowUps | None = None

    @property
    def action(self) -> str:
        return KIND_ACTIONS[self.kind]
