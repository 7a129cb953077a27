"""The audit trail page fits the screen: long values wrap, and on a phone each entry is a card."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from kartoteka.clients.services.companies import company_create, company_update
from kartoteka.records.services.saved_views import saved_view_create
from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas

pytestmark = BROWSER_TEST

LONG_SITE = "https://example.ru/" + "/".join(["a-very-long-path-segment"] * 6)


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_the_audit_page_never_scrolls_sideways(
    page: Page, personas: Personas, width: int, height: int
) -> None:
    company = company_create(
        actor=personas.admin,
        values={
            "name": "ООО «Очень длинное название компании, которое не помещается в колонку»",
            "phones": [{"number": "+74951234567", "kind": "work"}],
        },
    )
    company_update(
        actor=personas.admin,
        company=company,
        version=company.version,
        values={
            "website": LONG_SITE,
            "notes": "слово" * 60,
            "phones": [{"number": f"+7916123456{n}", "kind": "mobile"} for n in range(10)],
        },
    )
    saved_view_create(
        actor=personas.admin,
        entity="companies",
        name="Клиенты",
        query="status=client&city=Москва&sort=-name",
    )
    personas.admin.language = "ru"
    personas.admin.save(update_fields=["language"])
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, personas.admin.username)
    page.goto("/settings/audit/")
    expect(page.locator("#audit-table")).to_contain_text("Статус: Клиент; Город: Москва")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    table = page.locator("#audit-table").bounding_box()
    assert table is not None and table["x"] + table["width"] <= width
    if width < 768:  # stacked: the column titles move into each row
        expect(page.locator("#audit-table thead")).to_be_hidden()
