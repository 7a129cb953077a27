"""The list-sort indexes come and go with their migrations, on this database; on SQLite a
database analysed before has them measured too, so the planner does not pass them over."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.migrating import migrations_moved

#: (before, after, indexes only before, indexes only after), per table
STEPS = [
    (
        ("clients", "0014_updated_at_indexes"),
        ("clients", "0015_contact_full_name_indexes"),
        {"clients_contact": {"contact_last_name_idx", "contact_owner_name_idx"}},
        {"clients_contact": {"contact_full_name_idx", "contact_owner_full_name_idx"}},
    ),
    (
        ("clients", "0015_contact_full_name_indexes"),
        ("clients", "0016_name_sort_indexes_end_with_id"),
        {
            "clients_contact": {"contact_full_name_idx", "contact_branch_full_name_idx"},
            "clients_company": {"company_name_idx", "company_owner_name_idx"},
        },
        {
            "clients_contact": {"contact_name_id_idx", "contact_branch_name_id_idx"},
            "clients_company": {"company_name_id_idx", "company_owner_name_id_idx"},
        },
    ),
    (
        ("clients", "0016_name_sort_indexes_end_with_id"),
        ("clients", "0017_company_owner_status_index"),
        {},
        {"clients_company": {"company_owner_status_idx"}},
    ),
]


def _has(indexes: dict[str, set[str]]) -> bool:
    with connection.cursor() as cursor:
        return all(
            names <= set(connection.introspection.get_constraints(cursor, table))
            for table, names in indexes.items()
        )


def _has_none(indexes: dict[str, set[str]]) -> bool:
    with connection.cursor() as cursor:
        return not any(
            names & set(connection.introspection.get_constraints(cursor, table))
            for table, names in indexes.items()
        )


@pytest.mark.parametrize(("before", "after", "old", "new"), STEPS, ids=["0015", "0016", "0017"])
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_name_sort_indexes_forward_and_back(
    db: Any,
    before: tuple[str, str],
    after: tuple[str, str],
    old: dict[str, set[str]],
    new: dict[str, set[str]],
) -> None:
    with migrations_moved() as _migrate:
        apps = _migrate(before)
        assert _has(old) and _has_none(new)
        branch = apps.get_model("accounts", "Branch").objects.create(name="Тверь")
        owner = apps.get_model("accounts", "User").objects.create(username="owner", branch=branch)
        for surname in ("Абрамова", "Белова", "Абрамова"):
            apps.get_model("clients", "Contact").objects.create(
                last_name=surname, first_name="Анна", owner=owner, branch=branch
            )
            apps.get_model("clients", "Company").objects.create(
                name=f"ООО «{surname}»", owner=owner, branch=branch
            )
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # a database whose planner already has statistics

        _migrate(after)
        assert _has(new) and _has_none(old)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("SELECT tbl, idx FROM sqlite_stat1")
                measured: dict[str, set[str]] = {}
                for table, index in cursor.fetchall():
                    measured.setdefault(table, set()).add(index)
            assert all(names <= measured.get(table, set()) for table, names in new.items())

        _migrate(before)
        assert _has(old) and _has_none(new)
    assert _has(STEPS[-1][3])  # what the latest migration left
