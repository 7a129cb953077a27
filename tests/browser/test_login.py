"""Logging in and out, a wrong password, and the lockout after too many wrong passwords."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from kartoteka.accounts.models import LoginThrottle
from tests.browser.pages import (
    BROWSER_TEST,
    LOCKED_OUT,
    WRONG_PASSWORD,
    expect_login_page,
    log_in,
    log_out,
)
from tests.conftest import Personas
from tests.factories.accounts import PASSWORD

pytestmark = BROWSER_TEST


def test_login_lands_on_my_day_and_logout_returns_to_login(page: Page, personas: Personas) -> None:
    user = personas.manager_a
    page.goto("/")
    expect_login_page(page)  # an anonymous visitor is sent to the login page first

    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main.login-box form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("main.content h1")).to_contain_text("My day")
    expect(page.locator(".sidebar nav a.active")).to_have_text("My day")
    expect(page.locator(".usermenu")).to_contain_text(user.get_full_name())
    expect(page.locator(".usermenu")).to_contain_text("Москва")
    expect(page).to_have_title(re.compile(r"^My day"))

    log_out(page)
    expect_login_page(page)
    page.goto("/")
    expect_login_page(page)  # the session really ended


def test_wrong_password_is_refused_with_a_message(page: Page, personas: Personas) -> None:
    log_in(page, personas.manager_a.username, "not-the-password")

    expect_login_page(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")  # Accept-Language: en-US
    expect(page.locator(".alert-danger")).to_contain_text(WRONG_PASSWORD)
    expect(page.locator("#id_username")).to_have_value(personas.manager_a.username)
    expect(page.locator("#id_password")).to_have_value("")
    page.goto("/")
    expect_login_page(page)


def test_lockout_refuses_even_the_right_password(page: Page, personas: Personas) -> None:
    user = personas.manager_a
    for attempt in range(1, settings.LOGIN_MAX_FAILURES + 1):
        log_in(page, user.username, f"wrong-password-{attempt}")
        expect_login_page(page)
        if attempt < settings.LOGIN_MAX_FAILURES:
            expect(page.locator(".alert-danger")).to_contain_text(WRONG_PASSWORD)

    log_in(page, user.username)  # the right password, too late
    expect_login_page(page)
    expect(page.locator(".alert-danger")).to_contain_text(LOCKED_OUT)
    expect(page.locator(".alert-danger")).not_to_contain_text(WRONG_PASSWORD)
    page.goto("/")
    expect_login_page(page)
    assert LoginThrottle.objects.get(username=user.username.lower()).locked_until is not None


@pytest.fixture(autouse=True)
def _default_lockout(settings: object) -> None:
    # The lockout test counts on the default; a KARTOTEKA_LOGIN_MAX_FAILURES in the environment
    # must not change what this file checks.
    settings.LOGIN_MAX_FAILURES = 5  # type: ignore[attr-defined]
