"""A manager finds a client from the top bar by a Russian word form."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from kartoteka.clients.services.companies import company_create
from kartoteka.clients.services.contacts import contact_create
from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas

pytestmark = BROWSER_TEST


def test_manager_finds_a_client_by_a_word_form(page: Page, personas: Personas) -> None:
    romashka = company_create(actor=personas.manager_a, values={"name": "ООО «Ромашка»"})
    contact_create(
        actor=personas.manager_a,
        values={
            "last_name": "Иванов",
            "first_name": "Пётр",
            "phones": [{"number": "+7 916 123-45-67", "kind": "mobile"}],
            "companies": [romashka.pk],
        },
    )
    company_create(actor=personas.manager_b, values={"name": "ООО «Ромашка-Казань»"})
    log_in(page, personas.manager_a.username)

    box = page.get_by_role("search").locator("input[name=q]")
    box.fill("ромашке")
    with page.expect_navigation():
        box.press("Enter")

    companies = page.locator("#search-companies")
    expect(companies.get_by_role("link", name="ООО «Ромашка»")).to_be_visible()
    expect(page.locator("main.content")).not_to_contain_text("Ромашка-Казань")
    person = page.locator("#search-contacts").get_by_role("link", name="Иванов Пётр")
    expect(person).to_be_visible()

    person.click()
    expect(page.locator("main.content h1")).to_contain_text("Иванов Пётр")
