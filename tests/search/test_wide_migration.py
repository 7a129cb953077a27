"""People's wide documents are written by their migration from the documents already stored,
with the kind's indexes, and both go when it is unapplied, on this database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.migrating import kind_documents, kind_indexed, migrations_moved

BEFORE = ("clients", "0019_employment_company_contact_index")
AFTER = ("clients", "0020_contact_wide_documents")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_wide_documents_are_written_forward_and_dropped_back(db: Any) -> None:
    with migrations_moved() as _migrate:
        old = _migrate(BEFORE)
        branch = old.get_model("accounts", "Branch").objects.create(name="Тверь")
        company = old.get_model("clients", "Company")
        contact = old.get_model("clients", "Contact")
        employment = old.get_model("clients", "Employment")
        document = old.get_model("core", "SearchDocument")
        daisy = company.objects.create(name="Ромашка", branch=branch)
        petals = company.objects.create(name="Лепесток", branch=branch)
        kim = contact.objects.create(last_name="Ким", first_name="Юрий", branch=branch)
        alone = contact.objects.create(last_name="Ли", first_name="Ван", branch=branch)
        for job in (petals, daisy):
            employment.objects.create(contact=kim, company=job, position="")
        for kind, pk, body in [
            ("contact", kim.pk, " ким юрий"),
            ("contact", alone.pk, " ли ван"),
            ("company_link", daisy.pk, " ромашка"),
            ("company_link", petals.pk, " лепесток"),
        ]:
            document.objects.create(kind=kind, object_id=pk, body=body)
        assert not kind_indexed("contact_wide")

        new = _migrate(AFTER)
        # The companies' link texts in their id order, as the live code writes them.
        wide = {kim.pk: " ким юрий ромашка лепесток", alone.pk: " ли ван"}
        assert kind_documents(new, "contact_wide") == wide
        assert kind_indexed("contact_wide")

        back = _migrate(BEFORE)
        assert kind_documents(back, "contact_wide") == {}
        assert not kind_indexed("contact_wide")
