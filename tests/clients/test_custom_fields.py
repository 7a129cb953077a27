"""Custom fields: settings pages, values checked by type, list filters, the API, deletion."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kartoteka.clients.models import Company, Contact
from kartoteka.core.models import AuditEntry
from kartoteka.records.models import CustomField
from kartoteka.records.services.custom_fields import custom_field_save
from tests.clients.post_data import company_post
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def define(
    actor: Any, code: str, type: str, entity: str = "companies", **extra: Any
) -> CustomField:
    return custom_field_save(
        actor=actor,
        field=None,
        entity=entity,
        code=code,
        label=extra.pop("label", code.capitalize()),
        type=type,
        choices=extra.pop("choices", []),
        **extra,
    )


# (type, choices, good input, stored value, bad input)
TYPES = [
    ("text", [], "  Золотой клиент ", "Золотой клиент", None),
    ("number", [], "1 500,5", 1500.5, "много"),
    ("money", [], "1500", "1500.00", "12 руб"),
    ("date", [], "23.11.2026", "2026-11-23", "31.02.2026"),
    ("choice", ["Опт", "Розница"], "Опт", "Опт", "Дилер"),
    ("multiple", ["Опт", "Розница"], ["Опт", "Розница"], ["Опт", "Розница"], ["Опт", "Дилер"]),
    ("boolean", [], "да", True, "может быть"),
    ("link", [], "https://example.ru/card", "https://example.ru/card", "not a link"),
]


@pytest.mark.parametrize(("kind", "choices", "good", "stored", "bad"), TYPES)
def test_api_checks_each_type_and_names_the_field(
    kind: str, choices: list[str], good: Any, stored: Any, bad: Any, personas: Personas, api: Any
) -> None:
    define(personas.admin, "extra", kind, choices=choices)
    client = api(personas.manager_a)
    created = client.post(
        "/api/v1/companies/",
        {"name": "ООО «Поле»", "custom_fields": {"extra": good}},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["custom_fields"] == {"extra": stored}
    if bad is None:
        return
    refused = client.post(
        "/api/v1/companies/", {"name": "ООО «Брак»", "custom_fields": {"extra": bad}}, format="json"
    )
    assert refused.status_code == 400
    assert list(refused.json()["error"]["fields"]) == ["custom_fields.extra"]
    assert not Company.objects.filter(name="ООО «Брак»").exists()


def test_unknown_and_required_fields_are_refused(personas: Personas, api: Any) -> None:
    define(personas.admin, "inn_checked", "boolean", is_required=True)
    client = api(personas.manager_a)
    response = client.post(
        "/api/v1/companies/",
        {"name": "ООО «Без»", "custom_fields": {"nosuch": "1"}},
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"custom_fields.nosuch", "custom_fields.inn_checked"}
    assert Company.objects.count() == 0


def test_page_shows_a_bad_value_beside_its_cf_field(client: Client, personas: Personas) -> None:
    define(personas.admin, "discount", "number", label="Размер скидки")
    client.force_login(personas.manager_a)
    response = client.post(
        "/companies/new/", company_post(name="ООО «Скидка»", cf_discount="десять")
    )
    assert response.status_code == 422
    assert response.context["form"].errors["cf_discount"] == ["Enter a number."]
    assert not Company.objects.filter(name="ООО «Скидка»").exists()
    saved = client.post("/companies/new/", company_post(name="ООО «Скидка»", cf_discount="10,5"))
    assert saved.status_code == 302
    assert Company.objects.get(name="ООО «Скидка»").custom_fields == {"discount": 10.5}


@pytest.fixture
def typed_companies(personas: Personas) -> dict[str, Company]:
    """Three companies with a value of every type; filters must tell them apart."""
    admin = personas.admin
    define(admin, "note", "text")
    define(admin, "staff", "number")
    define(admin, "limit", "money")
    define(admin, "since", "date")
    define(admin, "level", "choice", choices=["Золото", "Серебро"])
    define(admin, "channels", "multiple", choices=["Опт", "Оптовик-плюс", "Розница"])
    define(admin, "vip", "boolean")
    define(admin, "site", "link")
    values = {
        "alpha": {
            "note": "Любит звонки утром",
            "staff": 15,
            "limit": "1500.00",
            "since": "2024-03-01",
            "level": "Золото",
            "channels": ["Опт", "Розница"],
            "vip": True,
            "site": "https://alpha.ru",
        },
        "beta": {
            "note": "Ёлочные игрушки",
            "staff": 150,
            "limit": "99.50",
            "since": "2025-07-15",
            "level": "Серебро",
            "channels": ["Оптовик-плюс"],
            "vip": False,
        },
        "gamma": {},
    }
    return {
        name: CompanyFactory(owner=personas.manager_a, name=name, custom_fields=fields)
        for name, fields in values.items()
    }


FILTERS = [
    ({"cf_note": "ЗВОНКИ"}, {"alpha"}),
    ({"cf_note": "елочные"}, {"beta"}),
    ({"cf_staff": "15"}, {"alpha"}),
    ({"cf_staff__from": "20"}, {"beta"}),
    ({"cf_staff__to": "15"}, {"alpha"}),
    ({"cf_staff__from": "10", "cf_staff__to": "200"}, {"alpha", "beta"}),
    ({"cf_staff": "много"}, set()),
    ({"cf_limit": "1500"}, {"alpha"}),
    ({"cf_limit__from": "100"}, {"alpha"}),
    ({"cf_limit__to": "99,5"}, {"beta"}),
    ({"cf_since": "01.03.2024"}, {"alpha"}),
    ({"cf_since__from": "2025-01-01"}, {"beta"}),
    ({"cf_since__from": "01.01.2024", "cf_since__to": "31.12.2024"}, {"alpha"}),
    ({"cf_level": "Серебро"}, {"beta"}),
    ({"cf_channels": "Опт"}, {"alpha"}),
    ({"cf_channels": "Оптовик-плюс"}, {"beta"}),
    ({"cf_vip": "true"}, {"alpha"}),
    ({"cf_vip": "false"}, {"beta"}),
    ({"cf_site": "alpha"}, {"alpha"}),
    ({"cf_level__from": "А"}, set()),
]


@pytest.mark.parametrize(("params", "expected"), FILTERS)
def test_list_filters_by_each_type(
    params: dict[str, str],
    expected: set[str],
    typed_companies: dict[str, Company],
    personas: Personas,
    client: Client,
    api: Any,
) -> None:
    client.force_login(personas.manager_a)
    page = client.get("/companies/", params)
    assert page.status_code == 200
    assert {company.name for company in page.context["page"].rows} == expected
    listed = api(personas.manager_a).get("/api/v1/companies/", params).json()["results"]
    assert {row["name"] for row in listed} == expected


def test_contact_fields_filter_contacts(personas: Personas, client: Client) -> None:
    define(personas.admin, "hobby", "multiple", entity="contacts", choices=["Рыбалка", "Шахматы"])
    ContactFactory(
        owner=personas.manager_a, last_name="Рыбаков", custom_fields={"hobby": ["Рыбалка"]}
    )
    ContactFactory(
        owner=personas.manager_a, last_name="Шахматов", custom_fields={"hobby": ["Шахматы"]}
    )
    client.force_login(personas.manager_a)
    rows = client.get("/contacts/", {"cf_hobby": "Шахматы"}).context["page"].rows
    assert [contact.last_name for contact in rows] == ["Шахматов"]


# --- Settings pages -------------------------------------------------------------------------------
def test_administrator_defines_a_field_and_it_is_audited(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)
    assert "Custom fields" in client.get("/settings/").content.decode()
    response = client.post(
        "/settings/custom-fields/new/",
        {
            "entity": "companies",
            "label": "Уровень",
            "code": "level",
            "type": "choice",
            "choices": "Золото\r\nСеребро\r\n\r\nЗолото",
            "position": "",
        },
    )
    assert response.status_code == 302
    field = CustomField.objects.get(code="level")
    assert field.choices == ["Золото", "Серебро"] and field.position == 0
    entry = AuditEntry.objects.get(content_type__model="customfield", object_id=field.pk)
    assert entry.action == "create" and entry.actor == personas.admin
    assert entry.changes["label"] == [None, "Уровень"]
    listing = client.get("/settings/custom-fields/").content.decode()
    assert "Уровень" in listing and "Золото, Серебро" in listing
    form = client.get("/companies/new/").content.decode()
    assert 'name="cf_level"' in form


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("Размер", "Latin lowercase letters"),
        ("1st", "Latin lowercase letters"),
        ("discount", "This code is taken."),
    ],
)
def test_bad_codes_are_refused(code: str, message: str, client: Client, personas: Personas) -> None:
    define(personas.admin, "discount", "number")
    client.force_login(personas.admin)
    response = client.post(
        "/settings/custom-fields/new/",
        {"entity": "companies", "label": "Поле", "code": code, "type": "text"},
    )
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors["code"])
    assert CustomField.objects.count() == 1


def test_code_is_fixed_and_type_is_fixed_while_values_exist(
    client: Client, personas: Personas, api: Any
) -> None:
    field = define(personas.admin, "discount", "number")
    CompanyFactory(owner=personas.manager_a, custom_fields={"discount": 5})
    client.force_login(personas.admin)
    response = client.post(
        f"/settings/custom-fields/{field.pk}/",
        {"label": "Скидка, %", "code": "other", "type": "number", "position": "3"},
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.code, field.label, field.position) == ("discount", "Скидка, %", 3)
    refused = api(personas.admin).patch(
        f"/api/v1/custom-fields/{field.pk}/", {"code": "other"}, format="json"
    )
    assert refused.status_code == 400 and "code" in refused.json()["error"]["fields"]
    retyped = client.post(
        f"/settings/custom-fields/{field.pk}/",
        {"label": "Скидка", "type": "text", "position": "3"},
    )
    assert retyped.status_code == 422
    assert "1 records hold a value" in " ".join(retyped.context["form"].errors["type"])
    field.refresh_from_db()
    assert field.type == "number"


def test_settings_are_for_administrators(client: Client, personas: Personas, api: Any) -> None:
    field = define(personas.admin, "discount", "number")
    client.force_login(personas.manager_a)
    assert client.get("/settings/custom-fields/").status_code == 404
    assert client.get(f"/settings/custom-fields/{field.pk}/").status_code == 404
    assert client.post(f"/settings/custom-fields/{field.pk}/delete/").status_code == 404
    denied = api(personas.manager_a).post(
        "/api/v1/custom-fields/",
        {"entity": "companies", "code": "x", "label": "X", "type": "text"},
        format="json",
    )
    assert denied.status_code == 403
    assert api(personas.manager_a).delete(f"/api/v1/custom-fields/{field.pk}/").status_code == 403
    assert list(CustomField.objects.values_list("code", flat=True)) == ["discount"]
    # Everyone signed in reads the definitions: forms and integrations need them.
    listed = api(personas.manager_a).get("/api/v1/custom-fields/").json()
    assert [row["code"] for row in listed] == ["discount"]
    # The auditor reads the settings page but cannot change anything there.
    client.force_login(personas.auditor)
    page = client.get("/settings/custom-fields/").content.decode()
    assert "discount" in page and "/delete/" not in page


def test_api_creates_updates_and_lists_definitions(personas: Personas, api: Any) -> None:
    client = api(personas.admin)
    created = client.post(
        "/api/v1/custom-fields/",
        {
            "entity": "contacts",
            "code": "hobby",
            "label": "Хобби",
            "type": "multiple",
            "choices": ["Рыбалка", "Шахматы"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    updated = client.patch(
        f"/api/v1/custom-fields/{pk}/", {"label": "Увлечения", "is_required": True}, format="json"
    )
    assert updated.status_code == 200
    assert updated.json()["label"] == "Увлечения" and updated.json()["is_required"] is True
    assert client.get("/api/v1/custom-fields/?entity=companies").json() == []
    bad = client.post(
        "/api/v1/custom-fields/",
        {"entity": "contacts", "code": "Bad Code", "label": "Плохое", "type": "choice"},
        format="json",
    )
    assert bad.status_code == 400
    assert {"code", "choices"} <= set(bad.json()["error"]["fields"])
    actions = AuditEntry.objects.filter(content_type__model="customfield", object_id=pk)
    assert sorted(actions.values_list("action", flat=True)) == ["create", "update"]


# --- Deleting a field -----------------------------------------------------------------------------
def test_deleting_a_field_with_values_needs_confirmation(
    client: Client, personas: Personas
) -> None:
    field = define(personas.admin, "discount", "number", label="Скидка")
    first = CompanyFactory(owner=personas.manager_a, custom_fields={"discount": 5, "x": 1})
    CompanyFactory(owner=personas.manager_b, custom_fields={"discount": 7})
    untouched = CompanyFactory(owner=personas.manager_a, custom_fields={})
    client.force_login(personas.admin)
    confirm_page = client.get(f"/settings/custom-fields/{field.pk}/delete/").content.decode()
    assert "2 records (companies) hold a value of this field" in confirm_page
    refused = client.post(f"/settings/custom-fields/{field.pk}/delete/", {})
    assert refused.status_code == 422
    assert CustomField.objects.filter(pk=field.pk).exists()
    assert Company.objects.filter(custom_fields__has_key="discount").count() == 2

    done = client.post(
        f"/settings/custom-fields/{field.pk}/delete/", {"confirm": "on"}, follow=True
    )
    assert "values removed from 2 records" in done.content.decode()
    assert not CustomField.objects.filter(pk=field.pk).exists()
    assert not Company.objects.filter(custom_fields__has_key="discount").exists()
    first.refresh_from_db()
    assert first.custom_fields == {"x": 1}
    assert untouched.version == Company.objects.get(pk=untouched.pk).version
    entry = AuditEntry.objects.get(content_type__model="customfield", action="purge")
    assert entry.actor == personas.admin and entry.changes["records_affected"] == [None, 2]


def test_deleting_an_unused_field_needs_no_confirmation(personas: Personas, api: Any) -> None:
    field = define(personas.admin, "hobby", "text", entity="contacts")
    ContactFactory(owner=personas.manager_a, custom_fields={})
    response = api(personas.admin).delete(f"/api/v1/custom-fields/{field.pk}/")
    assert response.status_code == 200 and response.json() == {"records_affected": 0}
    assert not CustomField.objects.exists()
    assert Contact.objects.count() == 1


def test_api_delete_with_values_says_how_many(personas: Personas, api: Any) -> None:
    field = define(personas.admin, "discount", "number")
    CompanyFactory(owner=personas.manager_a, custom_fields={"discount": 5})
    client = api(personas.admin)
    refused = client.delete(f"/api/v1/custom-fields/{field.pk}/")
    assert refused.status_code == 400
    assert list(refused.json()["error"]["fields"]) == ["confirm"]
    assert "1" in refused.json()["error"]["message"]
    assert CustomField.objects.filter(pk=field.pk).exists()
    done = client.delete(f"/api/v1/custom-fields/{field.pk}/?confirm=true")
    assert done.json() == {"records_affected": 1}


def test_fields_can_be_reordered(client: Client, personas: Personas) -> None:
    first = define(personas.admin, "first", "text")
    second = define(personas.admin, "second", "text")
    client.force_login(personas.admin)
    client.post(f"/settings/custom-fields/{second.pk}/move/", {"direction": "up"})
    assert list(CustomField.objects.filter(entity="companies").values_list("code", flat=True)) == [
        "second",
        "first",
    ]
    assert first.pk
