"""The roles Kartoteka ships with. Administrators can edit them or add their own."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

ALL_ACTIONS = ("view", "create", "edit", "delete", "export", "assign")
CLIENT_ENTITIES = ("companies", "contacts")


def _cells(
    entities: tuple[str, ...], actions: tuple[str, ...], scope: str
) -> dict[tuple[str, str], str]:
    return {(entity, action): scope for entity in entities for action in actions}


def _everything() -> dict[tuple[str, str], str]:
    # Every cell that means something, at its widest scope (accounts.rights.MEANINGFUL).
    from kartoteka.accounts.rights import MEANINGFUL

    return {
        (entity, action): scopes[-1]
        for entity, actions in MEANINGFUL.items()
        for action, scopes in actions.items()
    }


# Seeing and undoing one's own bulk changes, which every role that changes clients needs.
_OWN_BATCHES = _cells(("batches",), ("view", "edit"), "own")

# code -> (name, description, {(entity, action): scope})
BUILTIN_ROLES: dict[str, tuple[str, str, dict[tuple[str, str], str]]] = {
    "administrator": (
        gettext_noop("Administrator"),
        gettext_noop("Everything, including users, roles, the audit trail and the trash."),
        _everything(),
    ),
    "head_of_sales": (
        gettext_noop("Head of sales"),
        gettext_noop("All clients of every branch; sees every manager."),
        {
            **_cells(CLIENT_ENTITIES, ALL_ACTIONS, "all"),
            ("users", "view"): "all",
            # They may change every client, so they may also see and undo anyone's bulk change.
            **_cells(("batches",), ("view", "edit"), "all"),
        },
    ),
    "branch_head": (
        gettext_noop("Branch head"),
        gettext_noop("All clients and people of their own branch."),
        {
            **_cells(CLIENT_ENTITIES, ALL_ACTIONS, "branch"),
            ("users", "view"): "branch",
            **_OWN_BATCHES,
        },
    ),
    "sales_manager": (
        gettext_noop("Sales manager"),
        gettext_noop("Their own clients, plus those shared with them."),
        {
            **_cells(CLIENT_ENTITIES, ("view", "create", "edit", "delete", "export"), "own"),
            ("users", "view"): "own",
            **_OWN_BATCHES,
        },
    ),
    "service_agent": (
        gettext_noop("Service agent"),
        gettext_noop("Sees and updates the clients of their branch; creates their own."),
        {
            **_cells(CLIENT_ENTITIES, ("view", "edit"), "branch"),
            **_cells(CLIENT_ENTITIES, ("create",), "own"),
            ("users", "view"): "own",
            **_OWN_BATCHES,
        },
    ),
    "marketer": (
        gettext_noop("Marketer"),
        gettext_noop("Reads and exports every client for campaigns; changes nothing."),
        {**_cells(CLIENT_ENTITIES, ("view", "export"), "all"), ("users", "view"): "own"},
    ),
    "auditor": (
        gettext_noop("Read-only auditor"),
        gettext_noop("Reads everything, including the audit trail and the trash; changes nothing."),
        {
            **_cells(
                (
                    "companies",
                    "contacts",
                    "users",
                    "roles",
                    "branches",
                    "settings",
                    "audit",
                    "trash",
                    "batches",
                ),
                ("view",),
                "all",
            ),
        },
    ),
}


def install_builtin_roles(role_model: Any, grant_model: Any) -> None:
    """Create or refresh the built-in roles; works with historical models in migrations."""
    for code, (name, description, cells) in BUILTIN_ROLES.items():
        role, _created = role_model.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "is_builtin": True}
        )
        for (entity, action), scope in cells.items():
            grant_model.objects.update_or_create(
                role=role, entity=entity, action=action, defaults={"scope": scope}
            )
