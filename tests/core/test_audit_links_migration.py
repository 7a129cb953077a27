"""Names written into the trail before links had ids become links, so history hides them too."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from kartoteka.core import audit
from kartoteka.core.models import AuditEntry
from tests.factories.accounts import BranchFactory, UserFactory
from tests.migrating import migrations_moved

BEFORE = ("clients", "0008_contact_documents_quote_no_employer")
AFTER = ("clients", "0009_audit_names_become_links")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_old_entries_name_hidden_records_as_hidden(db: Any) -> None:
    with migrations_moved() as migrate_to:
        old = migrate_to(BEFORE)
        branch = old.get_model("accounts", "Branch").objects.create(name="Казань-старое")
        owner = old.get_model("accounts", "User").objects.create(
            username="kazan_old", branch=branch, first_name="Ольга", last_name="Казанская"
        )
        company = old.get_model("clients", "Company")
        hidden = company.objects.create(name="ООО «Скрытая»", owner=owner, branch=branch)
        company.objects.create(name="ООО «Двойник»", owner=owner, branch=branch)
        company.objects.create(name="ООО «Двойник»", owner=owner, branch=branch)
        contact = old.get_model("clients", "Contact").objects.create(
            last_name="Старов", owner=owner, branch=branch
        )
        kind = old.get_model("contenttypes", "ContentType").objects.get(
            app_label="clients", model="contact"
        )
        legacy = {
            "shared_with": [None, "Ольга Казанская"],
            "companies": [[], ["ООО «Скрытая» — директор", "ООО «Двойник»"]],
            "merged_with": [None, f"#{contact.pk} «Старов»"],
            "city": ["", "Казань"],
        }
        entry = old.get_model("core", "AuditEntry").objects.create(
            action="update", content_type=kind, object_id=contact.pk, changes=legacy
        )

        # Forward, back and forward again at the two migrations themselves: going back from the
        # latest migrations to these takes seconds, one step between them a few milliseconds.
        written = migrate_to(AFTER)
        changes = written.get_model("core", "AuditEntry").objects.get(pk=entry.pk).changes
        assert changes["companies"][1][0]["id"] == hidden.pk
        migrate_to(BEFORE)
        assert AuditEntry.objects.get(pk=entry.pk).changes == legacy
        migrate_to(AFTER)

    moscow = BranchFactory(name="Москва-старое")
    manager = UserFactory(username="moscow_manager", branch=moscow, roles=["sales_manager"])
    admin = UserFactory(username="moscow_admin", branch=moscow, roles=["administrator"])
    stored = AuditEntry.objects.get(pk=entry.pk)
    with translation.override("en"):
        (as_manager,) = audit.shown_to(manager, [AuditEntry.objects.get(pk=entry.pk)])
        (as_admin,) = audit.shown_to(admin, [AuditEntry.objects.get(pk=entry.pk)])

    assert stored.changes["companies"][1][0]["id"] == hidden.pk
    assert as_manager.changes["companies"] == [[], ["hidden record", "hidden record"]]
    assert as_manager.changes["merged_with"] == [None, "hidden record"]
    assert as_manager.changes["city"] == ["", "Казань"]
    assert as_manager.changes["shared_with"] == [None, "hidden record"]
    assert as_admin.changes["shared_with"] == [None, "Ольга Казанская"]
    # The administrator sees every name a single record answers to; an ambiguous one stays hidden.
    assert as_admin.changes["companies"] == [[], ["ООО «Скрытая» — директор", "hidden record"]]
    assert as_admin.changes["merged_with"] == [None, f"#{contact.pk} «Старов»"]
