"""A searched list's page is the same whether its first rows held it (tested one by one first,
or, newest first, read from the documents in id order) or every match was looked up: same rows,
same order, same next page, and never a contact found through a company its reader may not
see."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from kartoteka.clients.models import Contact, Employment
from kartoteka.clients.services.companies import company_create
from kartoteka.clients.services.contacts import contact_create
from kartoteka.core import search
from kartoteka.core.search import results, walking
from tests.conftest import Personas


def _names(client: Any, params: dict[str, Any]) -> tuple[list[str], str | None]:
    answer = client.get("/api/v1/contacts/", params).json()
    rows = [f"{row['last_name']} {row['first_name']}" for row in answer["results"]]
    return rows, answer["next"]


def _pages(client: Any, text: str, ordering: str = "") -> list[list[str]]:
    pages: list[list[str]] = []
    extra = {"ordering": ordering} if ordering else {}
    rows, following = _names(client, {"q": text, "limit": 4, **extra})
    pages.append(rows)
    while following:
        answer = client.get(following).json()
        pages.append([f"{row['last_name']} {row['first_name']}" for row in answer["results"]])
        following = answer["next"]
    return pages


@pytest.fixture
def people(personas: Personas) -> None:
    petals = company_create(actor=personas.manager_a, values={"name": "Лепесток"})
    daisy = company_create(actor=personas.manager_a, values={"name": "Ромашка"})
    for number in range(7):
        contact_create(
            actor=personas.manager_a,
            values={"last_name": f"Петров{number}", "first_name": "Иван"},
        )
        contact_create(
            actor=personas.manager_a,
            values={"last_name": f"Сидоров{number}", "first_name": "Олег"},
        )
    # Found by the company's name only ("Пе" starts no word of his own); for the
    # administrator, who sees both companies, every word may be in his name or either's.
    contact_create(
        actor=personas.manager_a,
        values={"last_name": "Ким", "first_name": "Юрий", "companies": [petals.pk, daisy.pk]},
    )
    contact_create(actor=personas.manager_a, values={"last_name": "Walkers", "first_name": "Ann"})


WORDS = {
    # text: (how many match, the first of them)
    "Пе": (7, "Петров6 Иван"),
    "Петров Иван": (7, "Петров6 Иван"),
    "Иван П": (7, "Петров6 Иван"),
    "Ле": (1, "Ким Юрий"),
    "Ким Лепесток": (1, "Ким Юрий"),
    "Лепесток Ромашка": (1, "Ким Юрий"),
    "Лепесток Р": (1, "Ким Юрий"),
    "Ким Л": (1, "Ким Юрий"),
    "Ким Ж": (0, None),
    "Сидоров3": (1, "Сидоров3 Олег"),
    "walker ann": (1, "Walkers Ann"),
}


@pytest.mark.parametrize("text", WORDS)
def test_a_page_is_the_same_whichever_way_it_was_found(
    text: str, personas: Personas, people: None, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api(personas.admin)
    # Newest first: the documents read in id order (a page is always among the first 2,000);
    # in another order, every row tested one by one...
    walked = _pages(client, text)
    walked_by_update = _pages(client, text, "-updated_at")
    # ...and too few tested for any page, so every match is looked up.
    monkeypatch.setattr(walking, "WALK", (2, 2))
    monkeypatch.setattr(walking, "NEWEST", (2, 2))
    looked_up = _pages(client, text)
    assert walked == walked_by_update == looked_up
    count, first = WORDS[text]
    assert sum(len(page) for page in walked) == count
    assert (walked[0][0] if count else None) == first


def test_the_first_rows_are_tested_again_for_who_may_not_see_every_linked_record(
    personas: Personas,
) -> None:
    def walkable(condition: Q) -> bool:
        return any(isinstance(value, walking.Found) for _name, value in condition.children)

    assert walkable(results.matches(personas.admin, Contact, "Пе"))
    # Several words: one match of each person's wide document.
    assert walkable(results.matches(personas.admin, Contact, "Петров Иван"))
    # A manager may not see every company: their rows are sieved by the wide documents, then
    # tested again in what they may see.
    manager = results.matches(personas.manager_a, Contact, "Пе")
    assert walkable(manager)
    assert all(value.exact for _name, value in manager.children)


@pytest.fixture
def namesakes_apart(personas: Personas) -> None:
    """Newest first: one Петров, thirty Сидоровы, then six more Петровы."""
    for number in range(6):
        contact_create(
            actor=personas.manager_a, values={"last_name": f"Петров{number}", "first_name": "Иван"}
        )
    for number in range(30):
        contact_create(
            actor=personas.manager_a, values={"last_name": f"Сидоров{number}", "first_name": "Олег"}
        )
    contact_create(actor=personas.manager_a, values={"last_name": "Петров6", "first_name": "Иван"})


def test_a_walk_goes_on_past_rows_that_held_too_few(
    personas: Personas, namesakes_apart: None, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api(personas.admin)
    windows: list[tuple[int, int]] = []
    walk = walking._walk

    def spied(unsearched: Any, found: Any, start: int, stop: int, size: int) -> list[Any]:
        windows.append((start, stop))
        return walk(unsearched, found, start, stop, size)

    monkeypatch.setattr(walking, "_walk", spied)
    monkeypatch.setattr(walking, "WALK", (2, 1_000))
    walked, _next = _names(client, {"q": "Пе", "limit": 4, "ordering": "-updated_at"})
    # 1 match in 2 rows says 20 hold a page; none among the next 18 says 200 do: each
    # window starts where the last one ended, and the page is found without a lookup.
    assert windows == [(0, 2), (2, 20), (20, 200)]
    monkeypatch.setattr(walking, "WALK", (2, 2))
    looked_up, _next = _names(client, {"q": "Пе", "limit": 4, "ordering": "-updated_at"})
    assert walked == looked_up == ["Петров6 Иван", "Петров5 Иван", "Петров4 Иван", "Петров3 Иван"]


def test_newest_first_the_documents_are_read_back_from_the_newest_by_id_ranges(
    personas: Personas, namesakes_apart: None, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api(personas.admin)
    newest = Contact.objects.order_by("-pk").values_list("pk", flat=True)[0]
    ranges: list[tuple[int, int]] = []
    tested = walking._tested_in_order

    def spied(docs: Any, test: Q) -> Any:
        where = docs.query.where.children
        low = next(c.rhs for c in where if c.lookup_name == "gte")
        high = next(c.rhs for c in where if c.lookup_name == "lt")
        ranges.append((newest + 1 - low, newest + 1 - high))
        return tested(docs, test)

    monkeypatch.setattr(walking, "_tested_in_order", spied)
    monkeypatch.setattr(walking, "NEWEST", (2, 1_000))
    with CaptureQueriesContext(connection) as statements:
        walked, _next = _names(client, {"q": "Пе", "limit": 4})
    # However many ranges were read, the page's rows are read once, after the last.
    whole_rows = [s for s in statements if '"clients_contact"."last_name"' in s["sql"]]
    assert len(whole_rows) == 1
    # Counted back from the newest: 1 match in 2 ids says 12 hold a page (half as many again
    # as 8); none among the next 10 says 12 more than the 12 read... each range starts where
    # the last one ended, and the page is found without a lookup.
    assert ranges[0] == (2, 0)
    assert all(later[1] == earlier[0] for earlier, later in zip(ranges, ranges[1:], strict=False))
    assert len(ranges) > 1
    monkeypatch.setattr(walking, "NEWEST", (2, 2))
    looked_up, _next = _names(client, {"q": "Пе", "limit": 4})
    assert walked == looked_up == ["Петров6 Иван", "Петров5 Иван", "Петров4 Иван", "Петров3 Иван"]
    # The next page starts below this one's last row, not at the newest.
    following, _next = _names(client, {"q": "Пе", "limit": 4, "cursor": _cursor(_next)})
    assert following == ["Петров2 Иван", "Петров1 Иван", "Петров0 Иван"]


def _cursor(url: str | None) -> str:
    assert url is not None
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(url).query)["cursor"][0]


@pytest.mark.parametrize(("probed", "found_so"), [(50_000, True), (8, False)])
def test_matches_too_rare_to_walk_are_probed_in_the_lists_order(
    probed: int,
    found_so: bool,
    personas: Personas,
    people: None,
    api: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Newest first: Walkers, Ким, Сидоров6, Петров6, Сидоров5, Петров5... Two matches of
    "Пе" in the first six rows say a page of four needs more rows than a walk of six may
    test: on PostgreSQL the list's first rows are then looked for among all the matches, in
    the list's order; when those rows hold no page, every match is looked up after all."""
    client = api(personas.admin)
    answers: list[Any] = []
    probe = walking._probed_in_order

    def spied(unsearched: Any, found: Any, size: int) -> list[Any] | None:
        answers.append(probe(unsearched, found, size))
        return answers[-1]

    monkeypatch.setattr(walking, "_probed_in_order", spied)
    monkeypatch.setattr(walking, "PROBED", probed)
    monkeypatch.setattr(walking, "WALK", (6, 6))
    probed_pages = _pages(client, "Пе", "-updated_at")
    monkeypatch.setattr(walking, "WALK", (2, 2))
    looked_up = _pages(client, "Пе", "-updated_at")
    assert probed_pages == looked_up
    assert probed_pages[0] == ["Петров6 Иван", "Петров5 Иван", "Петров4 Иван", "Петров3 Иван"]
    postgresql = connection.vendor == "postgresql"
    assert [answer is not None for answer in answers][:1] == [postgresql and found_so]


@pytest.fixture
def linked_people(personas: Personas) -> None:
    """People found by their own names, through a company, or both; "Новинка" is in the
    other branch, which manager_a may not see."""
    novator = company_create(actor=personas.manager_a, values={"name": "Новатор"})
    hidden = company_create(actor=personas.manager_b, values={"name": "Новинка"})
    at = {
        ("Новикова", "Кира"): [],
        ("Гордеева", "Кира"): [novator],
        ("Сергеева", "Кира"): [hidden],
        ("Кириллов", "Олег"): [novator],
        ("Петрова", "Ольга"): [novator, hidden],
        ("Иванова", "Анна"): [novator],
    }
    for (last_name, first_name), companies in at.items():
        contact = contact_create(
            actor=personas.manager_a, values={"last_name": last_name, "first_name": first_name}
        )
        for company in companies:
            Employment.objects.create(contact=contact, company=company, position="")
        search.index(contact)  # as the contact's services do after writing employments


LINKED = {
    # text: (what the administrator finds, what manager_a finds)
    "Кира Нови": (
        {"Новикова Кира", "Гордеева Кира", "Сергеева Кира", "Кириллов Олег"},
        {"Новикова Кира", "Гордеева Кира", "Кириллов Олег"},
    ),
    "Новатор Новинка": ({"Петрова Ольга"}, set()),
    "Ольга Новинка": ({"Петрова Ольга"}, set()),
    "Новатор Анна": ({"Иванова Анна"}, {"Иванова Анна"}),
    "Новикова Кира": ({"Новикова Кира"}, {"Новикова Кира"}),
    "Ки Но": (
        {"Новикова Кира", "Гордеева Кира", "Сергеева Кира", "Кириллов Олег"},
        {"Новикова Кира", "Гордеева Кира", "Кириллов Олег"},
    ),
    "Новинка": ({"Сергеева Кира", "Петрова Ольга"}, set()),
    "Новатор": (
        {"Гордеева Кира", "Кириллов Олег", "Петрова Ольга", "Иванова Анна"},
        {"Гордеева Кира", "Кириллов Олег", "Петрова Ольга", "Иванова Анна"},
    ),
    # A single letter may be in any company's name the reader may see, as a word may.
    "Ольга Н": ({"Петрова Ольга"}, {"Петрова Ольга"}),
    "Сергеева Н": ({"Сергеева Кира"}, set()),
}


@pytest.mark.parametrize("ordering", ["", "-updated_at"])
@pytest.mark.parametrize("way", ["walked", "looked up", "looked up, few links"])
@pytest.mark.parametrize("text", LINKED)
def test_several_words_find_the_same_by_own_names_and_companies_either_way(
    text: str,
    way: str,
    ordering: str,
    personas: Personas,
    linked_people: None,
    api: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page walked through the list's first rows (a manager's: sieved by the wide documents,
    then tested again in what the manager may see) and every match looked up find the same
    people, whichever way PostgreSQL takes to one word's matches through companies (tested
    one by one when few, intersected when many), and nobody only through a company the
    reader may not see."""
    if way != "walked":
        for name in ("WALK", "SIEVED_WALK", "NEWEST"):
            monkeypatch.setattr(walking, name, (1, 1))
    if way == "looked up, few links":
        monkeypatch.setattr(results, "PROBED_LINKS", 0)
    for persona, expected in zip((personas.admin, personas.manager_a), LINKED[text], strict=True):
        found = [name for page in _pages(api(persona), text, ordering) for name in page]
        assert sorted(found) == sorted(expected), persona.username


@pytest.mark.parametrize("ordering", ["", "-updated_at"])
def test_a_managers_walk_never_keeps_a_row_found_only_through_a_hidden_company(
    ordering: str, personas: Personas, api: Any
) -> None:
    """The newest of manager_a's people work at «Новинка», which manager_a may not see: their
    wide documents hold its name, so they pass the sieve of a walk through the list's first
    rows, and the test again in what manager_a may see leaves them out of the page."""
    novator = company_create(actor=personas.manager_a, values={"name": "Новатор"})
    hidden = company_create(actor=personas.manager_b, values={"name": "Новинка"})
    for number, company in enumerate([novator] * 5 + [hidden] * 5):
        contact = contact_create(
            actor=personas.manager_a, values={"last_name": f"Сотрудник{number}", "first_name": "Ян"}
        )
        # manager_a may not give anyone a job at a company they may not see; another may have
        Employment.objects.create(contact=contact, company=company, position="")
        search.index(contact)  # as the contact's services do after writing employments
    visible = {f"Сотрудник{number} Ян" for number in range(5)}
    pages = _pages(api(personas.manager_a), "Нов", ordering)
    # The first page came from the walk: a full page, before any match was looked up.
    assert [len(page) for page in pages] == [4, 1]
    assert {name for page in pages for name in page} == visible
    every = _pages(api(personas.admin), "Нов", ordering)
    assert len({name for page in every for name in page}) == 10
