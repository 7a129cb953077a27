"""The card tab registry (core.cards): apps add tabs to a kind's card without the card importing
them; with nothing registered for the timeline the card keeps its audit-only history."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from kartoteka.clients.services.companies import company_create
from kartoteka.core import cards
from tests.conftest import Personas


def _tabs(page: str) -> list[str]:
    return re.findall(r'role="tab" id="tab-([\w-]+)"', page)


@pytest.fixture
def registry(monkeypatch: Any) -> dict[str, dict[str, cards.CardTab]]:
    saved = {entity: dict(tabs) for entity, tabs in cards._TABS.items()}
    monkeypatch.setattr(cards, "_TABS", saved)
    return saved


def test_the_timeline_replaces_the_history_tab_in_place(client: Client, personas: Personas) -> None:
    company = company_create(actor=personas.manager_a, values={"name": "ООО «Вкладка»"})
    client.force_login(personas.manager_a)
    page = client.get(f"/companies/{company.pk}/").content.decode()
    assert _tabs(page) == ["details", "people", "timeline", "sharing"]
    assert 'id="history"' not in page  # the audit-only history is not read at all
    assert f'hx-get="/companies/{company.pk}/timeline/"' in page
    assert f'<a href="/companies/{company.pk}/timeline/">' in page  # without JavaScript


def test_without_a_registered_timeline_the_card_keeps_its_history(
    client: Client, personas: Personas, registry: Any
) -> None:
    cards.unregister_tab("companies", "timeline")
    company = company_create(actor=personas.manager_a, values={"name": "ООО «Без хроники»"})
    client.force_login(personas.manager_a)
    page = client.get(f"/companies/{company.pk}/", {"tab": "timeline"}).content.decode()
    assert _tabs(page) == ["details", "people", "history", "sharing"]
    assert "ООО «Без хроники»" in page.split('id="history"', 1)[1]
    assert "log=call" not in page  # no log buttons either


def test_a_registered_tab_takes_its_position_and_receives_the_query_it_asks_for(
    client: Client, personas: Personas, registry: Any
) -> None:
    cards.register_tab(
        "companies",
        cards.CardTab(
            key="orders",
            label="Заказы",
            url_name="activities:company-timeline",
            position=15,
            params=("status",),
            shown_to=lambda user: user.username == "manager_a",
        ),
    )
    company = company_create(actor=personas.manager_a, values={"name": "ООО «Заказы»"})
    client.force_login(personas.manager_a)
    page = client.get(f"/companies/{company.pk}/", {"tab": "orders", "status": "new", "x": "1"})
    text = page.content.decode()
    assert _tabs(text) == ["details", "orders", "people", "timeline", "sharing"]
    assert f'hx-get="/companies/{company.pk}/timeline/?status=new"' in text
    assert re.search(r'role="tabpanel" id="orders"[^>]*tabindex="0">', text)
    client.force_login(personas.head)  # not shown to everyone
    assert "orders" not in _tabs(client.get(f"/companies/{company.pk}/").content.decode())


def test_the_cards_task_button_plans_a_task_about_the_client(
    client: Client, personas: Personas
) -> None:
    from tests.factories.clients import CompanyFactory

    company = CompanyFactory(owner=personas.manager_a, name="ООО «Планы»")
    client.force_login(personas.manager_a)
    card = client.get(f"/companies/{company.pk}/").content.decode()
    assert f'href="/tasks/new/?company={company.pk}"' in card
    form = client.get(f"/tasks/new/?company={company.pk}").content.decode()
    assert "ООО «Планы»" in form
    # An auditor plans nothing: no button.
    client.force_login(personas.auditor)
    assert "/tasks/new/" not in client.get(f"/companies/{company.pk}/").content.decode()
