"""A manager deletes a company from its card's "⋯ Ещё" menu and takes it back from the toast."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company
from tests.browser.pages import BROWSER_TEST, log_in, make_company
from tests.conftest import Personas

pytestmark = BROWSER_TEST


def test_delete_from_the_card_and_undo_from_the_toast(page: Page, personas: Personas) -> None:
    User.objects.filter(pk=personas.manager_a.pk).update(language="ru")
    company = make_company(owner=personas.manager_a, name="ООО «Передумали»")
    log_in(page, personas.manager_a.username)
    page.goto(f"/companies/{company.pk}/")
    actions = page.locator(".card-actions")
    # "В корзину" is not beside "Изменить": it waits in the "Ещё" menu.
    trash = actions.get_by_role("button", name="В корзину")
    expect(trash).to_be_hidden()
    actions.locator("summary", has_text="Ещё").click()
    expect(trash).to_be_visible()
    with page.expect_navigation():
        trash.click()
    expect(page).to_have_url(re.compile(r"/companies/$"))
    toast = page.locator(".toast-undo")
    expect(toast).to_contain_text("ООО «Передумали»")
    undo = toast.get_by_role("button", name="Отменить")
    expect(undo).to_be_visible()
    with page.expect_navigation():
        undo.click()
    expect(page).to_have_url(re.compile(rf"/companies/{company.pk}/$"))
    expect(page.locator("h1")).to_have_text("ООО «Передумали»")
    assert Company.objects.filter(pk=company.pk).exists()
    # Escape closes the menu again.
    actions.locator("summary", has_text="Ещё").click()
    expect(trash).to_be_visible()
    page.keyboard.press("Escape")
    expect(trash).to_be_hidden()


def test_an_undo_toast_leaves_after_ten_seconds(page: Page, personas: Personas) -> None:
    company = make_company(owner=personas.manager_a, name="ООО «Исчезающая»")
    log_in(page, personas.manager_a.username)
    page.clock.install()
    page.goto(f"/companies/{company.pk}/")
    page.locator(".card-actions summary").click()
    with page.expect_navigation():
        page.locator(".card-actions .menu-danger").click()
    expect(page.locator(".toast-undo")).to_be_visible()
    page.clock.run_for(10_500)
    expect(page.locator(".toast-undo")).to_have_count(0)
