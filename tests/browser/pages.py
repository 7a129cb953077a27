"""Small steps that several browser tests take, and what the tests expect to read on pages."""

from __future__ import annotations

import re
from typing import Any, cast

import pytest
from playwright.sync_api import Page, expect

from kartoteka.clients.models import Company
from tests.factories.accounts import PASSWORD
from tests.factories.clients import CompanyFactory

# Every browser test talks to the live server, which sees only committed rows; the built-in roles
# come from a data migration, so they are restored from the serialized database before each test.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Texts a user reads, in English or (once translated) Russian.
WRONG_PASSWORD = re.compile(
    r"Wrong username or password\."
    r"|Неверное имя пользователя или пароль\.|Неверный логин или пароль\."
)
LOCKED_OUT = re.compile(r"Too many failed attempts|Слишком много неудачных попыток")
NOT_FOUND = re.compile(r"Not found|Не найдено")
CONFLICT = re.compile(
    r"Someone else changed this record while you were editing it\."
    r"|Пока вы редактировали запись, её изменил кто-то другой\."
)


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Fill and send the login form the way a person does."""
    page.goto("/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("main.login-box form button[type=submit]").click()


def log_out(page: Page) -> None:
    with page.expect_navigation():
        page.locator(".usermenu form button[type=submit]").click()


def expect_login_page(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/login/(\?.*)?$"))
    expect(page.locator("main.login-box #id_username")).to_be_visible()
    expect(page.locator(".usermenu")).to_have_count(0)


def make_company(**values: Any) -> Company:
    """CompanyFactory, typed as what it returns."""
    return cast(Company, CompanyFactory(**values))
