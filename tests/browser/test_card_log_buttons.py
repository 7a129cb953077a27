"""The card's log buttons: each shown once, whichever tab is open."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

pytestmark = BROWSER_TEST


def test_each_log_button_shows_once_with_the_timeline_open(page: Page, personas: Personas) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    log_in(page, manager.username)
    page.goto(f"/companies/{company.pk}/")
    # On the details tab the card's bar offers logging (it opens the timeline with the form).
    expect(page.locator("[data-log='call']:visible")).to_have_count(1)
    page.goto(f"/companies/{company.pk}/?tab=timeline")
    expect(page.locator(".timeline-composer")).to_be_visible()
    for kind in ("call", "meeting", "inquiry", "note"):
        expect(page.locator(f"[data-log='{kind}']:visible")).to_have_count(1)
    expect(page.locator(".card-log [data-log='task']")).to_be_visible()
