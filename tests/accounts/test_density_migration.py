"""The list density column comes and goes with its migration, on this database; users made
before it read as compact."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.migrating import migrations_moved

BEFORE = ("accounts", "0004_entity_from_the_registry")
AFTER = ("accounts", "0005_user_list_density")


def _columns() -> set[str]:
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, "accounts_user")
    return {column.name for column in described}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_density_migration_forward_and_back(db: Any) -> None:
    with migrations_moved() as _migrate:
        old = _migrate(BEFORE)
        assert "list_density" not in _columns()
        branch = old.get_model("accounts", "Branch").objects.create(name="Тверь")
        old.get_model("accounts", "User").objects.create(username="before", branch=branch)

        new = _migrate(AFTER)
        user = new.get_model("accounts", "User").objects.get(username="before")
        assert user.list_density == "compact"
        user.list_density = "comfortable"
        user.save()

        _migrate(BEFORE)
        assert "list_density" not in _columns()
        assert old.get_model("accounts", "User").objects.filter(username="before").exists()
    assert "list_density" in _columns()
