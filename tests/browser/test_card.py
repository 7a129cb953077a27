"""A manager walks a contact card's tabs and changes a messenger on the contact form."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kartoteka.clients.models import Contact
from kartoteka.clients.services.contacts import contact_create
from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas

pytestmark = BROWSER_TEST


def test_contact_card_tabs_and_messenger_editing(page: Page, personas: Personas) -> None:
    contact = contact_create(
        actor=personas.manager_a,
        values={
            "last_name": "Вкладкин",
            "first_name": "Олег",
            "phones": [{"number": "+7 916 111-22-33", "kind": "mobile"}],
            "messengers": [{"kind": "telegram", "handle": "@old_nick"}],
            "related_persons": [{"name": "Марина", "relation": "spouse", "birthday": "1990-05-17"}],
        },
    )
    log_in(page, personas.manager_a.username)
    page.goto(f"/contacts/{contact.pk}/")

    tabs = page.get_by_role("tablist")
    details = tabs.get_by_role("tab", name=re.compile("Details|Сведения"))
    related = tabs.get_by_role("tab", name=re.compile("Related persons|Близкие"))
    timeline = tabs.get_by_role("tab", name=re.compile("Timeline|Хронология"))
    expect(details).to_have_attribute("aria-selected", "true")
    expect(page.locator("#details")).to_be_visible()
    expect(page.locator("#messengers")).to_contain_text("@old_nick")
    expect(page.locator("main.content a[href='tel:+79161112233']").first).to_be_visible()

    related.click()
    expect(related).to_have_attribute("aria-selected", "true")
    expect(details).to_have_attribute("aria-selected", "false")
    expect(page.locator("#related")).to_be_visible()
    expect(page.locator("#details")).to_be_hidden()
    expect(page.locator("#related")).to_contain_text("Марина")
    expect(page.locator("#related")).to_contain_text("17.05.1990")
    expect(page).to_have_url(re.compile(r"\?tab=related$"))

    related.press("ArrowRight")  # the keyboard moves along the tabs, as in any tab list
    expect(timeline).to_be_focused()
    expect(timeline).to_have_attribute("aria-selected", "true")
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Вкладкин")  # the fragment loaded
    page.reload()  # the address keeps the tab: the server opens the same one
    expect(timeline).to_have_attribute("aria-selected", "true")
    expect(page.locator("#related")).to_be_hidden()

    page.locator(".card-actions").get_by_role("link", name=re.compile("^(Edit|Изменить)$")).click()
    expect(page).to_have_url(re.compile(rf"/contacts/{contact.pk}/edit/$"))
    messengers = page.locator("fieldset[data-formset=messengers]")
    expect(page.locator("#id_messengers-0-handle")).to_have_value("@old_nick")
    page.locator("#id_messengers-0-handle").fill("a b")  # not a Telegram username
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main.content form.record-form button[type=submit]").click()
    assert posted.value.status == 422
    expect(messengers.locator(".error")).to_contain_text(re.compile("username|имя"))
    expect(page.locator("#id_messengers-0-handle")).to_have_value("a b")

    page.locator("#id_messengers-0-handle").fill("t.me/new_nick")
    messengers.locator(".formset-add").click()
    page.locator("#id_messengers-1-kind").select_option("whatsapp")
    page.locator("#id_messengers-1-handle").fill("8 903 000-00-02")
    with page.expect_navigation():
        page.locator("main.content form.record-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/contacts/{contact.pk}/$"))
    shown = page.locator("#messengers")
    expect(shown).to_contain_text("@new_nick")
    expect(shown).to_contain_text("+7 903 000-00-02")
    expect(shown.locator("a[href='https://t.me/new_nick']")).to_be_visible()
    assert Contact.objects.get(pk=contact.pk).messengers == [
        {"kind": "telegram", "handle": "@new_nick"},
        {"kind": "whatsapp", "handle": "+79030000002"},
    ]
