"""Two people edit the same company at once: the later save is stopped and told what changed."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from kartoteka.clients.models import Company
from tests.browser.pages import BROWSER_TEST, CONFLICT, log_in, make_company
from tests.conftest import Personas

pytestmark = BROWSER_TEST


def test_second_save_of_a_stale_form_shows_the_conflict(
    open_page: Callable[[], Page], personas: Personas
) -> None:
    company = make_company(owner=personas.manager_a, name="ООО «Ромашка»")
    version = company.version
    first, second = open_page(), open_page()  # two browsers: two separate sessions
    for page in (first, second):
        log_in(page, personas.admin.username)
        page.goto(f"/companies/{company.pk}/edit/")
        expect(page.locator("#id_name")).to_have_value("ООО «Ромашка»")

    first.locator("#id_name").fill("ООО «Ромашка плюс»")
    with first.expect_navigation():
        first.locator("main.content form button[type=submit]").click()
    expect(first).to_have_url(re.compile(rf"/companies/{company.pk}/$"))
    expect(first.locator("main.content h1")).to_contain_text("ООО «Ромашка плюс»")

    second.locator("#id_name").fill("ООО «Лютик»")
    with second.expect_response(lambda r: r.request.method == "POST") as posted:
        second.locator("main.content form button[type=submit]").click()
    assert posted.value.status == 409
    conflict = second.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text(CONFLICT)
    expect(conflict).to_contain_text(str(personas.admin))  # who changed it
    expect(conflict.locator(".chg", has_text="name")).to_contain_text(
        "ООО «Ромашка» → ООО «Ромашка плюс»"
    )
    expect(second.locator("#id_name")).to_have_value("ООО «Лютик»")  # the edit is kept to retry

    company.refresh_from_db()
    assert company.name == "ООО «Ромашка плюс»"
    assert company.version == version + 1
    assert Company.objects.filter(name="ООО «Лютик»").count() == 0
