"""Pages and API lists issue the same number of SQL queries at 10 rows and at 200."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

PAGES = [
    "/search/?q=%D0%9E%D0%9E%D0%9E",
    "/search/box/?q=%D0%9E%D0%9E%D0%9E",
    "/",
    "/companies/",
    "/contacts/",
    "/duplicates/?kind=companies&reason=name",
    "/duplicates/?kind=contacts&reason=phone",
    "/settings/users/",
    "/settings/audit/",
    "/settings/trash/",
    "/settings/roles/",
    "/settings/branches/",
    "/settings/custom-fields/",
    "/settings/group-rules/",
    "/settings/tags/",
]
API = [
    "/api/v1/companies/?limit=500",
    "/api/v1/contacts/?limit=500",
    "/api/v1/contacts/?limit=500&ordering=-last_name,created_at",
    "/api/v1/companies/?limit=500&ordering=city,-name",
    "/api/v1/companies/duplicates/?reason=name",
    "/api/v1/users/?limit=500",
    "/api/v1/audit/?limit=500",
    "/api/v1/roles/",
    "/api/v1/branches/",
]


def grow(personas: Personas, rows: int) -> None:
    """rows companies and contacts, each contact at a company, plus trash and audit rows."""
    from kartoteka.clients.services import common
    from kartoteka.clients.services.companies import company_update

    made = CompanyFactory.create_batch(rows, owner=personas.admin)
    for company in made:
        ContactFactory(owner=personas.admin, company=company)
    for company in made[: rows // 10]:
        company_update(
            actor=personas.admin,
            company=company,
            version=company.version,
            values={"name": company.name + " (изм.)"},
        )
    for company in made[rows // 10 : rows // 5]:
        common.record_trash(actor=personas.admin, obj=company)


def count(callable_: Any) -> int:
    callable_()  # warm per-process caches (content types, session) so only the page is counted
    with CaptureQueriesContext(connection) as captured:
        response = callable_()
    assert response.status_code == 200
    return len(captured.captured_queries)


def _grown_counts(get: Any, urls: list[str], personas: Personas) -> dict[str, tuple[int, int]]:
    """Each URL's queries at 10 rows and at 200; the rows are grown once for all of them (a
    growth costs seconds, a count a fraction of one)."""
    grow(personas, 10)
    small = {url: count(lambda url=url: get(url)) for url in urls}
    grow(personas, 190)
    return {url: (small[url], count(lambda url=url: get(url))) for url in urls}


def test_page_queries_do_not_grow_with_data(personas: Personas, client: Client) -> None:
    client.force_login(personas.admin)
    counts = _grown_counts(client.get, PAGES, personas)
    grown = {url: pair for url, pair in counts.items() if pair[1] > pair[0]}
    assert not grown, f"queries at 10 rows and at 200: {grown}"


def test_api_queries_do_not_grow_with_data(personas: Personas, api: Any) -> None:
    counts = _grown_counts(api(personas.admin).get, API, personas)
    grown = {url: pair for url, pair in counts.items() if pair[1] > pair[0]}
    assert not grown, f"queries at 10 rows and at 200: {grown}"


def test_card_queries_do_not_grow_with_history(personas: Personas, client: Client) -> None:
    from kartoteka.clients.services.companies import company_update

    client.force_login(personas.admin)
    company = CompanyFactory(owner=personas.admin)
    ContactFactory.create_batch(3, owner=personas.admin, company=company)
    small = count(lambda: client.get(f"/companies/{company.pk}/"))
    for number in range(30):
        company = company_update(
            actor=personas.admin,
            company=company,
            version=company.version,
            values={"name": f"ООО «Версия {number}»"},
        )
    ContactFactory.create_batch(30, owner=personas.admin, company=company)
    large = count(lambda: client.get(f"/companies/{company.pk}/"))
    assert large == small


def _employer_urls(contact_id: int) -> list[tuple[str, str]]:
    return [
        ("page", f"/contacts/{contact_id}/"),
        ("page", f"/contacts/{contact_id}/edit/"),
        ("page", "/contacts/"),
        ("page", "/contacts/?cols=company"),
        ("page", "/contacts/export/"),
        ("api", f"/api/v1/contacts/{contact_id}/"),
        ("api", "/api/v1/contacts/"),
        ("api", "/api/v1/contacts/export/"),
    ]


@pytest.mark.parametrize("persona", ["manager_a", "admin", "service_a"])
def test_contact_queries_do_not_grow_with_employers(
    persona: str, personas: Personas, client: Client, api: Any
) -> None:
    """A contact at 1 company and at 20 (half of them another branch's, hidden from a manager
    and a service agent) costs the same queries, on every page and API that shows the links."""
    from kartoteka.clients.services.contacts import contact_create, contact_update
    from kartoteka.core import access

    user = getattr(personas, persona)
    client.force_login(user)
    api_client = api(user)
    companies = [
        CompanyFactory(owner=personas.manager_a if n % 2 == 0 else personas.manager_b)
        for n in range(20)
    ]
    contact = contact_create(
        actor=personas.admin,
        values={
            "last_name": "Работников",
            "owner": personas.manager_a,
            "companies": [companies[0].pk],
        },
    )

    exports = access.has_any(user, "contacts", "export")

    def counts() -> dict[str, int]:
        return {
            url: count(lambda how=how, url=url: (client if how == "page" else api_client).get(url))
            for how, url in _employer_urls(contact.pk)
            if exports or "export" not in url
        }

    one = counts()
    contact = contact_update(
        actor=personas.admin,
        contact=contact,
        version=contact.version,
        values={"companies": [company.pk for company in companies]},
    )
    assert counts() == one


def test_the_authenticated_no_op_reads_the_user_once(personas: Personas, api: Any) -> None:
    """``GET /api/v1/users/me/`` over a token: the token with its user, grants, roles, teams
    and calendar subscription is the one statement (a session reads the record in one more)."""
    client = api(personas.manager_a)
    assert count(lambda: client.get("/api/v1/users/me/")) == 1
    response = client.get("/api/v1/users/me/")
    assert response.data["username"] == personas.manager_a.username
    assert sorted(response.data["roles"]) == sorted(
        personas.manager_a.roles.values_list("pk", flat=True)
    )
    assert sorted(response.data["teams"]) == sorted(
        personas.manager_a.teams.values_list("pk", flat=True)
    )
