"""A record's lists (phones, emails, tags, companies, close people) come with the record, in
the record's own statement: the caller-ID lookup is two statements (the token, the lookup)
for every persona, and shows each list in order and within the caller's access."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.clients.models import (
    CompanyEmail,
    CompanyPhone,
    ContactEmail,
    ContactPhone,
    RelatedPerson,
)
from kartoteka.records.models import Tag
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

PERSONAS = [
    "admin",
    "head",
    "branch_head_a",
    "manager_a",
    "teammate_a",
    "colleague_a",
    "service_a",
    "marketer",
    "auditor",
    "manager_b",
    "outsider",
]


@pytest.fixture
def caller(personas: Personas) -> dict[str, Any]:
    """manager_a's contact working at manager_a's company and at manager_b's (hidden from
    branch A's managers), with two phones listed second-first, tags and a close person."""
    visible = CompanyFactory(owner=personas.manager_a, name="ООО «Видно»")
    hidden = CompanyFactory(owner=personas.manager_b, name="ООО «Скрыто»")
    contact = ContactFactory(owner=personas.manager_a, phone="+79161234567", company=visible)
    contact.employments.create(company=hidden, position="консультант")
    ContactPhone.objects.filter(contact=contact).update(position=1)
    ContactPhone.objects.create(contact=contact, number="+79035550000", kind="work", position=0)
    ContactEmail.objects.create(contact=contact, address="b@example.ru", position=1)
    ContactEmail.objects.create(contact=contact, address="a@example.ru", position=0)
    contact.tags.add(Tag.objects.create(name="Юг"), Tag.objects.create(name="ВИП"))
    RelatedPerson.objects.create(
        contact=contact, name="Мария", relation="spouse", birthday=datetime.date(1985, 2, 28)
    )
    return {"contact": contact, "visible": visible, "hidden": hidden}


@pytest.mark.parametrize("persona", PERSONAS)
def test_caller_id_reads_the_contact_and_its_lists_in_one_statement(
    persona: str, personas: Personas, api: Any, caller: dict[str, Any]
) -> None:
    user = getattr(personas, persona)
    client = api(user)
    client.get("/api/v1/contacts/?phone=89161234567")  # warm per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/contacts/?phone=89161234567")
    assert response.status_code == 200
    from kartoteka.clients import queries

    sees = queries.contacts(user).filter(pk=caller["contact"].pk).exists()
    rows = response.json()["results"]
    if not sees:
        # Someone with no right to contacts at all is answered without asking the database.
        assert len(captured.captured_queries) <= 2
        assert rows == []
        return
    assert len(captured.captured_queries) == 2, [q["sql"][:120] for q in captured]
    (row,) = rows
    assert [p["number"] for p in row["phones"]] == ["+79035550000", "+79161234567"]
    assert [e["address"] for e in row["emails"]] == ["a@example.ru", "b@example.ru"]
    assert row["tags"] == ["ВИП", "Юг"]
    assert row["related_persons"] == [
        {"name": "Мария", "relation": "spouse", "birthday": "1985-02-28", "anniversary": None}
    ]
    companies = set(queries.companies(user).values_list("pk", flat=True))
    expected = [c.pk for c in (caller["visible"], caller["hidden"]) if c.pk in companies]
    assert row["companies"] == expected
    if persona == "manager_a":
        assert expected == [caller["visible"].pk]  # the other branch's company is not named


def test_a_company_reads_its_lists_in_one_statement(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a, phone="+74951112233")
    CompanyPhone.objects.filter(company=company).update(position=1)
    CompanyPhone.objects.create(company=company, number="+74951110000", position=0)
    CompanyEmail.objects.create(company=company, address="office@example.ru")
    company.tags.add(Tag.objects.create(name="Опт"))
    client = api(personas.manager_a)
    client.get(f"/api/v1/companies/{company.pk}/")
    with CaptureQueriesContext(connection) as captured:
        data = client.get(f"/api/v1/companies/{company.pk}/").json()
    assert len(captured.captured_queries) == 2
    assert [p["number"] for p in data["phones"]] == ["+74951110000", "+74951112233"]
    assert data["emails"] == [{"address": "office@example.ru", "kind": "work"}]
    assert data["tags"] == ["Опт"]
