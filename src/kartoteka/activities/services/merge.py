"""What a merge of two companies or two contacts moves: the merged-away record's activities,
tasks and meetings go to the survivor, so its history and plans are not lost."""

from __future__ import annotations

from typing import Any

from kartoteka.accounts.models import User
from kartoteka.activities.models import Activity, CalendarEvent, Task
from kartoteka.core import kinds

_MODELS = (("activities", Activity), ("tasks", Task), ("events", CalendarEvent))


def _mover(field: str) -> kinds.LinkMover:
    def move(*, actor: User, survivor: Any, other: Any) -> dict[str, list[Any]]:
        changes: dict[str, list[Any]] = {}
        for name, model in _MODELS:
            # All rows, trashed ones too: restoring one later finds it on the survivor.
            moved = model.all_objects.filter(**{field: other}).update(**{field: survivor})
            if moved:
                changes[name] = [None, moved]  # the audit trail labels it by the kind
        return changes

    return move


def register() -> None:
    """Merges of companies and contacts move their activities, tasks and meetings."""
    kinds.register_link_mover("companies", "activities", _mover("company"))
    kinds.register_link_mover("contacts", "activities", _mover("contact"))
