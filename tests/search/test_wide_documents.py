"""A person's wide document (their own text and their companies' link texts) follows every
change a user makes: a company renamed, a job added or ended, a company trashed and restored.
The administrator's list search reads it, so what they find changes at once; a rebuild writes
the very same documents."""

from __future__ import annotations

from typing import Any

from kartoteka.clients.models import Company, Contact
from kartoteka.clients.services.companies import company_create, company_update
from kartoteka.clients.services.contacts import contact_create, contact_update
from kartoteka.core import search
from kartoteka.core.records import restore_record, trash_record
from kartoteka.core.search.document import SearchDocument
from tests.conftest import Personas


def _found(api: Any, user: Any, text: str) -> list[str]:
    rows = api(user).get("/api/v1/contacts/", {"q": text}).json()["results"]
    return [row["last_name"] for row in rows]


def _wide() -> dict[int, str]:
    rows = SearchDocument.objects.filter(kind="contact_wide").values_list("object_id", "body")
    return dict(rows)


def test_a_persons_wide_document_follows_their_companies(personas: Personas, api: Any) -> None:
    admin = personas.admin
    petals = company_create(actor=personas.manager_a, values={"name": "Лепесток", "inn": ""})
    person = contact_create(
        actor=personas.manager_a,
        values={"last_name": "Ким", "first_name": "Юрий", "companies": [petals.pk]},
    )
    assert _found(api, admin, "Ким Лепесток") == ["Ким"]

    # Renamed: found by the new name at once, no longer by the old one.
    company = Company.objects.get(pk=petals.pk)
    company_update(
        actor=personas.manager_a, company=company, values={"name": "Бутон"}, version=company.version
    )
    assert _found(api, admin, "Ким Бутон") == ["Ким"]
    assert _found(api, admin, "Ким Лепесток") == []

    # A second job, then the first one ended, from the person's card.
    daisy = company_create(actor=personas.manager_a, values={"name": "Ромашка"})
    contact = Contact.objects.get(pk=person.pk)
    contact_update(
        actor=personas.manager_a,
        contact=contact,
        values={"companies": [petals.pk, daisy.pk]},
        version=contact.version,
    )
    assert _found(api, admin, "Ромашка Бутон") == ["Ким"]
    contact = Contact.objects.get(pk=person.pk)
    contact_update(
        actor=personas.manager_a,
        contact=contact,
        values={"companies": [daisy.pk]},
        version=contact.version,
    )
    assert _found(api, admin, "Ким Бутон") == []
    assert _found(api, admin, "Ким Ромашка") == ["Ким"]

    # A company in the trash finds nobody; restored, it does again.
    trash_record(actor=personas.manager_a, obj=Company.objects.get(pk=daisy.pk))
    assert _found(api, admin, "Ким Ромашка") == []
    restore_record(actor=personas.manager_a, obj=Company.all_objects.get(pk=daisy.pk))
    assert _found(api, admin, "Ким Ромашка") == ["Ким"]

    # A person in the trash has no wide document; every live one has one.
    wide = _wide()
    assert set(wide) == set(Contact.objects.values_list("pk", flat=True))
    assert wide[person.pk] == " ким юрий ромашка"

    # A rebuild writes exactly what the changes left.
    search.rebuild()
    assert _wide() == wide
    trash_record(actor=personas.manager_a, obj=Contact.objects.get(pk=person.pk))
    assert person.pk not in _wide()
