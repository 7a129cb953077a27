"""The command box from the keyboard: Ctrl+K opens it, typing shows hits, arrows and Enter open
one, Esc closes it and gives focus back, "/" opens it unless one is typing in a field; on a card
it offers the card's actions; on a phone it takes the whole width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from kartoteka.accounts.models import User
from kartoteka.clients.services.companies import company_create
from kartoteka.clients.services.contacts import contact_create
from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas

pytestmark = BROWSER_TEST


@pytest.mark.parametrize(
    ("width", "height"),
    [pytest.param(1366, 768, id="1366x768"), pytest.param(390, 844, id="390x844")],
)
def test_the_keyboard_flow(page: Page, personas: Personas, width: int, height: int) -> None:
    romashka = company_create(
        actor=personas.manager_a,
        values={"name": "ООО «Ромашка»", "phones": [{"number": "+7 495 111-79-69"}]},
    )
    petrov = contact_create(
        actor=personas.manager_a,
        values={"last_name": "Петров", "first_name": "Иван", "companies": [romashka.pk]},
    )
    company_create(actor=personas.manager_b, values={"name": "ООО «Ромашка-Казань»"})
    User.objects.filter(pk=personas.manager_a.pk).update(language="ru")
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, personas.manager_a.username)
    box = page.locator("dialog.palette")
    field = box.locator(".palette-input")
    expect(box).to_be_hidden()

    page.keyboard.press("Control+k")
    expect(box).to_be_visible()
    expect(field).to_be_focused()
    # New company, new contact, new task, new meeting.
    expect(box.locator(".palette-command")).to_have_count(4)

    field.press_sequentially("ромашк", delay=20)
    options = box.get_by_role("option")
    expect(box.locator(".palette-group[data-palette-kind=company]")).to_contain_text("Ромашка")
    expect(box.locator("mark").first).to_have_text("Ромашк")
    expect(box).not_to_contain_text("Казань")
    expect(options.first).to_have_attribute("aria-selected", "true")  # the company first
    expect(box.locator(".palette-group[data-palette-kind=contact]")).to_contain_text("Петров")

    field.press("ArrowDown")  # to Петров, who works there
    selected = box.locator('[aria-selected="true"]')
    expect(selected).to_contain_text("Петров")
    expect(field).to_have_attribute("aria-activedescendant", re.compile("palette-option-1"))
    with page.expect_navigation():
        field.press("Enter")
    expect(page).to_have_url(re.compile(f"/contacts/{petrov.pk}/$"))
    expect(page.locator("main.content h1")).to_contain_text("Петров")

    # "/" outside a field opens it; Esc closes, even with text typed, and gives the focus back.
    edit = page.locator("main.content .card-actions a[href$='/edit/']")
    edit.focus()
    page.keyboard.press("/")
    expect(box).to_be_visible()
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    field.press_sequentially("пет", delay=20)
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()
    expect(edit).to_be_focused()

    # Typing "/" into a field types it.
    page.goto(f"/contacts/{petrov.pk}/edit/")
    first_field = page.locator("main.content input[type=text]").first
    first_field.fill("")
    first_field.press("/")
    expect(box).to_be_hidden()
    expect(first_field).to_have_value("/")

    # A single hit: Enter opens it, even before the answer is shown.
    page.goto("/")
    page.keyboard.press("Control+k")
    field.fill("7969")
    with page.expect_navigation():
        field.press("Enter")
    expect(page).to_have_url(re.compile(f"/companies/{romashka.pk}/$"))


def test_on_a_card_the_box_offers_its_actions(page: Page, personas: Personas) -> None:
    romashka = company_create(actor=personas.manager_a, values={"name": "ООО «Ромашка»"})
    log_in(page, personas.manager_a.username)
    page.goto(f"/companies/{romashka.pk}/")
    trigger = page.get_by_role("search").locator("input[name=q]")
    trigger.click()  # the top bar's search opens the box too
    box = page.locator("dialog.palette")
    expect(box).to_be_visible()
    actions = box.locator(".palette-action")
    expect(actions.filter(has_text=re.compile("Edit|Изменить"))).to_have_count(1)
    box.locator(".palette-input").press_sequentially("edit", delay=20)
    expect(actions).to_have_count(1)
    with page.expect_navigation():
        box.locator(".palette-input").press("Enter")
    expect(page).to_have_url(re.compile(f"/companies/{romashka.pk}/edit/$"))


def test_on_a_phone_the_box_takes_the_whole_width(page: Page, personas: Personas) -> None:
    company_create(actor=personas.manager_a, values={"name": "ООО «Ромашка»"})
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, personas.manager_a.username)
    page.keyboard.press("Control+k")
    box = page.locator("dialog.palette")
    box.locator(".palette-input").press_sequentially("ромашка", delay=20)
    expect(box.locator(".palette-group[data-palette-kind=company]")).to_be_visible()
    size = box.bounding_box()
    assert size is not None and size["width"] >= 389
    item = box.get_by_role("option").first.bounding_box()
    assert item is not None and item["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
