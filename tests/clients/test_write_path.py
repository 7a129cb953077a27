"""One write path: every field is checked before anything is written, then everything the change
does (new tags, lists, what group rules set off) is written in one transaction, audited and
re-indexed; bulk changes check a field exactly as a single edit does."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company, Contact
from kartoteka.clients.services.companies import company_create, company_update
from kartoteka.clients.services.contacts import contact_update
from kartoteka.core import search
from kartoteka.core.errors import DomainError
from kartoteka.core.models import AuditEntry, Batch
from kartoteka.records.models import CustomField, GroupRule, Tag
from kartoteka.records.services.bulk import bulk_apply, bulk_set_field, bulk_tag
from kartoteka.records.services.group_rules import group_rule_save
from kartoteka.records.services.tags import tag_save
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

BAD_INN = "1234567890"
GOOD_INN = "7707083893"


def entries(model: str, action: str | None = None) -> list[AuditEntry]:
    found = AuditEntry.objects.filter(content_type__model=model)
    return list(found.filter(action=action) if action else found)


def names(record: Company | Contact) -> list[str]:
    return sorted(tag.name for tag in record.tags.all())


# --- Nothing is written before every field is checked ----------------------------------------
def test_api_create_refused_for_its_inn_creates_not_even_the_tag_it_named(
    personas: Personas, api: Any
) -> None:
    response = api(personas.manager_a).post(
        "/api/v1/companies/",
        {"name": "ООО «Ошибка»", "inn": BAD_INN, "tags": ["Новый тег"]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"inn"}
    assert not Tag.objects.exists()
    assert not Company.objects.exists()
    assert AuditEntry.objects.count() == 0


def test_api_update_refused_for_its_email_leaves_tags_record_and_version(
    personas: Personas, api: Any
) -> None:
    contact = ContactFactory(owner=personas.manager_a)
    response = api(personas.manager_a).patch(
        f"/api/v1/contacts/{contact.pk}/",
        {
            "version": contact.version,
            "last_name": "Новиков",
            "emails": [{"address": "не-адрес", "kind": "work"}],
            "tags": ["VIP", "Партнёр"],
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"emails"}
    contact.refresh_from_db()
    assert contact.version == 1 and contact.last_name != "Новиков"
    assert not Tag.objects.exists() and names(contact) == []
    assert AuditEntry.objects.count() == 0


def test_service_update_refused_for_a_custom_value_writes_nothing(personas: Personas) -> None:
    CustomField.objects.create(entity="companies", code="staff", label="Штат", type="number")
    company = CompanyFactory(owner=personas.manager_a, city="Москва")
    with pytest.raises(DomainError) as refused:
        company_update(
            actor=personas.manager_a,
            company=company,
            version=company.version,
            values={"city": "Тверь", "tags": ["Тверь"], "custom_fields": {"staff": "много"}},
        )
    assert set(refused.value.fields) == {"custom_fields.staff"}
    company.refresh_from_db()
    assert (company.city, company.version, names(company)) == ("Москва", 1, [])
    assert not Tag.objects.exists()


def test_a_tag_named_in_a_change_is_created_with_it_and_audited(
    personas: Personas, api: Any
) -> None:
    response = api(personas.manager_a).post(
        "/api/v1/companies/",
        {"name": "ООО «Тег»", "inn": GOOD_INN, "tags": ["Новый тег"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    tag = Tag.objects.get()
    assert tag.name == "Новый тег"
    [created] = entries("tag", "create")
    assert created.actor == personas.manager_a and created.object_id == tag.pk
    assert created.changes["name"] == [None, "Новый тег"]
    company = Company.objects.get()
    assert names(company) == ["Новый тег"]
    # The record's own entry names the tag too, and the new tag finds the record.
    assert entries("company", "create")[0].changes["tags"] == [[], ["Новый тег"]]
    found = search.find(personas.manager_a, "Новый тег")["companies"]
    assert [hit.id for hit in found.hits] == [company.pk]


def test_a_tag_named_in_another_case_or_with_yo_is_the_existing_tag(
    personas: Personas, api: Any
) -> None:
    volga = tag_save(actor=personas.admin, tag=None, name="Поволжье", color="#1d5fc4")
    yolka = tag_save(actor=personas.admin, tag=None, name="Ёлки", color="#1d5fc4")
    response = api(personas.manager_a).post(
        "/api/v1/companies/",
        {"name": "ООО «Регион»", "tags": ["поволжье", "  ЕЛКИ ", "Поволжье"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Tag.objects.count() == 2
    assert names(Company.objects.get()) == sorted([volga.name, yolka.name])


def test_too_long_a_tag_name_is_refused_not_cut(personas: Personas) -> None:
    with pytest.raises(DomainError) as refused:
        company_create(actor=personas.manager_a, values={"name": "ООО «Д»", "tags": ["я" * 61]})
    assert set(refused.value.fields) == {"tags"}
    assert not Tag.objects.exists() and not Company.objects.exists()


def test_rule_page_refused_for_its_value_creates_not_the_tag_it_names(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.admin)
    response = client.post(
        "/settings/group-rules/new/?entity=companies",
        {
            "name": "Поволжье",
            "field": "city",
            "operator": "equals",
            "value": "",
            "effect": "add_tag",
            "tag": "Поволжье",
            "is_active": "on",
        },
    )
    assert response.status_code == 422
    assert not Tag.objects.exists() and not GroupRule.objects.exists()
    rule = group_rule_save(
        actor=personas.admin,
        rule=None,
        values={
            "entity": "companies",
            "name": "Поволжье",
            "field": "city",
            "value": "Казань",
            "effect": "add_tag",
            "tag": "Поволжье",
        },
    )
    assert rule.tag is not None and rule.tag.name == "Поволжье"
    [created] = entries("tag", "create")
    assert created.actor == personas.admin


def test_bulk_tag_refused_before_it_runs_creates_no_tag(
    personas: Personas, client: Client, api: Any
) -> None:
    client.force_login(personas.manager_a)
    response = client.post("/companies/bulk/", {"action": "tag", "tag": "Новый", "ids": []})
    assert response.status_code in (400, 422)
    refused = api(personas.manager_a).post(
        "/api/v1/companies/bulk/", {"action": "tag", "tag": "Новый", "ids": []}, format="json"
    )
    assert refused.status_code == 400
    assert not Tag.objects.exists() and not Batch.objects.exists()


def test_bulk_tag_with_a_new_name_creates_it_audited_in_the_batch(personas: Personas) -> None:
    companies = CompanyFactory.create_batch(2, owner=personas.manager_a)
    batch = bulk_tag(
        actor=personas.manager_a, model=Company, ids=[c.pk for c in companies], tag="Выставка"
    )
    tag = Tag.objects.get()
    assert batch.summary["changed"] == 2
    [created] = entries("tag", "create")
    assert created.actor == personas.manager_a and created.object_id == tag.pk
    # Another case of the same name is that tag, on adding and on removing.
    again = bulk_tag(
        actor=personas.manager_a, model=Company, ids=[companies[0].pk], tag="ВЫСТАВКА", add=False
    )
    assert again.summary["changed"] == 1 and Tag.objects.count() == 1


# --- Group rules act through the same write path -----------------------------------------------
@pytest.fixture
def volga(personas: Personas) -> GroupRule:
    return group_rule_save(
        actor=personas.admin,
        rule=None,
        values={
            "entity": "companies",
            "name": "Поволжье",
            "field": "city",
            "value": "Казань",
            "effect": "add_tag",
            "tag": "Поволжье",
        },
    )


def test_a_tag_taken_off_in_the_edit_that_makes_the_rule_match_stays_off(
    personas: Personas, volga: GroupRule
) -> None:
    """What a change asks for wins over what it sets off, on a card as in a bulk change."""
    company = CompanyFactory(owner=personas.manager_a, city="Москва")
    assert volga.tag is not None
    company.tags.add(volga.tag)
    company = company_update(
        actor=personas.manager_a,
        company=company,
        version=company.version,
        values={"city": "Казань", "tags": []},
    )
    assert names(company) == [] and company.version == 2
    entry = entries("company", "update")[-1]
    assert entry.changes["tags"] == [["Поволжье"], []] and "rules" not in entry.changes


def test_a_rule_effect_is_one_version_one_entry_and_reindexed(
    personas: Personas, volga: GroupRule, api: Any
) -> None:
    company = CompanyFactory(owner=personas.manager_a, city="Москва")
    before = company.updated_at
    response = api(personas.manager_a).patch(
        f"/api/v1/companies/{company.pk}/",
        {"version": company.version, "city": "Казань"},
        format="json",
    )
    assert response.status_code == 200, response.content
    company.refresh_from_db()
    assert company.version == 2 and company.updated_at > before
    [entry] = entries("company", "update")
    assert entry.version == 2 and entry.changes["tags"] == [[], ["Поволжье"]]
    [note] = entry.changes["rules"][1]
    assert "«Поволжье»" in note
    hits = search.find(personas.manager_a, "поволжье")["companies"].hits
    assert [hit.id for hit in hits] == [company.pk]


def test_an_owner_rule_moves_the_new_record_with_its_creation_not_after_it(
    personas: Personas, api: Any
) -> None:
    group_rule_save(
        actor=personas.admin,
        rule=None,
        values={
            "entity": "contacts",
            "name": "Казанцы",
            "field": "address",
            "operator": "contains",
            "value": "казань",
            "effect": "set_owner",
            "owner": personas.manager_b,
        },
    )
    contact = ContactFactory(owner=personas.manager_a, address="Москва")
    with translation.override("en"):
        updated = contact_update(
            actor=personas.manager_a,
            contact=contact,
            version=contact.version,
            values={"address": "Казань, ул. Баумана"},
        )
    contact.refresh_from_db()
    assert (contact.owner, contact.branch, contact.version) == (
        personas.manager_b,
        personas.branch_b,
        2,
    )
    assert (updated.owner_id, updated.version) == (personas.manager_b.pk, 2)
    [entry] = entries("contact", "update")
    assert entry.changes["owner"] == [str(personas.manager_a), str(personas.manager_b)]
    assert entry.changes["branch"] == ["Москва", "Казань"]
    assert entry.changes["rules"] == [None, [f"rule «Казанцы» made {personas.manager_b} the owner"]]


def test_a_rule_on_the_owner_field_tags_a_departing_managers_clients(
    personas: Personas, api: Any
) -> None:
    teammate: User = personas.teammate_a
    group_rule_save(
        actor=personas.admin,
        rule=None,
        values={
            "entity": "companies",
            "name": "Клиенты уходящего",
            "field": "owner",
            "value": teammate.username.upper(),
            "effect": "add_tag",
            "tag": "Передать",
        },
    )
    mine = company_create(actor=personas.manager_a, values={"name": "ООО «Моё»"})
    theirs = company_create(actor=teammate, values={"name": "ООО «Их»"})
    assert names(mine) == [] and names(theirs) == ["Передать"]


# --- Bulk changes check a field as a single edit does -----------------------------------------
def test_bulk_and_single_edit_refuse_a_bad_amount_with_the_same_message(
    personas: Personas, api: Any
) -> None:
    CustomField.objects.create(entity="companies", code="budget", label="Бюджет", type="money")
    company = CompanyFactory(owner=personas.manager_a)
    client = api(personas.manager_a)
    with translation.override("en"):
        single = client.patch(
            f"/api/v1/companies/{company.pk}/",
            {"version": 1, "custom_fields": {"budget": "10.005"}},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        bulk = client.post(
            "/api/v1/companies/bulk/",
            {
                "action": "set_field",
                "ids": [company.pk],
                "field": "custom_fields.budget",
                "value": "10.005",
            },
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert single.status_code == bulk.status_code == 400
    single_message = single.json()["error"]["fields"]["custom_fields.budget"]
    assert bulk.json()["error"]["fields"]["value"] == single_message
    company.refresh_from_db()
    assert company.version == 1 and not Batch.objects.exists()


def test_bulk_city_is_trimmed_and_length_checked_as_on_the_card(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a, city="Москва")
    with pytest.raises(DomainError) as refused:
        bulk_set_field(
            actor=personas.manager_a,
            model=Company,
            ids_or_queryset=[company.pk],
            field="city",
            value="Г" * 101,
        )
    with pytest.raises(DomainError) as single:
        company_update(
            actor=personas.manager_a, company=company, version=1, values={"city": "Г" * 101}
        )
    assert refused.value.fields["value"] == single.value.fields["city"]
    bulk_apply(
        actor=personas.manager_a,
        model=Company,
        target=[company.pk],
        action="set_field",
        params={"field": "city", "value": "  Тверь  "},
    )
    company.refresh_from_db()
    assert company.city == "Тверь" and company.version == 2
