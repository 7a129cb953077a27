"""The full-name indexes come and go with their migration, on this database; on SQLite a
database analysed before has them measured too, so the planner does not pass them over."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("clients", "0014_updated_at_indexes")
AFTER = ("clients", "0015_contact_full_name_indexes")
NEW = {"contact_full_name_idx", "contact_owner_full_name_idx", "contact_branch_full_name_idx"}
OLD = {"contact_last_name_idx", "contact_owner_name_idx", "contact_branch_name_idx"}


def _migrate(target: tuple[str, str]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, "clients_contact"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_full_name_indexes_forward_and_back(db: Any) -> None:
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(BEFORE)
    assert OLD <= _indexes() and not NEW & _indexes()
    branch = old.get_model("accounts", "Branch").objects.create(name="Тверь")
    owner = old.get_model("accounts", "User").objects.create(username="owner", branch=branch)
    for surname in ("Абрамова", "Белова", "Абрамова"):
        old.get_model("clients", "Contact").objects.create(
            last_name=surname, first_name="Анна", owner=owner, branch=branch
        )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # a database whose planner already has statistics

    _migrate(AFTER)
    assert NEW <= _indexes() and not OLD & _indexes()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'clients_contact'")
            measured = {row[0] for row in cursor.fetchall()}
        assert NEW <= measured

    _migrate(BEFORE)
    assert OLD <= _indexes() and not NEW & _indexes()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(leaves)
    assert NEW <= _indexes()
