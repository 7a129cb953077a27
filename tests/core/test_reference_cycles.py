"""A list request leaves nothing for the cycle collector: its rows are freed as it ends.

Objects caught in reference cycles wait for a full collection, which then stalls a request
(every dozenth 50-row list took 70–160 ms while it walked tens of thousands of them).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import pytest
from django.db import models
from django.db.models.query import QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.template.context import BaseContext
from django.test import Client
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from tests.clients.post_data import api_contact
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

#: What Django itself leaves per query that joins a related table: the SQL compiler's nested
#: ``get_select_from_parent`` closes over itself (a function, its cell and its closure tuple).
#: A few per request, whatever the number of rows; one cycle per row would be hundreds.
TOLERATED = 12

#: what the test client hangs on a response for the test to read (not there in production)
TEST_CLIENT_ATTRIBUTES = ("json", "context", "templates", "client", "request", "wsgi_request")

FROM_THE_REQUEST = (
    models.Model,
    QuerySet,
    BaseSerializer,
    APIView,
    Request,
    HttpRequest,
    HttpResponseBase,
    BaseContext,
)


def one_request(get: Callable[[], Any], status: int = 200) -> None:
    response = get()
    assert response.status_code == status, response.content[:300]
    for name in TEST_CLIENT_ATTRIBUTES:
        response.__dict__.pop(name, None)


def garbage_of(get: Callable[[], Any], status: int = 200) -> list[Any]:
    """What the cycle collector finds unreachable after one request ``get()`` makes, once
    warmed up so one-time caches (content types, translations, templates) do not count."""
    for _warm_up in range(2):
        one_request(get, status)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.garbage.clear()
        one_request(get, status)
        gc.collect()
        return list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def kinds_of(garbage: list[Any]) -> list[str]:
    return sorted({type(thing).__qualname__ for thing in garbage})


def from_the_request(garbage: list[Any]) -> list[str]:
    return sorted(
        {type(thing).__qualname__ for thing in garbage if issubclass(type(thing), FROM_THE_REQUEST)}
    )


def assert_writes_leave_no_cycles(*writes: tuple[Callable[[], Any], int]) -> None:
    """Each write (answering its status) leaves nothing of the request in reference cycles."""
    for write, status in writes:
        garbage = garbage_of(write, status)
        left, count, kinds = from_the_request(garbage), len(garbage), kinds_of(garbage)
        del garbage
        assert left == [], f"{write.__name__} left these in reference cycles"
        assert count <= TOLERATED, f"{write.__name__} left {count} objects in cycles: {kinds}"


@pytest.fixture
def rows(personas: Personas) -> None:
    """A full first page: 60 contacts, each with a phone, at one of a few companies."""
    companies = CompanyFactory.create_batch(5, owner=personas.admin)
    for number in range(60):
        ContactFactory(owner=personas.admin, company=companies[number % 5])


@pytest.mark.parametrize(
    "how, url",
    [
        ("api", "/api/v1/contacts/?limit=50"),
        ("api", "/api/v1/companies/?limit=50"),
        ("page", "/contacts/"),
        ("page", "/contacts/?sort=name"),
        ("page", "/companies/"),
    ],
)
def test_a_list_request_leaves_no_reference_cycles(
    how: str, url: str, personas: Personas, rows: None, client: Client, api: Any
) -> None:
    client.force_login(personas.admin)
    http = api(personas.admin) if how == "api" else client
    garbage = garbage_of(lambda: http.get(url))
    # Only names and counts are compared: the objects themselves may not survive a repr.
    left, count, kinds = from_the_request(garbage), len(garbage), kinds_of(garbage)
    del garbage
    assert left == [], f"{url} left these in reference cycles"
    assert count <= TOLERATED, f"{url} left {count} objects in reference cycles: {kinds}"


def test_a_card_leaves_no_rows_in_cycles(personas: Personas, rows: None, client: Client) -> None:
    """The card (with its people, their phones and its forms) frees its rows too."""
    client.force_login(personas.admin)
    company = CompanyFactory(owner=personas.admin)
    ContactFactory.create_batch(10, owner=personas.admin, company=company)
    garbage = garbage_of(lambda: client.get(f"/companies/{company.pk}/"))
    left = from_the_request(garbage)
    del garbage
    assert left == []


def test_a_write_through_the_api_leaves_no_reference_cycles(personas: Personas, api: Any) -> None:
    """A write's serializer and its fields name each other; untied once the answer is sent, the
    request, the view and the record are freed with it (a create left 300 objects, and a young
    collection every twenty writes made them the slowest 5%)."""
    http = api(personas.admin)
    company = CompanyFactory(owner=personas.admin)
    made = iter(range(10))

    def create() -> Any:
        body = api_contact(next(made), "Бесцикловый")
        return http.post("/api/v1/contacts/", body, format="json")

    def log_a_call() -> Any:
        call = {"type": "call", "company": company.pk, "subject": "Звонок", "direction": "in"}
        return http.post("/api/v1/activities/", call, format="json")

    def rename() -> Any:
        company.refresh_from_db()
        change = {"name": f"ООО «Бесцикловое {company.version}»", "version": company.version}
        return http.patch(f"/api/v1/companies/{company.pk}/", change, format="json")

    assert_writes_leave_no_cycles((create, 201), (log_a_call, 201), (rename, 200))


def test_bulk_changes_and_merges_leave_no_reference_cycles(personas: Personas, api: Any) -> None:
    """The serializers a bulk change and a merge make for their bodies and answers are let go
    of as the others are."""
    http = api(personas.admin)
    companies = CompanyFactory.create_batch(3, owner=personas.admin)
    ids = [company.pk for company in companies]
    values = iter(["client", "former", "client", "former"])

    def preview() -> Any:
        body = {"action": "set_field", "ids": ids, "field": "status", "value": "client"}
        return http.post("/api/v1/companies/bulk/", {**body, "preview": True}, format="json")

    def change() -> Any:
        body = {"action": "set_field", "ids": ids, "field": "status", "value": next(values)}
        return http.post("/api/v1/companies/bulk/", body, format="json")

    pairs = iter([CompanyFactory.create_batch(2, owner=personas.admin) for _ in range(3)])

    def merge() -> Any:
        survivor, other = next(pairs)
        body = {"other": other.pk, "version": survivor.version, "other_version": other.version}
        return http.post(f"/api/v1/companies/{survivor.pk}/merge/", body, format="json")

    assert_writes_leave_no_cycles((preview, 200), (change, 201), (merge, 200))
