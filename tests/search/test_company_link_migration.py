"""Companies' link documents (what their people are found through them by) are written for
every live company by their migration, with the kind's indexes, and both go when it is
unapplied, on this database."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from kartoteka.clients.search import company_documents_and_links
from tests.migrating import kind_documents, kind_indexed, migrations_moved

BEFORE = ("clients", "0017_company_owner_status_index")
AFTER = ("clients", "0018_company_link_documents")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_link_documents_are_written_forward_and_dropped_back(db: Any) -> None:
    with migrations_moved() as _migrate:
        old = _migrate(BEFORE)
        branch = old.get_model("accounts", "Branch").objects.create(name="Тверь")
        company = old.get_model("clients", "Company")
        romashka = company.objects.create(
            name="«Ромашка-Опт»",
            legal_form="ООО",
            inn="7707083893",
            city="Тверь",
            region="Тверская обл.",
            custom_fields={"supplier": "Лесозавод"},
            branch=branch,
        )
        for position, number in enumerate(["+74951112233", "+79161234567"]):
            old.get_model("clients", "CompanyPhone").objects.create(
                company=romashka, number=number, kind="work", position=position
            )
        old.get_model("clients", "CompanyEmail").objects.create(
            company=romashka, address="info@romashka.ru", kind="work"
        )
        plain = company.objects.create(name="Берёзка", branch=branch)
        company.objects.create(name="В корзине", branch=branch, deleted_at=timezone.now())
        assert not kind_indexed("company_link")

        new = _migrate(AFTER)
        written = {
            romashka.pk: " ромашка-опт ооо 7707083893 74951112233 79161234567",
            plain.pk: " березка",
        }
        assert kind_documents(new, "company_link") == written
        # The very text the live code writes for them, so a reindex changes nothing.
        assert company_documents_and_links([romashka.pk, plain.pk])[1] == written
        assert kind_indexed("company_link")

        back = _migrate(BEFORE)
        assert kind_documents(back, "company_link") == {}
        assert not kind_indexed("company_link")
