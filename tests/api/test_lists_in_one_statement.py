"""A record's lists (phones, emails, tags, companies, close people) come with the record: in the
record's own statement on PostgreSQL, in one more right after it on SQLite (no round trip there,
and the lists of only the rows read); the caller-ID lookup is two statements on both (the token,
the lookup), for every persona, each list in order and within the caller's access."""

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
from tests.conftest import SIGNED_IN, Personas
from tests.factories.clients import CompanyFactory, ContactFactory

#: the token's statement, the rows' and (SQLite) their lists'
STATEMENTS = 3 if connection.vendor == "sqlite" else 2
#: a caller-ID lookup's: the token's, the rows' with their lists (a few rows an index finds)
LOOKUP_STATEMENTS = 2


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


@pytest.mark.parametrize("persona", SIGNED_IN)
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
        assert len(captured.captured_queries) <= LOOKUP_STATEMENTS
        assert rows == []
        return
    assert len(captured.captured_queries) == LOOKUP_STATEMENTS, [q["sql"][:120] for q in captured]
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
    assert len(captured.captured_queries) == STATEMENTS
    assert [p["number"] for p in data["phones"]] == ["+74951110000", "+74951112233"]
    assert data["emails"] == [{"address": "office@example.ru", "kind": "work"}]
    assert data["tags"] == ["Опт"]


def test_a_sorted_page_reads_the_lists_of_its_rows_only(personas: Personas, api: Any) -> None:
    """A manager's own contacts, newest first, sorted without an index (his rows are found
    through two indexes): the lists are read for the page's rows, not for every candidate."""
    made = [ContactFactory(owner=personas.manager_a) for _ in range(12)]
    for contact in made:
        ContactEmail.objects.create(contact=contact, address=f"c{contact.pk}@example.ru")
    client = api(personas.manager_a)
    client.get("/api/v1/contacts/?limit=5")
    with CaptureQueriesContext(connection) as captured:
        rows = client.get("/api/v1/contacts/?limit=5").json()["results"]
    assert [row["id"] for row in rows] == [c.pk for c in reversed(made)][:5]
    assert [row["emails"][0]["address"] for row in rows] == [
        f"c{row['id']}@example.ru" for row in rows
    ]
    assert len(captured.captured_queries) == STATEMENTS
    if connection.vendor == "sqlite":
        # The page's rows and the one that tells there is a next page: not all twelve.
        listed = captured.captured_queries[-1]["sql"].rsplit(" IN (", 1)[1].rstrip(")")
        assert [int(pk) for pk in listed.split(", ")] == [c.pk for c in reversed(made)][:6]
