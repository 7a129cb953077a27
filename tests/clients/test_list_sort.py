"""Lists sort by a column and page by keyset: every record exactly once, in order."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from kartoteka.clients.models import Contact
from kartoteka.core.models import RecordShare
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def names_on(client: Client, url: str) -> tuple[list[str], str | None]:
    html = client.get(url).content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    names = re.findall(r'href="/companies/\d+/">([^<]+)</a>', body)
    following = re.search(r'href="(\?after=[^"]+)"', html)
    return names, ("/companies/" + unescape(following.group(1)) if following else None)


def test_sorting_by_name_walks_every_record_once(client: Client, personas: Personas) -> None:
    # Equal names on a page boundary are the hard case for keyset paging.
    for name in ["Бета", "Альфа", "Гамма", "Альфа", "Дельта"] * 22:
        CompanyFactory(owner=personas.admin, name=f"ООО «{name}»")
    client.force_login(personas.admin)
    seen: list[str] = []
    url: str | None = "/companies/?sort=name"
    pages = 0
    while url:
        names, url = names_on(client, url)
        seen += names
        pages += 1
    assert pages == 3
    assert len(seen) == 110
    assert seen == sorted(seen)
    descending, _next = names_on(client, "/companies/?sort=-name")
    assert descending[0] == "ООО «Дельта»" and descending == sorted(descending, reverse=True)


def test_sort_survives_filters_and_bad_cursors(client: Client, personas: Personas) -> None:
    CompanyFactory(owner=personas.admin, name="ООО «Юг»")
    CompanyFactory(owner=personas.admin, name="ООО «Аист»")
    client.force_login(personas.admin)
    names, _ = names_on(client, f"/companies/?sort=name&owner={personas.admin.pk}")
    assert names == ["ООО «Аист»", "ООО «Юг»"]
    assert client.get("/companies/?sort=name&after=%%%garbage").status_code == 200
    assert client.get("/companies/?sort=nonsense").status_code == 200


# --- People by full name --------------------------------------------------------------------------
#: (surname, first name, patronymic), made out of order; surnames repeat as in any real base
PEOPLE = [
    (surname, first, middle)
    for first in ("Нинель", "Евдокия", "Анна", "Вера")
    for surname in ("Абрамова", "Белова", "Абрамова")
    for middle in ("Петровна", "Ивановна", "")
] * 2


def _full_names(rows: list[Any]) -> list[tuple[str, str, str]]:
    return [(row.last_name, row.first_name, row.middle_name) for row in rows]


@pytest.fixture
def people(personas: Personas) -> list[Contact]:
    made = [
        ContactFactory(owner=personas.manager_a, last_name=s, first_name=f, middle_name=m)
        for s, f, m in PEOPLE
    ]
    # A colleague's person shared with the manager: the list's other access part.
    shared = ContactFactory(
        owner=personas.manager_b, last_name="Абрамова", first_name="Анна", middle_name="Ильинична"
    )
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=shared.pk,
        created_by=personas.manager_b,
        user=personas.manager_a,
    )
    return sorted([*made, shared], key=lambda c: (c.last_name, c.first_name, c.middle_name, c.pk))


def test_people_sort_by_surname_then_first_name_then_patronymic_across_pages(
    client: Client, personas: Personas, people: list[Contact]
) -> None:
    client.force_login(personas.manager_a)
    pages: list[list[Any]] = []
    params: dict[str, str] = {"sort": "name"}
    while True:
        page = client.get("/contacts/", params).context["page"]
        pages.append(page.rows)
        if page.next_after is None:
            break
        params["after"] = page.next_after
    assert [len(rows) for rows in pages] == [50, 23]
    assert [row.pk for rows in pages for row in rows] == [person.pk for person in people]
    # Back from the second page: the first again, in the same order.
    back = client.get("/contacts/", {"sort": "name", "before": page.previous_before})
    assert [row.pk for row in back.context["page"].rows] == [row.pk for row in pages[0]]
    downward = client.get("/contacts/", {"sort": "-name"}).context["page"].rows
    assert [row.pk for row in downward] == [person.pk for person in reversed(people)][:50]
    assert _full_names(downward)[:2] == [("Белова", "Нинель", "Петровна")] * 2


def test_the_card_and_the_export_keep_the_full_name_order(
    client: Client, personas: Personas, people: list[Contact]
) -> None:
    client.force_login(personas.manager_a)
    client.get("/contacts/", {"sort": "name"})  # the list the card is opened from
    middle = 7
    card = client.get(f"/contacts/{people[middle].pk}/").content.decode()
    prev = re.search(r'<a [^>]*data-walk-prev[^>]*href="([^"]+)"', card)
    following = re.search(r'<a [^>]*data-walk-next[^>]*href="([^"]+)"', card)
    assert prev and prev.group(1) == f"/contacts/{people[middle - 1].pk}/"
    assert following and following.group(1) == f"/contacts/{people[middle + 1].pk}/"
    response: Any = client.get("/contacts/export/", {"sort": "name"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    # The export leaves out what is only shared with the manager (not theirs to export).
    own = [person.pk for person in people if person.owner_id == personas.manager_a.pk]
    assert [int(row["ID"]) for row in rows] == own
