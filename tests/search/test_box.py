"""The command box (Ctrl+K): hits by kind with the matched field highlighted, commands per role,
the card's actions, and only what the user may see."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from kartoteka.clients.services.companies import company_create
from kartoteka.clients.services.contacts import contact_create
from kartoteka.core import search
from kartoteka.core.inn import inn_with_check_digits
from kartoteka.core.search.highlight import shown, spans
from tests.conftest import Personas
from tests.kindtest.models import Gadget

INN = inn_with_check_digits("770708389")


def box(client: Client, user: Any, query: str) -> str:
    client.force_login(user)
    response = client.get("/search/box/", {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def groups(html: str) -> list[str]:
    """The group titles of the box, in order."""
    return [
        re.sub(r"<[^>]+>|\s+", " ", title).strip()
        for title in re.findall(r'class="palette-group-title"[^>]*>(.*?)</div>', html, re.S)
    ]


def commands(html: str) -> list[str]:
    return re.findall(r'palette-command" role="option" href="([^"]+)"', html)


@pytest.fixture
def clients(personas: Personas) -> dict[str, Any]:
    romashka = company_create(
        actor=personas.manager_a,
        values={
            "name": "ООО «Ромашка»",
            "inn": INN,
            "phones": [{"number": "+7 495 111-22-33", "kind": "work"}],
            "emails": [{"address": "info@romashka.ru", "kind": "work"}],
        },
    )
    ivanov = contact_create(
        actor=personas.manager_a,
        values={
            "last_name": "Иванов",
            "first_name": "Пётр",
            "phones": [{"number": "8 916 123-79-69", "kind": "mobile"}],
            "companies": [romashka.pk],
        },
    )
    hidden = company_create(
        actor=personas.manager_b,
        values={"name": "ООО «Ромашка-Казань»", "phones": [{"number": "+7 843 000-22-33"}]},
    )
    return {"romashka": romashka, "ivanov": ivanov, "hidden": hidden}


def test_hits_are_grouped_by_kind_with_the_name_highlighted(
    clients: dict[str, Any], personas: Personas, client: Client
) -> None:
    html = box(client, personas.manager_a, "ромашк")
    assert groups(html)[:2] == ["Companies", "Contacts"]  # Иванов works at «Ромашка»
    assert "<mark>Ромашк</mark>а" in html
    assert f'href="/companies/{clients["romashka"].pk}/"' in html
    assert f'href="/contacts/{clients["ivanov"].pk}/"' in html
    assert "Казань" not in html  # manager_b's client does not exist for manager_a
    assert "/search/?q=%D1%80%D0%BE%D0%BC%D0%B0%D1%88%D0%BA" in html  # all results


def test_the_field_that_matched_is_shown_highlighted(
    clients: dict[str, Any], personas: Personas, client: Client
) -> None:
    by_phone = box(client, personas.manager_a, "2233")
    assert '<span class="palette-label">Phone</span> +7 495 111-<mark>22-33</mark>' in by_phone
    assert "843" not in by_phone
    by_inn = box(client, personas.manager_a, INN)
    assert f'<span class="palette-label">INN</span> <mark>{INN}</mark>' in by_inn
    by_email = box(client, personas.manager_a, "info@romashka")
    assert "<mark>info@romashka</mark>.ru" in by_email
    by_last_digits = box(client, personas.manager_a, "7969")
    assert "+7 916 123-<mark>79-69</mark>" in by_last_digits


def test_what_is_shown_is_escaped(personas: Personas, client: Client) -> None:
    company_create(actor=personas.manager_a, values={"name": "<b onmouseover=x>Ромашка</b>"})
    html = box(client, personas.manager_a, "ромашка")
    assert "<b onmouseover" not in html
    assert "&lt;b onmouseover=x&gt;<mark>Ромашка</mark>&lt;/b&gt;" in html
    query = box(client, personas.manager_a, '<img src=x>"')
    assert "<img src=x>" not in query and "&lt;img src=x&gt;" in query


def test_a_registered_kind_with_a_search_source_has_its_own_group(
    personas: Personas, client: Client
) -> None:
    mine = Gadget.objects.create(
        owner=personas.manager_a, branch=personas.branch_a, name="Гаджет Ромашка"
    )
    other = Gadget.objects.create(
        owner=personas.manager_b, branch=personas.branch_b, name="Гаджет Ромашка Казань"
    )
    search.index_many(Gadget, [mine.pk, other.pk])
    html = box(client, personas.manager_a, "гаджет")
    assert groups(html)[0] == "Gadgets"
    assert f'href="/gadgets/{mine.pk}/"' in html
    assert "Казань" not in html


def test_commands_are_offered_to_who_may_create(personas: Personas, client: Client) -> None:
    work = ["/tasks/new/", "/calendar/events/new/"]
    assert commands(box(client, personas.manager_a, "")) == [
        "/companies/new/",
        "/contacts/new/",
        *work,
    ]
    html = box(client, personas.manager_a, "company")
    assert commands(html) == ["/companies/new/"] and "New company" in html
    assert commands(box(client, personas.manager_a, "NEW cont")) == ["/contacts/new/"]
    assert commands(box(client, personas.manager_a, "Ромашка")) == []
    # A marketer plans their own tasks and meetings, and adds no clients.
    assert commands(box(client, personas.marketer, "")) == work
    for reader in (personas.auditor, personas.outsider):
        assert commands(box(client, reader, "")) == []
        assert commands(box(client, reader, "new")) == []
    # The commands speak the reader's language, and are found in it.
    personas.service_a.language = "ru"
    personas.service_a.save(update_fields=["language"])
    html = box(client, personas.service_a, "новая")
    assert commands(html) == ["/companies/new/", *work] and "Новая компания" in html


def test_the_card_declares_its_actions_to_the_box(
    clients: dict[str, Any], personas: Personas, client: Client
) -> None:
    """palette.js offers the links and buttons of [data-palette-actions]: exactly the card's
    actions, so a reader is never offered to edit or trash."""
    url = f"/companies/{clients['romashka'].pk}/"

    def actions(user: Any) -> str:
        client.force_login(user)
        page = client.get(url).content.decode()
        found = re.search(
            r"<div class=\"card-actions\" data-palette-actions>(.*?)</div>", page, re.S
        )
        assert found is not None
        return found.group(1)

    mine = actions(personas.manager_a)
    assert f'href="{url}edit/"' in mine and f'action="{url}delete/"' in mine
    read_only = actions(personas.marketer)
    assert "edit/" not in read_only and "delete/" not in read_only
    assert "tel:+74951112233" in read_only  # calling is for everyone who sees the card


def test_an_empty_or_wordless_query_finds_no_records(
    clients: dict[str, Any], personas: Personas, client: Client
) -> None:
    for query in ("", "   ", "()", "*"):
        html = box(client, personas.manager_a, query)
        assert "/companies/" + str(clients["romashka"].pk) not in html


def test_signed_out_the_box_leads_to_the_login(client: Client) -> None:
    response = client.get("/search/box/", {"q": "ромашка"})
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    ("query", "value", "expected"),
    [
        ("7969", "+7 969 123-79-69", "+7 969 123-<mark>79-69</mark>"),
        ("969", "+7 969 123-45-67", "+7 <mark>969</mark> 123-45-67"),
        ("8 916 123-79-69", "+7 916 123-79-69", "+<mark>7 916 123-79-69</mark>"),
        ("Иванову", "Иванов Пётр", "<mark>Иванов</mark> Пётр"),
        ("петр", "Иванов Пётр", "Иванов <mark>Пётр</mark>"),
        ("ООО ромашка", "ООО «Ромашка»", "<mark>ООО</mark> «<mark>Ромашка</mark>»"),
        ("берёза", "Липа", "Липа"),
    ],
)
def test_highlighting(query: str, value: str, expected: str) -> None:
    assert str(shown(query, value, "", ()).title) == expected
    assert bool(spans(query, value)) == (expected != value)
