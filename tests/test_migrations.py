"""Every migration is reversible: all the way down to nothing and back up, on this database."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

OUR_APPS = ("clients", "core", "accounts")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrations_unapply_and_reapply(db: Any) -> None:
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    ours = [node for node in leaves if node[0] in OUR_APPS]
    assert len(ours) == len(OUR_APPS)

    executor.migrate([(app, None) for app in OUR_APPS])
    tables = set(connection.introspection.table_names())
    assert not {"clients_company", "accounts_user", "core_auditentry"} & tables

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(leaves)
    tables = set(connection.introspection.table_names())
    assert {"clients_company", "clients_contact", "accounts_user", "core_auditentry"} <= tables
    from kartoteka.accounts.models import Role

    assert Role.objects.filter(is_builtin=True).count() == 7


def test_models_match_migrations(db: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
