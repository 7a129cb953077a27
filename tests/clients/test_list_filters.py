"""The list filter bar: status, branch, city and industry as visible controls that keep values."""

from __future__ import annotations

import re

from django.test import Client

from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def names_in_rows(html: str, kind: str) -> set[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return {
        name.split()[0] if kind == "contacts" else name
        for name in re.findall(rf'href="/{kind}/\d+/">([^<]+)</a>', body)
    }


def test_companies_filter_by_status_city_industry_and_branch(
    client: Client, personas: Personas
) -> None:
    def company(name: str, owner: object, **values: str) -> None:
        CompanyFactory(name=name, owner=owner, **values)

    company("Казанский клиент", personas.admin, status="client", city="Казань", industry="Розница")
    company("Казанский лид", personas.admin, status="prospect", city="Казань", industry="Розница")
    company("Московский клиент", personas.admin, status="client", city="Москва", industry="Опт")
    company("Клиент из Казани", personas.manager_b, status="client", city="казань")
    client.force_login(personas.admin)

    page = client.get("/companies/").content.decode()
    for control in ("status", "branch", "city", "industry", "region", "source"):
        assert f'name="{control}"' in page, control

    page = client.get(
        "/companies/", {"status": "client", "city": "КАЗАНЬ", "industry": "розн"}
    ).content.decode()
    assert names_in_rows(page, "companies") == {"Казанский клиент"}
    assert '<option value="client" selected>' in page  # the bar shows what is applied
    assert 'name="city" class="filter-text" value="КАЗАНЬ"' in page

    page = client.get(
        "/companies/", {"status": "client", "branch": personas.branch_b.pk}
    ).content.decode()
    assert names_in_rows(page, "companies") == {"Клиент из Казани"}
    assert f'<option value="{personas.branch_b.pk}" selected>' in page


def test_contacts_filter_by_city_and_branch_within_scope(
    client: Client, personas: Personas
) -> None:
    ContactFactory(last_name="Казанцев", owner=personas.manager_a, address="Казань, ул. Баумана, 1")
    ContactFactory(last_name="Москвин", owner=personas.manager_a, address="Москва, Тверская, 5")
    ContactFactory(last_name="Чужов", owner=personas.manager_b, address="Казань, Кремль")
    client.force_login(personas.manager_a)

    page = client.get("/contacts/", {"city": "казань"}).content.decode()
    assert names_in_rows(page, "contacts") == {"Казанцев"}  # Kazan's branch stays out of scope
    assert 'name="status"' not in page and 'name="industry"' not in page
    page = client.get("/contacts/", {"branch": personas.branch_b.pk}).content.decode()
    assert names_in_rows(page, "contacts") == set()


def test_companies_filter_by_region_and_source(client: Client, personas: Personas) -> None:
    CompanyFactory(name="С выставки", owner=personas.admin, region="Татарстан", source="Выставка")
    CompanyFactory(name="С сайта", owner=personas.admin, region="Татарстан", source="Сайт")
    CompanyFactory(name="Из Тверской", owner=personas.admin, region="Тверская", source="Выставка")
    client.force_login(personas.admin)

    page = client.get("/companies/", {"region": "татар", "source": "выставка"}).content.decode()

    assert names_in_rows(page, "companies") == {"С выставки"}
    assert 'name="region" class="filter-text" value="татар"' in page


def test_the_owner_filter_and_the_bulk_bar_offer_the_same_people(
    client: Client, personas: Personas
) -> None:
    mine = CompanyFactory(name="ООО «Петровых»", owner=personas.manager_b)
    CompanyFactory(name="ООО «Чужая»", owner=personas.admin)
    client.force_login(personas.admin)

    page = client.get("/companies/", {"owner": personas.manager_b.pk}).content.decode()

    owner = re.search(r'<select name="owner".*?</select>', page, re.S)
    new_owner = re.search(r'<select name="to_owner".*?</select>', page, re.S)
    assert owner and new_owner
    offered = re.findall(r'<option value="(\d+)"', owner.group())
    assert offered == re.findall(r'<option value="(\d+)"', new_owner.group())
    assert str(personas.manager_b.pk) in offered and str(personas.admin.pk) in offered
    chosen = re.findall(r'<option value="(\d*)" selected>([^<]*)', owner.group())
    assert chosen == [(str(personas.manager_b.pk), str(personas.manager_b))]
    assert " selected" not in new_owner.group()  # a new owner is picked, never preset
    assert f'name="page_ids" value="{mine.pk}"' in page
