"""A page edit by someone who may not reassign keeps the record's owner instead of failing."""

from __future__ import annotations

import re

import pytest
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


def _select(html: str, name: str) -> str:
    match = re.search(rf'<select name="{name}"[^>]*>.*?</select>', html, re.S)
    assert match is not None, name
    return match.group(0)


@pytest.mark.parametrize("url", ["/companies/new/", "/contacts/new/"])
def test_a_new_record_names_its_owner_and_locks_it_without_the_right_to_assign(
    client: Client, personas: Personas, url: str
) -> None:
    personas.manager_a.language = "ru"
    personas.manager_a.save(update_fields=["language"])
    client.force_login(personas.manager_a)  # may create, may not hand records to others
    html = client.get(url).content.decode()
    owner, branch = _select(html, "owner"), _select(html, "branch")
    assert "disabled" in owner and "disabled" in branch
    assert re.search(rf'<option value="{personas.manager_a.pk}" selected>', owner), owner
    assert re.search(rf'<option value="{personas.branch_a.pk}" selected>', branch), branch
    assert "Не выбрано" not in owner + branch
    # A crafted post naming someone else still makes the record the creator's.
    post = (
        company_post(name="ООО «Своя»", owner=personas.teammate_a.pk, branch=personas.branch_b.pk)
        if "companies" in url
        else contact_post(last_name="Своев", owner=personas.teammate_a.pk)
    )
    assert client.post(url, post).status_code == 302
    model = Company if "companies" in url else Contact
    saved = model.objects.latest("pk")
    assert (saved.owner_id, saved.branch_id) == (personas.manager_a.pk, personas.branch_a.pk)


def test_a_new_record_offers_its_creator_as_owner_to_those_who_may_assign(
    client: Client, personas: Personas
) -> None:
    personas.head.language = "ru"
    personas.head.save(update_fields=["language"])
    client.force_login(personas.head)
    html = client.get("/companies/new/").content.decode()
    owner, branch = _select(html, "owner"), _select(html, "branch")
    assert "disabled" not in owner and "disabled" not in branch
    assert re.search(rf'<option value="{personas.head.pk}" selected>', owner), owner
    assert '<option value="" selected>Филиал ответственного</option>' in branch, branch
    response = client.post(
        "/companies/new/", company_post(name="ООО «Чужая»", owner=personas.manager_b.pk)
    )
    assert response.status_code == 302
    saved = Company.objects.get(name="ООО «Чужая»")
    assert (saved.owner_id, saved.branch_id) == (personas.manager_b.pk, personas.branch_b.pk)
