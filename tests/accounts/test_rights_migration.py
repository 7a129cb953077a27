"""The data migration gives existing roles the new rights they used to borrow, and goes back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kartoteka.accounts.builtin_roles import builtin_roles

BEFORE = ("accounts", "0002_builtin_roles")
AFTER = ("accounts", "0003_explicit_settings_and_batches_rights")
OLD_ENTITIES = ("companies", "contacts", "users", "roles", "branches", "audit", "trash")
ACTIONS = ("view", "create", "edit", "delete", "export", "assign")
# What the migration knows; record kinds registered since grant their cells in their own migrations.
BUILTIN_ROLES = builtin_roles((*OLD_ENTITIES, "settings", "batches"))


def _old_builtin(code: str) -> dict[tuple[str, str], str]:
    """The built-in roles as they were before the migration (no settings or batches cells)."""
    if code == "administrator":
        return {(e, a): "all" for e in OLD_ENTITIES for a in ACTIONS}
    return {
        key: scope
        for key, scope in BUILTIN_ROLES[code][2].items()
        if key[0] not in ("settings", "batches")
    }


def _cells(apps: Any, code: str) -> dict[tuple[str, str], str]:
    grants = apps.get_model("accounts", "RoleGrant").objects.filter(
        role__code=code, entity__in=(*OLD_ENTITIES, "settings", "batches")
    )
    return {(g.entity, g.action): g.scope for g in grants}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_roles_get_the_rights_they_borrowed(db: Any) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    Role, RoleGrant = old.get_model("accounts", "Role"), old.get_model("accounts", "RoleGrant")
    # Given the built-in roles as they were, and two custom roles relying on borrowed rights
    for code in BUILTIN_ROLES:
        role = Role.objects.get(code=code)
        RoleGrant.objects.filter(role=role).delete()
        for (entity, action), scope in _old_builtin(code).items():
            RoleGrant.objects.create(role=role, entity=entity, action=action, scope=scope)
    settings_admin = Role.objects.create(code="settings_admin", name="Settings admin")
    for action, scope in (("view", "own"), ("edit", "branch")):
        RoleGrant.objects.create(role=settings_admin, entity="roles", action=action, scope=scope)
    RoleGrant.objects.create(role=settings_admin, entity="users", action="edit", scope="own")
    clerk = Role.objects.create(code="clerk", name="Clerk")
    RoleGrant.objects.create(role=clerk, entity="contacts", action="edit", scope="team")

    # When the migration runs
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])
    new = executor.loader.project_state([AFTER]).apps

    # Then the built-in roles are exactly as shipped now
    for code, (_name, _description, cells) in BUILTIN_ROLES.items():
        assert _cells(new, code) == cells, code
    # and custom roles keep what they could do, under the new names
    assert _cells(new, "settings_admin") == {
        ("roles", "view"): "all",
        ("roles", "edit"): "all",
        ("settings", "view"): "all",
        ("settings", "edit"): "all",
    }
    assert _cells(new, "clerk") == {
        ("contacts", "edit"): "team",
        ("batches", "view"): "own",
        ("batches", "edit"): "own",
    }

    # And back: the new cells go, the administrator's old cells return
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([BEFORE])
    back = executor.loader.project_state([BEFORE]).apps
    assert _cells(back, "administrator") == _old_builtin("administrator")
    assert (
        not back.get_model("accounts", "RoleGrant")
        .objects.filter(entity__in=("settings", "batches"))
        .exists()
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
