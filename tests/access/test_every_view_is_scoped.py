"""Walks every route: each must be listed here, and no list may show another branch's records.

A new page or endpoint fails this test until someone decides, in the table below, how it is
protected — so nobody can add an unscoped list by accident.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from kartoteka.activities.models import Activity, CalendarEvent, Task
from kartoteka.core.models import RecordShare
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory
from tests.kindtest.models import Gadget

SECRET_COMPANY = "ООО «Секрет Казани»"
SECRET_CONTACT = "Тайнов"

# route name -> how it is protected
#   "list": shows scoped records; checked for leaks below
#   "record": one record by id, scoped (404 outside scope; tested in the matrix and pages tests)
#   "admin": needs a grant sales managers lack (answers 403/404 to them; checked below)
#   "self": only about the signed-in user
#   "public": no login needed, shows no client data
ROUTES: dict[str, str] = {
    "home": "list",
    "health": "public",
    "accounts:login": "public",
    "accounts:set-language": "public",
    "accounts:logout": "self",
    "accounts:profile": "self",
    "accounts:density": "self",
    "accounts:token-revoke": "self",
    "accounts:settings": "self",
    "accounts:user-list": "list",
    "accounts:user-create": "admin",
    "accounts:user-edit": "record",
    "accounts:role-list": "admin",
    "accounts:role-create": "admin",
    "accounts:role-edit": "admin",
    "accounts:branch-list": "admin",
    "core:audit": "admin",
    "records:trash": "list",  # everyone's own deleted records; administrators see all
    "records:trash-restore": "record",
    "records:undo": "self",
    "clients:search": "list",
    "clients:search-box": "list",
    "records:saved-view-create": "self",
    "records:saved-view-delete": "self",
    "clients:company-list": "list",
    "clients:company-create": "self",
    "clients:company-detail": "record",
    "clients:company-edit": "record",
    "clients:company-inline": "record",
    "clients:company-delete": "record",
    "clients:company-share": "record",
    "clients:company-unshare": "record",
    "clients:contact-list": "list",
    "clients:contact-create": "self",
    "clients:contact-detail": "record",
    "clients:contact-edit": "record",
    "clients:contact-inline": "record",
    "clients:contact-delete": "record",
    "clients:contact-share": "record",
    "clients:contact-unshare": "record",
    "records:duplicates": "list",
    "clients:company-duplicates-check": "list",
    "clients:contact-duplicates-check": "list",
    "clients:company-merge": "record",
    "clients:contact-merge": "record",
    "api:company-duplicates": "list",
    "api:contact-duplicates": "list",
    "api:company-merge": "record",
    "api:contact-merge": "record",
    "records:company-export": "list",
    "records:contact-export": "list",
    "records:custom-field-list": "admin",
    "records:custom-field-create": "admin",
    "records:custom-field-edit": "admin",
    "records:custom-field-delete": "admin",
    "records:custom-field-move": "admin",
    "records:group-rule-list": "admin",
    "records:group-rule-create": "admin",
    "records:group-rule-edit": "admin",
    "records:group-rule-apply": "admin",
    "records:group-rule-move": "admin",
    "records:group-rule-delete": "admin",
    "records:tag-list": "admin",
    "activities:important-dates": "admin",
    "records:tag-create": "admin",
    "records:tag-edit": "admin",
    "records:tag-delete": "admin",
    "api:custom-field-list": "public-to-users",
    "api:custom-field-detail": "public-to-users",
    "api:company-export": "list",
    "api:contact-export": "list",
    "api:schema": "public",
    "api:search": "list",
    "api:docs": "public",
    "api:user-list": "list",
    "api:user-detail": "record",
    "api:user-me": "self",
    "api:branch-list": "public-to-users",
    "api:branch-detail": "public-to-users",
    "api:role-list": "public-to-users",
    "api:role-detail": "public-to-users",
    "api:audit-list": "admin",
    "api:audit-detail": "admin",
    "api:company-list": "list",
    "api:company-detail": "record",
    "api:contact-list": "list",
    "api:contact-detail": "record",
    "records:company-bulk": "record",
    "records:contact-bulk": "record",
    "records:company-bulk-count": "list",
    "records:contact-bulk-count": "list",
    # The test-only record kind (tests/kindtest): its own pages, and what it gets by registering.
    "kindtest:gadget-list": "list",
    "activities:activity-list": "list",
    "activities:activity-detail": "record",
    "activities:task-list": "list",
    "activities:task-detail": "record",
    "activities:task-create": "self",
    "activities:task-complete": "record",
    "activities:task-reopen": "record",
    "activities:task-snooze": "record",
    "activities:task-checklist": "record",
    "activities:task-comment": "record",
    "activities:task-delete": "record",
    "activities:calendar": "list",
    "activities:calendar-events": "list",
    "activities:event-create": "self",
    "activities:event-detail": "record",
    "activities:activity-edit": "record",
    "activities:activity-delete": "record",
    "activities:company-timeline": "record",
    "activities:contact-timeline": "record",
    "activities:company-log": "record",
    "activities:contact-log": "record",
    "activities:refusal-reason-list": "admin",
    "activities:refusal-reason-create": "admin",
    "activities:refusal-reason-edit": "admin",
    "activities:refusal-reason-move": "admin",
    "api:company-timeline": "record",
    "api:contact-timeline": "record",
    "activities:event-edit": "record",
    "activities:event-move": "record",
    "activities:event-delete": "record",
    "activities:calendar-import": "self",
    "activities:subscription-create": "self",
    "activities:subscription-revoke": "self",
    # The subscription address: no login; the token names one person's own meetings (404 when
    # made up, forged or revoked).
    "activities:calendar-ical": "self",
    "records:activity-export": "list",
    "records:activity-bulk": "record",
    "records:activity-bulk-count": "list",
    "records:task-export": "list",
    "records:task-bulk": "record",
    "records:task-bulk-count": "list",
    "records:event-export": "list",
    "records:event-bulk": "record",
    "records:event-bulk-count": "list",
    "kindtest:gadget-detail": "record",
    "records:gadget-export": "list",
    "records:gadget-bulk": "record",
    "records:gadget-bulk-count": "list",
    "records:batch-list": "list",
    "records:batch-undo": "record",
    "records:handover": "admin",
    "api:company-bulk": "record",
    "api:contact-bulk": "record",
    "api:batch-list": "list",
    "api:batch-detail": "record",
    "api:batch-undo": "record",
    # A background job's progress: only the person who started it sees it (404 for others).
    "core:job-detail": "self",
    "api:job-list": "self",
    "api:job-detail": "self",
    "api:activity-list": "list",
    "api:activity-detail": "record",
    "api:task-list": "list",
    "api:task-detail": "record",
    "api:event-list": "list",
    "api:event-detail": "record",
    # The administered list of refusal reasons: names no client.
    "api:refusal-reason-list": "public-to-users",
    "api:refusal-reason-detail": "public-to-users",
    # The bell: one's own notifications only (another person's answers 404).
    "core:notification-list": "self",
    "core:notification-stream": "self",
    "core:notification-read": "self",
    "core:notification-read-all": "self",
    "api:notification-list": "self",
    "api:notification-read": "self",
    "api:notification-read-all": "self",
}
# The calendar's feed answers for a range; Kazan's secret meeting starts now.
_TODAY = timezone.localdate()
_AROUND_NOW = f"start={_TODAY - timedelta(days=20)}T00:00&end={_TODAY + timedelta(days=20)}T00:00"
LIST_URLS = {
    "home": "/",
    "accounts:user-list": "/settings/users/",
    "clients:search": "/search/?q=%D0%9E%D0%9E%D0%9E",
    "clients:search-contact": "/search/?q=%D1%82%D0%B0%D0%B9",
    "clients:search-box": "/search/box/?q=%D0%9E%D0%9E%D0%9E",
    "clients:search-box-contact": "/search/box/?q=%D1%82%D0%B0%D0%B9",
    "clients:company-list": "/companies/",
    "clients:contact-list": "/contacts/",
    "records:duplicates": "/duplicates/?kind=companies&reason=name",
    "records:duplicates-contacts": "/duplicates/?kind=contacts&reason=name",
    "clients:company-duplicates-check": "/companies/duplicates/check/?name=Секрет+Казани",
    "clients:contact-duplicates-check": (
        "/contacts/duplicates/check/?last_name=Тайнов&first_name=Иван"
    ),
    "api:company-duplicates": "/api/v1/companies/duplicates/?reason=name",
    "api:contact-duplicates": "/api/v1/contacts/duplicates/?reason=name",
    "records:company-export": "/companies/export/",
    "records:contact-export": "/contacts/export/",
    "api:company-export": "/api/v1/companies/export/",
    "api:contact-export": "/api/v1/contacts/export/",
    "api:user-list": "/api/v1/users/?limit=500",
    "api:search": "/api/v1/search/?q=%D1%82%D0%B0%D0%B9",
    "api:company-list": "/api/v1/companies/?limit=500",
    "api:contact-list": "/api/v1/contacts/?limit=500",
    "records:batch-list": "/settings/batches/",
    "api:batch-list": "/api/v1/batches/",
    "kindtest:gadget-list": "/gadgets/",
    "records:gadget-export": "/gadgets/export/",
    "records:trash": "/settings/trash/",
    "activities:activity-list": "/activities/",
    "activities:task-list": "/tasks/",
    "activities:task-list-overdue": "/tasks/?tab=overdue&assignee=all",
    "activities:task-list-delegated": "/tasks/?tab=delegated",
    "home-team": "/?view=team",
    "activities:calendar": "/calendar/",
    "activities:calendar-events": f"/calendar/events/?who=branch&{_AROUND_NOW}",
    "activities:calendar-events-all": f"/calendar/events/?who=all&{_AROUND_NOW}",
    "activities:event-create": "/calendar/events/new/",
    "records:activity-export": "/activities/export/",
    "records:task-export": "/tasks/export/",
    "api:activity-list": "/api/v1/activities/?limit=500",
    "api:task-list": "/api/v1/tasks/?limit=500",
    "api:event-list": "/api/v1/events/?limit=500",
}
ADMIN_URLS = {
    "accounts:user-create": "/settings/users/new/",
    "accounts:role-list": "/settings/roles/",
    "accounts:role-create": "/settings/roles/new/",
    "accounts:branch-list": "/settings/branches/",
    "core:audit": "/settings/audit/",
    "records:custom-field-list": "/settings/custom-fields/",
    "records:custom-field-create": "/settings/custom-fields/new/",
    "records:group-rule-list": "/settings/group-rules/",
    "records:group-rule-create": "/settings/group-rules/new/",
    "records:tag-list": "/settings/tags/",
    "activities:important-dates": "/settings/important-dates/",
    "activities:refusal-reason-list": "/settings/refusal-reasons/",
    "api:audit-list": "/api/v1/audit/",
}


def _names(resolver: URLResolver, namespace: str = "") -> set[str]:
    found: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= _names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.add(f"{namespace}{pattern.name}")
    return found


def test_every_route_is_classified() -> None:
    routes = {name for name in _names(get_resolver()) if not name.startswith("api:api-root")}
    unclassified = routes - set(ROUTES)
    assert not unclassified, f"classify these routes in ROUTES: {sorted(unclassified)}"
    assert not set(ROUTES) - routes, "ROUTES names routes that no longer exist"


@pytest.fixture
def secrets_of_kazan(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_b, name=SECRET_COMPANY)
    ContactFactory(owner=personas.manager_b, last_name=SECRET_CONTACT, company=company)
    # A gadget (the test-only record kind) by the same name: no list may show it either.
    Gadget.objects.create(owner=personas.manager_b, branch=personas.branch_b, name=SECRET_COMPANY)
    # Kazan's work about that client: its call, its task and its meeting name it.
    kazan = {"owner": personas.manager_b, "branch": personas.branch_b, "company": company}
    Activity.objects.create(type="call", subject=SECRET_CONTACT, **kazan)
    overdue = timezone.localdate() - timedelta(days=2)
    Task.objects.create(title=SECRET_CONTACT, author=personas.manager_b, due_date=overdue, **kazan)
    start = timezone.now()
    CalendarEvent.objects.create(
        title=SECRET_CONTACT, starts_at=start, ends_at=start + timedelta(hours=1), **kazan
    )


@pytest.mark.parametrize("route", sorted(LIST_URLS))
def test_no_list_shows_records_out_of_scope(
    route: str, personas: Personas, secrets_of_kazan: None, client: Client, api: Any
) -> None:
    mine = CompanyFactory(owner=personas.manager_a, name="ООО «Моя»")
    Gadget.objects.create(owner=personas.manager_a, branch=personas.branch_a, name="ООО «Моя»")
    # "тай" (the contact searches) is in both this name and Kazan's secret one
    ContactFactory(owner=personas.manager_a, last_name="Тайников", company=mine)
    url = LIST_URLS[route]
    if route.startswith("api:"):
        response = api(personas.manager_a).get(url)
    else:
        client.force_login(personas.manager_a)
        response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode()
    if route.startswith("clients:search-box"):
        text = re.sub(r"<[^>]+>", "", text)  # the command box marks what matched inside names
    assert SECRET_COMPANY not in text and SECRET_CONTACT not in text
    assert "manager_b" not in text
    if route in (
        "clients:company-list",
        "api:company-list",
        "clients:search",
        "clients:search-box",
        "api:company-export",
        "kindtest:gadget-list",
        "records:gadget-export",
    ):
        assert "ООО «Моя»" in text  # the list works, it is not just empty
    if route in (
        "clients:contact-list",
        "api:contact-list",
        "clients:search-contact",
        "clients:search-box-contact",
        "api:search",
    ):
        assert "Тайников" in text


@pytest.mark.parametrize(
    "route",
    ["clients:company-list", "clients:contact-list", "api:company-list", "api:contact-list"],
)
def test_lists_include_what_is_shared(
    route: str, personas: Personas, secrets_of_kazan: None, client: Client, api: Any
) -> None:
    from kartoteka.clients.models import Company, Contact
    from kartoteka.records.sharing import share_create

    share_create(
        actor=personas.head,
        obj=Company.objects.get(name=SECRET_COMPANY),
        user=personas.manager_a,
    )
    share_create(
        actor=personas.head,
        obj=Contact.objects.get(last_name=SECRET_CONTACT),
        user=personas.manager_a,
    )
    assert RecordShare.objects.count() == 2
    url = LIST_URLS[route]
    if route.startswith("api:"):
        text = api(personas.manager_a).get(url).content.decode()
    else:
        client.force_login(personas.manager_a)
        text = client.get(url).content.decode()
    assert SECRET_COMPANY in text or SECRET_CONTACT in text


@pytest.mark.parametrize("route", sorted(ADMIN_URLS))
def test_admin_pages_are_closed_to_managers(
    route: str, personas: Personas, client: Client, api: Any
) -> None:
    url = ADMIN_URLS[route]
    if route.startswith("api:"):
        status = api(personas.manager_a).get(url).status_code
    else:
        client.force_login(personas.manager_a)
        status = client.get(url).status_code
    assert status in (403, 404)
