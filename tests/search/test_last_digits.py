"""The last four (or more) digits of a phone find the person whose number ENDS with them, first.

Before: "7969" listed twenty numbers starting "+7 969" and not the two ending with 7969, and 22
of 30 random last-4 searches found the person. Here every number of the crowd shares its first
digits with the query, and every crowd's name sorts before the person's.
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.clients.models import Company, CompanyPhone, Contact, ContactPhone
from kartoteka.clients.search import phone_ending
from kartoteka.core import search
from tests.conftest import Personas

#: numbers that merely contain the digits, per query: more than a page of hits
CROWD = search.LIMIT + 1
QUERIES = 30


def _number(rng: random.Random, middle: str, *, ends: str = "") -> str:
    """A Russian mobile (+7 9xx...) holding ``middle`` right after "+7", or ending with
    ``ends``, its other digits random."""
    if ends:
        head = "9" + "".join(rng.choice("0123456789") for _ in range(9 - len(ends)))
        return "+7" + head + ends
    tail = "".join(rng.choice("0123456789") for _ in range(10 - len(middle)))
    return "+7" + middle + tail


@pytest.fixture
def crowd(personas: Personas) -> dict[str, Contact]:
    rng = random.Random(7969)  # noqa: S311 - test data, not secrets
    endings: list[str] = []
    while len(endings) < QUERIES:
        digits = "9" + "".join(rng.choice("0123456789") for _ in range(3))
        if digits not in endings:
            endings.append(digits)
    owner, branch = personas.manager_a, personas.branch_a
    people: dict[str, Contact] = {}
    numbers: list[tuple[Contact, str]] = []
    for index, ending in enumerate(endings):
        person = Contact(owner=owner, branch=branch, last_name=f"Яковлев{index}", first_name="Ян")
        crowd = [
            Contact(owner=owner, branch=branch, last_name=f"Абрамов{index}-{n}", first_name="Ян")
            for n in range(CROWD)
        ]
        Contact.objects.bulk_create([person, *crowd])
        people[ending] = person
        numbers.append((person, _number(rng, "", ends=ending)))
        for other in crowd:
            number = _number(rng, ending)
            while number[-4:] in endings:  # only the person's number ends with a query
                number = _number(rng, ending)
            numbers.append((other, number))
    ContactPhone.objects.bulk_create(
        ContactPhone(contact=contact, number=number) for contact, number in numbers
    )
    search.rebuild()
    return people


@pytest.mark.parametrize("persona", ["admin", "manager_a"])
def test_thirty_last_four_searches_find_the_person_first(
    persona: str, crowd: dict[str, Contact], personas: Personas
) -> None:
    user = getattr(personas, persona)
    missed = {}
    for ending, person in crowd.items():
        hits = search.find(user, ending)["contacts"].hits
        if not hits or hits[0].id != person.pk:
            missed[ending] = [hit.title for hit in hits[:3]]
    assert not missed, f"{len(missed)} of {len(crowd)} last-4 searches missed: {missed}"


def test_the_page_the_api_and_the_box_rank_the_ending_first(
    crowd: dict[str, Contact], personas: Personas, client: Client, api: Any
) -> None:
    client.force_login(personas.manager_a)
    caller = api(personas.manager_a)
    for ending, person in list(crowd.items())[:5]:
        url = f"/contacts/{person.pk}/"
        page = client.get("/search/", {"q": ending}).content.decode()
        assert _links(page.split('id="search-contacts"')[1])[0] == url
        assert caller.get("/api/v1/search/", {"q": ending}).json()["contacts"][0]["url"] == url
        box = client.get("/search/box/", {"q": ending}).content.decode()
        assert _links(box)[0] == url


def _links(html: str) -> list[str]:
    return re.findall(r'href="(/contacts/\d+/)"', html)


def test_more_digits_narrow_the_ending(crowd: dict[str, Contact], personas: Personas) -> None:
    ending, person = next(iter(crowd.items()))
    number = person.phones.get().number
    longer = number[-6:]
    assert search.find(personas.admin, longer)["contacts"].hits[0].id == person.pk
    # Grouped as people write them, the digits still say "the ending".
    spaced = f"{longer[:2]} {longer[2:4]}-{longer[4:]}"
    assert search.find(personas.admin, spaced)["contacts"].hits[0].id == person.pk


def test_an_ending_is_found_through_the_index_of_last_digits(
    crowd: dict[str, Contact], personas: Personas
) -> None:
    """The ending is looked up by the indexed column, never by reading every phone."""
    ending = next(iter(crowd))
    with CaptureQueriesContext(connection) as captured:
        search.find(personas.manager_a, ending)
    phone_table = ContactPhone._meta.db_table
    lookups = [q["sql"] for q in captured.captured_queries if phone_table in q["sql"]]
    assert any("last_digits" in sql for sql in lookups)
    assert all("LIKE" not in sql.split("last_digits")[0][-200:] for sql in lookups)


def test_the_column_keeps_the_last_four_digits(personas: Personas) -> None:
    company = Company.objects.create(owner=personas.admin, branch=personas.branch_a, name="А")
    phone = CompanyPhone.objects.create(company=company, number="+74951112233")
    assert CompanyPhone.objects.get(pk=phone.pk).last_digits == "2233"
    CompanyPhone.objects.filter(pk=phone.pk).update(number="+74951117969")
    assert CompanyPhone.objects.get(pk=phone.pk).last_digits == "7969"


@pytest.mark.parametrize(
    ("text", "ending"),
    [("7969", "7969"), ("12-79-69", "127969"), ("796", ""), ("Иван 7969", ""), ("", "")],
)
def test_what_counts_as_the_last_digits(text: str, ending: str) -> None:
    assert phone_ending(text) == ending
