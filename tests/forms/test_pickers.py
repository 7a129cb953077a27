"""Pickers read like Kartoteka, not like Django admin: no "---------" on any form page, a
picker with one possible value has it chosen, and a new tag typed into the tags picker is created
when the record is saved (and only then)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from kartoteka.accounts.models import Branch
from kartoteka.clients.models import Company, Contact
from kartoteka.core.forms import settle_select
from kartoteka.records.models import Tag
from kartoteka.records.services.custom_fields import custom_field_save
from tests.clients.post_data import company_post, contact_post
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

DASHES = "---------"


def _define(actor: Any, code: str, type: str, entity: str, choices: list[str]) -> None:
    custom_field_save(
        actor=actor,
        field=None,
        entity=entity,
        code=code,
        label=code.capitalize(),
        type=type,
        choices=choices,
    )


def _every_form_page(personas: Personas) -> list[str]:
    """Every page with a form an administrator opens: create and edit pages of every kind,
    cards (share panel), lists (filters, bulk bar) and every settings page."""
    admin = personas.admin
    for entity in ("companies", "contacts"):
        _define(admin, "segment", "choice", entity, ["Опт", "Розница"])
        _define(admin, "vip", "boolean", entity, [])
    company = CompanyFactory(owner=personas.manager_a)
    contact = ContactFactory(owner=personas.manager_a)
    Tag.objects.create(name="VIP")
    from kartoteka.records.models import CustomField, GroupRule

    field = CustomField.objects.first()
    assert field is not None
    pages = [
        "/",
        "/companies/",
        "/contacts/",
        "/companies/new/",
        "/contacts/new/",
        f"/companies/{company.pk}/",
        f"/contacts/{contact.pk}/",
        f"/companies/{company.pk}/edit/",
        f"/contacts/{contact.pk}/edit/",
        "/settings/",
        "/settings/users/",
        "/settings/users/new/",
        f"/settings/users/{personas.manager_a.pk}/",
        f"/settings/users/{personas.manager_a.pk}/handover/",
        "/settings/roles/",
        "/settings/roles/new/",
        "/settings/branches/",
        "/settings/audit/",
        "/settings/trash/",
        "/settings/batches/",
        "/settings/custom-fields/",
        "/settings/custom-fields/new/",
        f"/settings/custom-fields/{field.pk}/",
        f"/settings/custom-fields/{field.pk}/delete/",
        "/settings/group-rules/",
        "/settings/group-rules/new/",
        "/settings/tags/",
        "/duplicates/",
        "/profile/",
        "/search/?q=a",
    ]
    if GroupRule.objects.exists():
        pages.append(f"/settings/group-rules/{GroupRule.objects.first().pk}/")  # type: ignore[union-attr]
    return pages


@pytest.mark.django_db
def test_no_form_page_shows_django_dashes(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    for url in _every_form_page(personas):
        response = client.get(url)
        assert response.status_code == 200, url
        assert DASHES not in response.content.decode(), url
    # Forms shown again with errors, and the empty choice reads "Не выбрано".
    for url, data in (
        ("/companies/new/", company_post(name="")),
        ("/contacts/new/", contact_post(last_name="")),
        ("/settings/users/new/", {"username": ""}),
        ("/settings/group-rules/new/", {"name": ""}),
    ):
        page = client.post(url, data).content.decode()
        assert DASHES not in page, url
    page = client.get("/companies/new/").content.decode()
    assert re.search(r'<option value="" selected>(Не выбрано|Not selected)</option>', page)


def test_a_required_picker_with_one_option_has_it_chosen() -> None:
    def widget(required: bool, values: list[str]) -> dict[str, Any]:
        options = [
            {"value": value, "label": value or DASHES, "selected": False, "attrs": {}}
            for value in values
        ]
        return {"optgroups": [(None, options, 0)], "attrs": {"required": required}}

    lone = widget(True, ["", "7"])
    settle_select(lone)
    options = lone["optgroups"][0][1]
    assert [(o["value"], o["selected"]) for o in options] == [("7", True)]
    several = widget(True, ["", "7", "8"])
    settle_select(several)
    assert [str(o["label"]) for o in several["optgroups"][0][1]][1:] == ["7", "8"]
    assert str(several["optgroups"][0][1][0]["label"]) != DASHES
    assert not any(o["selected"] for o in several["optgroups"][0][1])
    optional = widget(False, ["", "7"])
    settle_select(optional)
    assert len(optional["optgroups"][0][1]) == 2  # an optional picker may stay empty


@pytest.mark.django_db
def test_the_only_branch_is_chosen_on_the_new_user_form(client: Client, personas: Personas) -> None:
    Branch.objects.exclude(pk=personas.branch_a.pk).update(is_active=False)
    client.force_login(personas.admin)
    page = client.get("/settings/users/new/").content.decode()
    select = re.search(r'<select name="branch".*?</select>', page, re.S)
    assert select is not None
    assert re.findall(r"<option[^>]*>", select.group(0)) == [
        f'<option value="{personas.branch_a.pk}" selected>'
    ]


@pytest.mark.django_db
def test_a_tag_typed_by_name_is_created_when_the_record_is_saved(
    client: Client, personas: Personas
) -> None:
    vip = Tag.objects.create(name="VIP")
    client.force_login(personas.manager_a)
    response = client.post(
        "/companies/new/",
        company_post(name="Ромашка", tags=[str(vip.pk), "new:Поволжье", "new:vip"]),
    )
    assert response.status_code == 302
    company = Company.objects.get(name="Ромашка")
    # A typed name of an existing tag (any case) is that tag, not a second one.
    assert sorted(company.tags.values_list("name", flat=True)) == ["VIP", "Поволжье"]
    assert Tag.objects.count() == 2


@pytest.mark.django_db
def test_no_tag_is_created_when_the_form_is_refused(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/contacts/new/", contact_post(last_name="", tags=["new:Дачники"], phones=["+7 916"])
    )
    assert response.status_code == 422
    assert not Tag.objects.filter(name="Дачники").exists()
    assert not Contact.objects.exists()
    # The typed name stays in the picker for the next try.
    assert '<option value="new:Дачники" selected>Дачники</option>' in response.content.decode()
