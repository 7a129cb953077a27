"""A sales manager cannot open or list another branch's client."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.pages import BROWSER_TEST, NOT_FOUND, log_in, make_company
from tests.conftest import Personas

pytestmark = BROWSER_TEST


def test_manager_gets_not_found_for_another_branchs_company(page: Page, personas: Personas) -> None:
    foreign = make_company(owner=personas.manager_b, name="ООО «Казанский секрет»")
    own = make_company(owner=personas.manager_a, name="ООО «Московский свет»")
    log_in(page, personas.manager_a.username)

    response = page.goto(f"/companies/{foreign.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("main.content h1")).to_have_text(NOT_FOUND)
    expect(page.locator("body")).not_to_contain_text("Казанский секрет")
    expect(page.locator("body")).not_to_contain_text(foreign.phones.get().number[-7:])

    response = page.goto(f"/companies/{foreign.pk}/edit/")
    assert response is not None and response.status == 404
    expect(page.locator("main.content h1")).to_have_text(NOT_FOUND)

    page.goto("/companies/")
    table = page.locator("#company-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text(own.name)
    expect(table).not_to_contain_text(foreign.name)

    page.goto("/companies/?q=Казанский")  # searching by name does not reveal it either
    expect(page.locator("main.content")).not_to_contain_text(foreign.name)
    expect(page.locator("#company-table")).to_have_count(0)
