"""A caller-ID lookup's statement is compiled once per shape (user's access rule, page size,
order) and run again with the next number: the answers are those a freshly built query gives,
for every persona, and anything that changes what a user may see (their role, another user,
a share's last day) gets a statement of its own."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from kartoteka.accounts.models import RoleGrant
from kartoteka.clients import queries
from kartoteka.clients.api.records import ContactViewSet
from kartoteka.clients.models import Contact
from kartoteka.core.db import compiled
from kartoteka.core.models import RecordShare
from tests.conftest import SIGNED_IN, Personas
from tests.factories.clients import CompanyFactory, ContactFactory


@pytest.fixture(autouse=True)
def nothing_kept() -> Iterator[None]:
    compiled.forget()
    yield
    compiled.forget()


def ids(client: Any, phone: str, **more: Any) -> list[int]:
    response = client.get("/api/v1/contacts/", {"phone": phone, **more})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def numbers(personas: Personas) -> dict[str, Contact]:
    """One contact a number, owned across both branches; one works at a hidden company."""
    owners = [personas.manager_a, personas.teammate_a, personas.colleague_a, personas.manager_b]
    made = {}
    for i, owner in enumerate(owners * 2):
        number = f"+7916000{i:04d}"
        made[number] = ContactFactory(owner=owner, phone=number)
    hidden = CompanyFactory(owner=personas.manager_b)
    made["+79160000000"].employments.create(company=hidden, position="консультант")
    return made


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_every_number_finds_what_the_user_may_see(
    persona: str, personas: Personas, api: Any, numbers: dict[str, Contact]
) -> None:
    user = getattr(personas, persona)
    client = api(user)
    visible = set(queries.contacts(user).values_list("pk", flat=True))
    for number, contact in numbers.items():
        expected = [contact.pk] if contact.pk in visible else []
        # In another format each time: the number is normalised before it fills the slot.
        assert ids(client, "8" + number[2:]) == expected, number
    answered = client.get("/api/v1/contacts/", {"phone": "+79160000000"}).json()["results"]
    if answered:
        # A company hidden from the user is not named on the kept statement's rows either.
        company = numbers["+79160000000"].employments.get().company_id
        sees = queries.companies(user).filter(pk=company).exists()
        assert answered[0]["companies"] == ([company] if sees else [])


def test_the_second_lookup_builds_no_query(
    personas: Personas, api: Any, numbers: dict[str, Contact]
) -> None:
    client = api(personas.head)
    with mock.patch.object(
        ContactViewSet, "get_queryset", autospec=True, side_effect=ContactViewSet.get_queryset
    ) as built:
        for number in numbers:
            assert len(ids(client, number)) == 1
    assert built.call_count == 1


def test_other_users_and_page_sizes_get_statements_of_their_own(
    personas: Personas, api: Any, numbers: dict[str, Contact]
) -> None:
    theirs = next(n for n, c in numbers.items() if c.owner == personas.manager_b)
    mine = next(n for n, c in numbers.items() if c.owner == personas.manager_a)
    assert ids(api(personas.head), theirs) == [numbers[theirs].pk]
    assert ids(api(personas.manager_a), theirs) == []
    assert ids(api(personas.manager_a), mine) == [numbers[mine].pk]
    assert ids(api(personas.manager_b), mine) == []
    assert ids(api(personas.manager_b), theirs, limit=1) == [numbers[theirs].pk]


def test_a_role_change_applies_to_the_next_lookup(
    personas: Personas, api: Any, numbers: dict[str, Contact]
) -> None:
    client = api(personas.manager_a)
    theirs = next(n for n, c in numbers.items() if c.owner == personas.manager_b)
    assert ids(client, theirs) == []
    role = personas.manager_a.roles.get()
    RoleGrant.objects.filter(role=role, entity="contacts", action="view").update(scope="all")
    assert ids(client, theirs) == [numbers[theirs].pk]


def test_a_share_ends_with_its_last_day(
    personas: Personas, api: Any, numbers: dict[str, Contact]
) -> None:
    theirs = next(n for n, c in numbers.items() if c.owner == personas.manager_b)
    today = timezone.localdate()
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=numbers[theirs].pk,
        user=personas.manager_a,
        until=today,
        created_by=personas.manager_b,
    )
    client = api(personas.manager_a)
    assert ids(client, theirs) == [numbers[theirs].pk]
    tomorrow = today + datetime.timedelta(days=1)
    with mock.patch.object(timezone, "localdate", return_value=tomorrow):
        assert ids(client, theirs) == []


def test_a_number_that_is_no_number_finds_nothing(
    personas: Personas, api: Any, numbers: dict[str, Contact]
) -> None:
    client = api(personas.admin)
    for junk in ("abc", "+", "0" * 40, "12345"):
        assert ids(client, junk) == [], junk


def test_other_parameters_are_honoured(
    personas: Personas, api: Any, numbers: dict[str, Contact]
) -> None:
    """Only the page size and the order ride along on a kept statement; any other filter
    (here the owner) narrows the lookup as it always did."""
    client = api(personas.admin)
    number, contact = next(iter(numbers.items()))
    assert ids(client, number) == [contact.pk]
    assert ids(client, number, owner=personas.manager_b.pk) == []
    assert ids(client, number, owner=contact.owner_id) == [contact.pk]
    assert ids(client, number, ordering="-last_name") == [contact.pk]


def test_the_next_link_of_a_shared_number(personas: Personas, api: Any) -> None:
    """Three people at one office number, two a page: the kept statement reads one row more
    than it shows, so the next page is offered and holds the third."""
    people = [ContactFactory(owner=personas.manager_a, phone="+74950001122") for _ in range(3)]
    client = api(personas.manager_a)
    first = client.get("/api/v1/contacts/", {"phone": "84950001122", "limit": 2}).json()
    assert [row["id"] for row in first["results"]] == [p.pk for p in reversed(people)][:2]
    second = client.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == [people[0].pk]
    assert second["next"] is None


def test_companies_are_found_by_phone_too(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a, phone="+74951112233")
    CompanyFactory(owner=personas.manager_a, phone="+74951110000")
    hidden = CompanyFactory(owner=personas.manager_b, phone="+74951112233")
    for user, expected in (
        (personas.manager_a, [company.pk]),
        (personas.admin, [hidden.pk, company.pk]),
    ):
        response = api(user).get("/api/v1/companies/", {"phone": "8 (495) 111-22-33"})
        assert [row["id"] for row in response.json()["results"]] == expected
