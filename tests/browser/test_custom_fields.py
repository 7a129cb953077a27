"""An administrator adds a custom field, sets it on a company and filters the list by it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kartoteka.clients.models import Company
from kartoteka.records.models import CustomField
from tests.browser.pages import BROWSER_TEST, log_in, make_company
from tests.conftest import Personas

pytestmark = BROWSER_TEST


def test_administrator_adds_a_field_sets_it_and_filters_by_it(
    page: Page, personas: Personas
) -> None:
    discounted = make_company(owner=personas.admin, name="ООО «Скидочная»")
    make_company(owner=personas.admin, name="ООО «Обычная»")
    log_in(page, personas.admin.username)

    page.locator(".sidebar nav").get_by_role("link", name="Settings").click()
    page.locator("main.content a.card", has_text="Custom fields").click()
    expect(page).to_have_url(re.compile(r"/settings/custom-fields/$"))
    expect(page.locator("#custom-fields-companies .empty")).to_be_visible()
    page.locator("#custom-fields-companies").get_by_role("link", name="+ Field").click()
    page.locator("#id_label").fill("Размер скидки")
    page.locator("#id_code").fill("discount")
    page.locator("#id_entity").select_option("companies")
    page.locator("#id_type").select_option("number")
    with page.expect_navigation():
        page.locator("main.content form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/settings/custom-fields/$"))
    expect(page.locator("#custom-fields-companies table")).to_contain_text("Размер скидки")
    assert CustomField.objects.get(code="discount").type == "number"

    page.goto(f"/companies/{discounted.pk}/edit/")
    page.get_by_label("Размер скидки").fill("15")
    with page.expect_navigation():
        page.locator("main.content form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/companies/{discounted.pk}/$"))
    expect(page.locator("main.content")).to_contain_text("Размер скидки")
    assert Company.objects.get(pk=discounted.pk).custom_fields == {"discount": 15}

    page.goto("/companies/")
    expect(page.locator("#company-table tbody tr")).to_have_count(2)
    page.locator(".more-filters > summary").click()  # the field's filter waits under "More filters"
    page.get_by_label("Размер скидки: from").fill("10")
    page.get_by_label("Размер скидки: to").fill("20")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"cf_discount__from=10"))
    rows = page.locator("#company-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("ООО «Скидочная»")
    expect(page.get_by_label("Размер скидки: from")).to_have_value("10")
    export = page.locator("#export-csv")
    expect(export).to_have_attribute(
        "href", re.compile(r"/companies/export/\?.*cf_discount__from=10")
    )
