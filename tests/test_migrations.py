"""Every migration is reversible: all the way down to nothing and back up, on this database."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

OUR_APPS = ("clients", "records", "core", "accounts")


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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_single_phone_email_company_move_into_lists_and_back(db: Any) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("clients", "0001_initial")])
    old = executor.loader.project_state([("clients", "0001_initial")]).apps
    branch = old.get_model("accounts", "Branch").objects.create(name="Тверь")
    company = old.get_model("clients", "Company").objects.create(
        name="ООО «Старая схема»", phone="+74951234567", email="old@example.ru", branch_id=branch.pk
    )
    old.get_model("clients", "Contact").objects.create(
        last_name="Староверов",
        phone="+79161234567",
        email="p@example.ru",
        company_id=company.pk,
        branch_id=branch.pk,
    )

    # Forward only as far as the move (a full forward and back costs ~15 s of state rendering);
    # the last step below runs the rest of the chain over the same rows.
    moved = [("clients", "0004_drop_single_channels")]
    executor = MigrationExecutor(connection)
    executor.migrate(moved)
    lists = MigrationExecutor(connection).loader.project_state(moved).apps
    new_company = lists.get_model("clients", "Company").objects.get(name="ООО «Старая схема»")
    assert [(p.number, p.kind) for p in new_company.phones.all()] == [("+74951234567", "work")]
    assert [e.address for e in new_company.emails.all()] == ["old@example.ru"]
    person = lists.get_model("clients", "Contact").objects.get(last_name="Староверов")
    assert [p.number for p in person.phones.all()] == ["+79161234567"]
    assert [job.company_id for job in person.employments.all()] == [new_company.pk]

    executor = MigrationExecutor(connection)
    executor.migrate([("clients", "0001_initial")])
    back = MigrationExecutor(connection).loader.project_state([("clients", "0001_initial")]).apps
    restored = back.get_model("clients", "Contact").objects.get(last_name="Староверов")
    assert (restored.phone, restored.email, restored.company_id) == (
        "+79161234567",
        "p@example.ru",
        company.pk,
    )
    assert back.get_model("clients", "Company").objects.get(pk=company.pk).phone == "+74951234567"

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    from kartoteka.clients.models import Company, Contact

    now = Company.objects.get(name="ООО «Старая схема»")
    assert [(p.number, p.kind) for p in now.phones.all()] == [("+74951234567", "work")]
    assert [e.address for e in now.emails.all()] == ["old@example.ru"]
    person = Contact.objects.get(last_name="Староверов")
    assert [p.number for p in person.phones.all()] == ["+79161234567"]
    assert [job.company_id for job in person.employments.all()] == [now.pk]
