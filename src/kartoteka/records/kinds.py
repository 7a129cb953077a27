"""The access-table entities of the platform every record kind shares: trash, settings, bulk
changes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kartoteka.core import kinds

_GLOBAL = ("all",)


def register() -> None:
    # The trash shows and restores records within the user's view of each record kind; the
    # cell itself is company-wide.
    kinds.register_entity(
        kinds.Entity(
            code="trash",
            label=_("trash"),
            position=140,
            cells=dict.fromkeys(("view", "edit"), _GLOBAL),
        )
    )
    # Custom fields, group rules, tags and shared saved views: one set for the whole company.
    kinds.register_entity(
        kinds.Entity(
            code="settings",
            label=_("settings: custom fields, group rules, tags, shared views"),
            position=150,
            cells=dict.fromkeys(("view", "edit"), _GLOBAL),
        )
    )
    # Bulk changes: view = see them, edit = undo them; own = made by oneself, team = by oneself or
    # teammates, branch = by one's branch's people, all = everyone's. Undoing still puts back
    # only records the user may change.
    kinds.register_entity(
        kinds.Entity(
            code="batches",
            label=_("bulk changes"),
            position=160,
            cells=dict.fromkeys(("view", "edit"), kinds.SCOPES),
        )
    )
