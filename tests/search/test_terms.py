"""What a query is made of: an apostrophe or hyphen inside a name is part of the word, and a
single letter only narrows to words starting with it — in the search box and in lists' ``?q=``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from kartoteka.clients.models import Contact
from kartoteka.clients.services.companies import company_create
from kartoteka.clients.services.contacts import contact_create
from kartoteka.core import search
from kartoteka.core.search.highlight import spans
from tests.conftest import Personas


@pytest.fixture
def people(personas: Personas) -> None:
    for last, first in [
        ("O'Brien", "John"),
        ("Obama", "Barack"),
        ("Brien", "Oscar"),
        ("Римский-Корсаков", "Николай"),
        ("Dupont", "Jean-Luc"),
        ("Jean", "Luc"),
        ("Иванов", "Пётр"),
        ("Мирный", "Павел"),
        ("Петров", "Павел"),
    ]:
        contact_create(actor=personas.manager_a, values={"last_name": last, "first_name": first})


def found(user: Any, text: str) -> list[str]:
    return sorted(hit.title for hit in search.find(user, text)["contacts"].hits)


def listed(api: Any, user: Any, text: str) -> list[str]:
    answer = api(user).get("/api/v1/contacts/", {"q": text, "limit": 50}).json()
    return sorted(f"{row['last_name']} {row['first_name']}" for row in answer["results"])


@pytest.mark.parametrize("typed", ["O'B", "o’brien", "O'BRIEN", "obrien", "John O'B", "O‘Brien"])
def test_apostrophe_names_are_one_word(
    typed: str, personas: Personas, people: None, api: Any
) -> None:
    # "O'B" is not the words "o" and "b" (which Obama and Oscar Brien both have).
    assert found(personas.manager_a, typed) == ["O'Brien John"]
    assert listed(api, personas.manager_a, typed) == ["O'Brien John"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Римский-Корсаков", ["Римский-Корсаков Николай"]),
        ("римский", ["Римский-Корсаков Николай"]),
        ("Корсаков", ["Римский-Корсаков Николай"]),
        ("Jean-Luc", ["Dupont Jean-Luc"]),
        ("Luc", ["Dupont Jean-Luc", "Jean Luc"]),
        ("Jean Luc", ["Dupont Jean-Luc", "Jean Luc"]),
    ],
)
def test_hyphenated_names_found_whole_and_by_each_part(
    typed: str, expected: list[str], personas: Personas, people: None, api: Any
) -> None:
    assert found(personas.manager_a, typed) == expected
    assert listed(api, personas.manager_a, typed) == expected


@pytest.mark.parametrize("typed", ["Иванову", "ИВАНОВЫМ", "Петру Иванову"])
def test_russian_word_forms_still_work(typed: str, personas: Personas, people: None) -> None:
    assert found(personas.manager_a, typed) == ["Иванов Пётр"]


def test_a_single_letter_narrows_to_words_starting_with_it(
    personas: Personas, people: None, api: Any, client: Client
) -> None:
    # Both are Павел and both last names hold an "м"; only Мирный starts with one.
    assert found(personas.manager_a, "Павел М") == ["Мирный Павел"]
    assert listed(api, personas.manager_a, "Павел М") == ["Мирный Павел"]
    assert listed(api, personas.manager_a, "Павел") == ["Мирный Павел", "Петров Павел"]
    # Parts of a name start words too: Корсаков, Brien after the apostrophe.
    assert found(personas.manager_a, "Николай К") == ["Римский-Корсаков Николай"]
    assert found(personas.manager_a, "John B") == ["O'Brien John"]
    client.force_login(personas.manager_a)
    page = client.get("/contacts/", {"q": "Павел М"}).content.decode()
    # By the cards' links: the people on the page (the owner, its users) have random names,
    # Петрова among them now and then.
    card = "/contacts/{}/"
    assert card.format(Contact.objects.get(last_name="Мирный").pk) in page
    assert card.format(Contact.objects.get(last_name="Петров").pk) not in page


def test_a_short_word_finds_names_starting_with_it_not_every_stem_alike(
    personas: Personas, api: Any
) -> None:
    # Snowball cuts "май" to "ма" and "ипа" to "ип": matched by their forms they found every
    # Мария and Максим, and everyone working for an ИП.
    sole_trader = company_create(actor=personas.manager_a, values={"name": "ИП Сидоров"})
    for last, first in [("Май", "Ольга"), ("Максимов", "Игорь"), ("Ипатов", "Фрол")]:
        contact_create(actor=personas.manager_a, values={"last_name": last, "first_name": first})
    contact_create(
        actor=personas.manager_a,
        values={"last_name": "Мамаев", "first_name": "Олег", "companies": [sole_trader.pk]},
    )
    assert found(personas.manager_a, "Май") == ["Май Ольга"]
    assert listed(api, personas.manager_a, "Май") == ["Май Ольга"]
    assert listed(api, personas.manager_a, "Ипа") == ["Ипатов Фрол"]
    # A long enough word still finds its other forms, and a company's name its people.
    assert listed(api, personas.manager_a, "Максимову") == ["Максимов Игорь"]
    assert listed(api, personas.manager_a, "Сидоров") == ["Мамаев Олег"]


def test_english_word_forms_are_found_where_the_database_knows_them(
    personas: Personas, api: Any
) -> None:
    company_create(actor=personas.manager_a, values={"name": "Northern Trading Company"})
    answer = api(personas.manager_a).get("/api/v1/companies/", {"q": "trading"}).json()
    assert [row["name"] for row in answer["results"]] == ["Northern Trading Company"]
    if connection.vendor == "postgresql":
        # PostgreSQL's word index stems English too ("companies" -> "compani", as "company").
        answer = api(personas.manager_a).get("/api/v1/companies/", {"q": "companies"}).json()
        assert [row["name"] for row in answer["results"]] == ["Northern Trading Company"]


def test_highlight_follows_the_same_words() -> None:
    assert spans("o’b", "John O'Brien") == [(5, 8)]
    assert spans("Павел К", "Павел Римский-Корсаков") == [(0, 5), (14, 15)]
