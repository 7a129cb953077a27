"""An administrator adds a user through Settings → Users, and that user can log in."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kartoteka.accounts.models import User
from tests.browser.pages import BROWSER_TEST, expect_login_page, log_in, log_out
from tests.conftest import Personas

pytestmark = BROWSER_TEST

NEW_PASSWORD = "Vesna-2026-kartoteka"


def test_administrator_creates_a_user_who_can_log_in(page: Page, personas: Personas) -> None:
    log_in(page, personas.admin.username)
    page.locator(".sidebar nav").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings/$"))
    page.locator("main.content a.card", has_text="Users").click()
    expect(page).to_have_url(re.compile(r"/settings/users/$"))
    page.get_by_role("link", name="+ User").click()
    expect(page).to_have_url(re.compile(r"/settings/users/new/$"))
    expect(page.locator("main.content h1")).to_have_text("New user")

    page.locator("#id_username").fill("o.smirnova")
    page.locator("#id_first_name").fill("Ольга")
    page.locator("#id_last_name").fill("Смирнова")
    page.locator("#id_email").fill("o.smirnova@example.ru")
    page.locator("#id_branch").select_option(label="Казань")
    page.locator("#id_roles").select_option(label="Sales manager")
    page.locator("#id_language").select_option("en")
    page.locator("#id_password").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("main.content form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/settings/users/$"))
    expect(page.locator(".toast-success")).to_contain_text("Ольга Смирнова")
    row = page.locator("#user-table tbody tr", has_text="o.smirnova")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Ольга Смирнова")
    expect(row).to_contain_text("Казань")
    expect(row.locator(".badge")).to_have_text(["Sales manager"])
    created = User.objects.get(username="o.smirnova")
    assert created.branch == personas.branch_b
    assert [role.code for role in created.roles.all()] == ["sales_manager"]

    log_out(page)
    expect_login_page(page)
    log_in(page, "o.smirnova", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("main.content h1")).to_contain_text("My day")
    expect(page.locator(".usermenu")).to_contain_text("Ольга Смирнова · Казань")
