"""A page edit by someone who may not reassign keeps the record's owner instead of failing."""

from __future__ import annotations

from django.test import Client

from kartoteka.clients.models import Company, Contact
from tests.clients.post_data import company_post, contact_post
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def test_service_agent_saves_a_colleagues_company_on_the_page(
    client: Client, personas: Personas
) -> None:
    # Given a company of colleague_a in branch A, which the service agent may edit but not reassign
    company = CompanyFactory(
        name="ООО «Старое»", owner=personas.colleague_a, branch=personas.branch_a
    )
    client.force_login(personas.service_a)
    # When the agent renames it on the page (the owner picker is disabled and not posted)
    response = client.post(
        f"/companies/{company.pk}/edit/",
        company_post(name="ООО «Новое»", version=company.version),
    )
    # Then the change is saved and the owner stays the colleague
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Company.objects.get(pk=company.pk)
    assert saved.name == "ООО «Новое»"
    assert saved.owner_id == personas.colleague_a.pk
    assert saved.branch_id == personas.branch_a.pk


def test_service_agent_saves_a_colleagues_contact_on_the_page(
    client: Client, personas: Personas
) -> None:
    contact = ContactFactory(
        last_name="Старов", owner=personas.colleague_a, branch=personas.branch_a
    )
    client.force_login(personas.service_a)
    response = client.post(
        f"/contacts/{contact.pk}/edit/",
        contact_post(last_name="Новов", first_name="Пётр", version=contact.version),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Contact.objects.get(pk=contact.pk)
    assert saved.last_name == "Новов"
    assert saved.owner_id == personas.colleague_a.pk


def test_a_posted_owner_is_ignored_when_the_picker_is_disabled(
    client: Client, personas: Personas
) -> None:
    # A crafted post naming another owner cannot move the record either.
    company = CompanyFactory(owner=personas.colleague_a, branch=personas.branch_a)
    client.force_login(personas.service_a)
    response = client.post(
        f"/companies/{company.pk}/edit/",
        company_post(
            name="ООО «Другое»",
            owner=personas.service_a.pk,
            branch=personas.branch_b.pk,
            version=company.version,
        ),
    )
    assert response.status_code == 302
    saved = Company.objects.get(pk=company.pk)
    assert (saved.owner_id, saved.branch_id) == (personas.colleague_a.pk, personas.branch_a.pk)
