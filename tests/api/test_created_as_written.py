"""Creating a record answers with, and indexes, exactly what reading it back gives, without
reading it back; creating a contact and logging a call cost a fixed, small number of statements."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.clients.models import Company, Contact
from kartoteka.clients.search import (
    company_documents,
    company_documents_and_links,
    contact_documents,
)
from kartoteka.core.records import reads_back_as_is
from kartoteka.core.search.document import SearchDocument
from kartoteka.records.models import CustomField
from kartoteka.records.services.group_rules import group_rule_save
from tests.clients.post_data import api_contact
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory


@pytest.fixture
def custom(db: Any) -> None:
    for entity in ("contacts", "companies"):
        CustomField.objects.create(entity=entity, code="ab", label="Коротко", type="text")
        CustomField.objects.create(entity=entity, code="zeta", label="Длинно", type="text")


def contact_bodies(company: Company) -> dict[str, dict[str, Any]]:
    return {
        "bare": {"last_name": "Голый"},
        "lists": {
            "last_name": "Списков",
            "first_name": "Иван",
            "phones": [
                {"number": "8 916 000-00-01"},
                {"number": "+7 495 111-22-33", "kind": "work"},
            ],
            "emails": [{"address": "ivan@example.ru", "kind": "work"}],
            "tags": ["VIP"],
            "employments": [{"company": company.pk, "position": "директор"}],
            "related_persons": [
                {"name": "Мария", "relation": "spouse", "birthday": "1980-05-01"},
                {"name": "Пётр", "relation": "child"},
            ],
            "messengers": [{"kind": "telegram", "handle": "@ivanov_ivan"}],
        },
        "two tags": {"last_name": "Тегов", "tags": ["Партнёр", "VIP", "Опт"]},
        # Keys in PostgreSQL's own order (shorter first) and against it.
        "custom in order": {"last_name": "Полев", "custom_fields": {"ab": "да", "zeta": "нет"}},
        "custom out of order": {
            "last_name": "Полев",
            "custom_fields": {"zeta": "нет", "ab": "да"},
        },
    }


@pytest.mark.parametrize(
    "case", ["bare", "lists", "two tags", "custom in order", "custom out of order"]
)
def test_a_created_contact_reads_and_is_found_as_written(
    case: str, personas: Personas, api: Any, custom: None
) -> None:
    client = api(personas.manager_a)
    company = CompanyFactory(owner=personas.manager_a)
    created = client.post("/api/v1/contacts/", contact_bodies(company)[case], format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json() == client.get(f"/api/v1/contacts/{pk}/").json()
    document = SearchDocument.objects.get(kind="contact", object_id=pk)
    assert document.body == contact_documents([pk])[pk]


@pytest.mark.parametrize("case", ["bare", "lists", "custom out of order"])
def test_a_created_company_reads_and_is_found_as_written(
    case: str, personas: Personas, api: Any, custom: None
) -> None:
    body = {
        "bare": {"name": "ООО «Голое»"},
        "lists": {
            "name": "ООО «Списки»",
            "inn": "7707083893",
            "city": "Казань",
            "phones": [{"number": "8 843 000-00-01", "kind": "work"}],
            "emails": [{"address": "info@example.ru"}],
            "tags": ["Опт"],
            "custom_fields": {"ab": "да"},
        },
        "custom out of order": {"name": "ООО «Поля»", "custom_fields": {"zeta": "1", "ab": "2"}},
    }[case]
    client = api(personas.manager_a)
    created = client.post("/api/v1/companies/", body, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json() == client.get(f"/api/v1/companies/{pk}/").json()
    document = SearchDocument.objects.get(kind="company", object_id=pk)
    assert document.body == company_documents([pk])[pk]
    link = SearchDocument.objects.get(kind="company_link", object_id=pk)
    assert link.body == company_documents_and_links([pk])[1][pk]


def test_what_a_group_rule_adds_is_in_the_answer_and_the_index(
    personas: Personas, api: Any
) -> None:
    group_rule_save(
        actor=personas.admin,
        rule=None,
        values={
            "entity": "contacts",
            "name": "Ивановы",
            "field": "address",
            "operator": "contains",
            "value": "Иванов",
            "effect": "add_tag",
            "tag": "Семья",
        },
    )
    client = api(personas.manager_a)
    created = client.post(
        "/api/v1/contacts/",
        {"last_name": "Иванов", "address": "Ивановская, 1", "tags": ["VIP"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["tags"] == ["VIP", "Семья"]
    assert created.json() == client.get(f"/api/v1/contacts/{pk}/").json()
    document = SearchDocument.objects.get(kind="contact", object_id=pk)
    assert document.body == contact_documents([pk])[pk] and "семья" in document.body


@pytest.mark.parametrize(
    "value",
    [
        {"ab": 1, "zeta": [{"kind": "x", "handle": "y"}]},
        {"zeta": 1, "ab": 2},
        [{"handle": "y", "kind": "x"}],
        {"ab": 1, "б": 2, "abc": 3},  # "б" is two bytes long, and sorts after "a"
        {"б": 1, "ab": 2},
        {"x": {"bb": 1, "a": 2}},
        [],
        {},
        "text",
    ],
)
def test_json_reads_back_as_is_exactly_when_the_database_keeps_its_key_order(
    value: Any, db: Any
) -> None:
    """Checked against the database itself: a JSON column's value read back keeps its keys in
    the same order exactly when :func:`reads_back_as_is` says so (SQLite: always as written)."""
    cast = "CAST(%s AS jsonb)::text" if connection.vendor == "postgresql" else "json(%s)"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {cast}", [json.dumps(value)])  # noqa: S608 - fixed text
        back = json.loads(cursor.fetchone()[0])
    same = json.dumps(back) == json.dumps(value)
    if connection.vendor == "postgresql":
        assert reads_back_as_is(value) == same
    else:
        assert same


def statements(send: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = send()
    assert response.status_code == 201, response.content
    return len(captured.captured_queries)


def test_creating_a_contact_and_logging_a_call_cost_few_statements(
    personas: Personas, api: Any
) -> None:
    """As the bench sends them. A contact: the token with its user, branch and grants; custom
    field definitions; group rules; the contact, its phone, its email, the audit entry, the
    event, the search document; the transaction's two (BEGIN and COMMIT, here a savepoint). A
    call: the token, its company, the activity, the audit entry, the event; and BEGIN and
    COMMIT, which a test's own transaction leaves out (the write path makes no savepoint)."""
    client = api(personas.manager_a)
    company = CompanyFactory(owner=personas.manager_a)
    for number in range(2):  # the second time: nothing read once per process is counted
        contact = statements(
            lambda number=number: client.post(
                "/api/v1/contacts/", api_contact(number, "Скоров"), format="json"
            )
        )
        call = statements(
            lambda: client.post(
                "/api/v1/activities/",
                {
                    "type": "call",
                    "company": company.pk,
                    "subject": "Входящий звонок",
                    "direction": "in",
                    "duration": 75,
                    "outcome": "reached",
                    "body": "Спрашивал про сроки поставки",
                },
                format="json",
            )
        )
    assert contact == 11
    assert call == 5
    assert Contact.objects.filter(last_name__startswith="Скоров").count() == 2
