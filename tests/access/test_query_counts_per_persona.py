"""Every persona's pages and API calls issue as many SQL queries at 200 rows as at 10.

The rows are split between what the persona may see and what it may not (Moscow and Kazan
owners), linked across the line (Moscow people working at Kazan companies, Kazan people at a
Moscow company, shares), so scoping links row by row would show up as growing counts.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from kartoteka.accounts.models import User
from kartoteka.accounts.services import token_create
from kartoteka.activities.models import Activity, CalendarEvent, EventParticipant, Task
from kartoteka.clients.models import Company, Employment
from kartoteka.core.models import RecordShare
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

PERSONAS = ("admin", "head", "branch_head_a", "manager_a", "service_a", "marketer", "auditor")
PAGES = [
    "/",
    "/companies/",
    "/contacts/",
    "/companies/{company}/",
    "/companies/{company}/?tab=contacts",
    "/companies/{company}/?tab=history",
    "/contacts/{contact}/",
    "/contacts/{contact}/edit/",
    "/companies/export/",
    "/contacts/export/",
    "/search/?q=%D0%9E%D0%9E%D0%9E",
    "/search/box/?q=%D0%9E%D0%9E%D0%9E",
    "/duplicates/?kind=companies&reason=name",
    "/duplicates/?kind=companies",
    "/companies/{company}/?tab=sharing",
    "/settings/trash/",
    "/settings/batches/",
    "/settings/audit/",
]
API = [
    "/api/v1/companies/?limit=500",
    "/api/v1/contacts/?limit=500",
    "/api/v1/companies/{company}/",
    "/api/v1/contacts/{contact}/",
    "/api/v1/contacts/export/",
    "/api/v1/search/?q=%D0%9E%D0%9E%D0%9E",
    "/api/v1/batches/",
    "/api/v1/users/?limit=500",
    "/api/v1/activities/?limit=500",
    "/api/v1/activities/?company={company}",
    "/api/v1/tasks/?limit=500",
    "/api/v1/events/?limit=500",
    "/api/v1/events/?participant={user}",
]


def _work(owner: User, other: User, company: Company, anchor: Company) -> None:
    """A call on each company and on the anchor, a task set by the other side, a meeting with
    both sides: activities, tasks and events on both sides of the line, linked across it."""
    place = {"owner": owner, "branch": owner.branch}
    Activity.objects.create(type="call", company=company, **place)
    Activity.objects.create(type="note", company=anchor, **place)
    Task.objects.create(title="Задача", author=other, company=company, **place)
    start = timezone.now()
    event = CalendarEvent.objects.create(
        title="Встреча", company=anchor, starts_at=start, ends_at=start, **place
    )
    EventParticipant.objects.bulk_create(
        [EventParticipant(event=event, user=owner), EventParticipant(event=event, user=other)]
    )


def grow(people: Personas, anchor: Company, contact_id: int, rows: int) -> None:
    """``rows`` companies and contacts on each side, linked across the line."""
    company_type = ContentType.objects.get_for_model(Company)
    for owner, other in (
        (people.manager_a, people.manager_b),
        (people.manager_b, people.manager_a),
    ):
        companies = CompanyFactory.create_batch(rows, owner=owner)
        for company in companies:
            ContactFactory(owner=other, company=company)  # someone of the other side works here
            Employment.objects.create(contact_id=contact_id, company=company, position="совм.")
            ContactFactory(owner=owner, company=anchor)
            _work(owner, other, company, anchor)
        # Some in the trash, deleted by their owners: everyone's own trash lists them.
        trashed = CompanyFactory.create_batch(max(rows // 5, 1), owner=owner)
        Company.all_objects.filter(pk__in=[company.pk for company in trashed]).update(
            deleted_at=timezone.now(), deleted_by=owner
        )
        RecordShare.objects.bulk_create(
            RecordShare(
                content_type=company_type,
                object_id=company.pk,
                branch=people.branch_a if owner == people.manager_b else people.branch_b,
                created_by=owner,
            )
            for company in companies[: rows // 5]
        )


def measure(client: Any, url: str) -> tuple[int, int]:
    client.get(url)  # warm per-process caches, so only the request itself is counted
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return response.status_code, len(captured.captured_queries)


def test_queries_do_not_grow_with_data(personas: Personas) -> None:
    """Every persona at 10 rows, then every persona at 130: the rows are grown once for all of
    them (a growth costs seconds, a persona's counts a fraction of that)."""
    anchor = CompanyFactory(owner=personas.manager_a, name="ООО «Якорь»")
    contact = ContactFactory(owner=personas.manager_a, last_name="Якорев", company=anchor)
    clients = {}
    for persona in PERSONAS:
        user = getattr(personas, persona)
        page = Client()
        page.force_login(user)
        api = APIClient()
        token = token_create(actor=None, user=user, name="q")
        api.credentials(HTTP_AUTHORIZATION="Bearer " + token)
        clients[persona] = (user, [(page, url) for url in PAGES] + [(api, url) for url in API])

    def counts(persona: str) -> dict[str, tuple[int, int]]:
        user, urls = clients[persona]
        return {
            url: measure(client, url.format(company=anchor.pk, contact=contact.pk, user=user.pk))
            for client, url in urls
        }

    grow(personas, anchor, contact.pk, 5)
    small = {persona: counts(persona) for persona in PERSONAS}
    grow(personas, anchor, contact.pk, 60)
    if connection.vendor == "postgresql":
        # Planned on the statistics of empty tables, the contact search re-ran its match for
        # every contact (2-30 s a request here); a database in use is analyzed as it grows.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    problems = []
    for persona in PERSONAS:
        large = counts(persona)
        grown = {
            url: (small[persona][url], large[url])
            for url in large
            if large[url][0] != small[persona][url][0] or large[url][1] > small[persona][url][1]
        }
        if grown:
            problems.append(f"{persona}: (status, queries) at 10 rows vs 130 rows: {grown}")
        if not any(status == 200 for status, _ in small[persona].values()):
            problems.append(f"{persona}: nothing answered 200")
    assert not problems, "\n".join(problems)
