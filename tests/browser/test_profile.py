"""A signed-in user switches the interface language in the profile."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas

pytestmark = BROWSER_TEST


def test_choosing_russian_in_the_profile_switches_the_interface(
    page: Page, personas: Personas
) -> None:
    user = personas.manager_a
    assert user.language == "en"
    log_in(page, user.username)
    page.goto("/profile/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".sidebar nav")).to_contain_text("My day")

    form = page.locator("#language-form")
    form.locator("select[name=language]").select_option(label="Русский")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#language-form select[name=language]")).to_have_value("ru")
    expect(page.locator(".sidebar nav")).to_contain_text("Мой день")
    user.refresh_from_db()
    assert user.language == "ru"

    page.goto("/")  # the choice sticks on every page, not only the one that saved it
    expect(page.locator("html")).to_have_attribute("lang", "ru")
