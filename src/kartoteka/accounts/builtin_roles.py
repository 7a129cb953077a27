"""The roles Kartoteka ships with. Administrators can edit them or add their own.

What a built-in role may do to people and the platform's settings is written here; what it may do
to records comes from the record kinds themselves (``RecordKind.builtin_grants``, e.g.
:data:`SALES_RECORD`), so a new kind of record gives the built-in roles its cells by registering.
The administrator holds every cell that means something, at its widest scope.

A kind added to a running installation grants its cells in its own data migration with
:func:`install_builtin_roles` (``entities=["deals"]``), and takes them back with
:func:`remove_grants`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_noop

from kartoteka.core import kinds

ALL_ACTIONS = kinds.ACTIONS

#: What the built-in roles get on a record kind of the sales floor: companies and contacts, and
#: any later kind that says ``builtin_grants=SALES_RECORD``.
SALES_RECORD: dict[str, dict[str, str]] = {
    # All clients of every branch.
    "head_of_sales": dict.fromkeys(ALL_ACTIONS, "all"),
    # All clients of their own branch.
    "branch_head": dict.fromkeys(ALL_ACTIONS, "branch"),
    # Their own clients (plus those shared with them); handing them over is their head's call.
    "sales_manager": dict.fromkeys(("view", "create", "edit", "delete", "export"), "own"),
    # Sees and updates the clients of their branch; creates their own.
    "service_agent": {"view": "branch", "edit": "branch", "create": "own"},
    # Reads and exports every client for campaigns.
    "marketer": {"view": "all", "export": "all"},
    "auditor": {"view": "all"},
}


def _cells(
    entities: tuple[str, ...], actions: tuple[str, ...], scope: str
) -> dict[tuple[str, str], str]:
    return {(entity, action): scope for entity in entities for action in actions}


# Seeing and undoing one's own bulk changes, which every role that changes clients needs.
_OWN_BATCHES = _cells(("batches",), ("view", "edit"), "own")

# code -> (name, description, cells beyond the record kinds' own)
_ROLES: dict[str, tuple[str, str, dict[tuple[str, str], str]]] = {
    "administrator": (
        gettext_noop("Administrator"),
        gettext_noop("Everything, including users, roles, the audit trail and the trash."),
        {},  # every cell: see builtin_roles()
    ),
    "head_of_sales": (
        gettext_noop("Head of sales"),
        gettext_noop("All clients of every branch; sees every manager."),
        {
            ("users", "view"): "all",
            # They may change every client, so they may also see and undo anyone's bulk change.
            **_cells(("batches",), ("view", "edit"), "all"),
        },
    ),
    "branch_head": (
        gettext_noop("Branch head"),
        gettext_noop("All clients and people of their own branch."),
        {("users", "view"): "branch", **_OWN_BATCHES},
    ),
    "sales_manager": (
        gettext_noop("Sales manager"),
        gettext_noop("Their own clients, plus those shared with them."),
        {("users", "view"): "own", **_OWN_BATCHES},
    ),
    "service_agent": (
        gettext_noop("Service agent"),
        gettext_noop("Sees and updates the clients of their branch; creates their own."),
        {("users", "view"): "own", **_OWN_BATCHES},
    ),
    "marketer": (
        gettext_noop("Marketer"),
        gettext_noop("Reads and exports every client for campaigns; changes nothing."),
        {("users", "view"): "own"},
    ),
    "auditor": (
        gettext_noop("Read-only auditor"),
        gettext_noop("Reads everything, including the audit trail and the trash; changes nothing."),
        _cells(
            ("users", "roles", "branches", "settings", "audit", "trash", "batches"),
            ("view",),
            "all",
        ),
    ),
}


def _everything() -> dict[tuple[str, str], str]:
    # Every cell that means something, at its widest scope.
    return {
        (entity.code, action): scopes[-1]
        for entity in kinds.entities()
        for action, scopes in entity.cells.items()
        if scopes
    }


def builtin_roles(
    entities: Iterable[str] | None = None,
) -> dict[str, tuple[str, str, dict[tuple[str, str], str]]]:
    """code -> (name, description, {(entity, action): scope}) of every built-in role, over the
    registered entities (or only ``entities``)."""
    wanted = set(entities) if entities is not None else None
    roles = {}
    for code, (name, description, platform) in _ROLES.items():
        cells = _everything() if code == "administrator" else dict(platform)
        if code != "administrator":
            for kind in kinds.record_kinds():
                for action, scope in kind.builtin_grants.get(code, {}).items():
                    cells[(kind.entity, action)] = scope
        if wanted is not None:
            cells = {key: scope for key, scope in cells.items() if key[0] in wanted}
        roles[code] = (name, description, cells)
    return roles


def install_builtin_roles(
    role_model: Any, grant_model: Any, *, entities: Iterable[str] | None = None
) -> None:
    """Create or refresh the built-in roles and their cells (only those of ``entities``, if
    given); works with historical models in migrations."""
    for code, (name, description, cells) in builtin_roles(entities).items():
        role, _created = role_model.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "is_builtin": True}
        )
        for (entity, action), scope in cells.items():
            grant_model.objects.update_or_create(
                role=role, entity=entity, action=action, defaults={"scope": scope}
            )


def remove_grants(grant_model: Any, entities: Iterable[str]) -> None:
    """Take away every role's cells of ``entities`` (a kind's migration undone)."""
    grant_model.objects.filter(entity__in=list(entities)).delete()
