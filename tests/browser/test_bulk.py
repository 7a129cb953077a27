"""An administrator hands a departing manager's clients to a colleague, then undoes it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company, Contact
from kartoteka.core.models import Batch
from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas
from tests.factories.accounts import UserFactory
from tests.factories.clients import CompanyFactory, ContactFactory

pytestmark = BROWSER_TEST

UNDO = re.compile(r"^(Undo|Отменить)$")


def test_administrator_hands_over_a_departing_managers_clients_and_undoes_it(
    page: Page, personas: Personas
) -> None:
    leaving: User = UserFactory(
        username="petrov", first_name="Пётр", last_name="Петров", branch=personas.branch_a
    )
    colleague = personas.colleague_a
    for number in range(3):
        CompanyFactory(owner=leaving, name=f"ООО «Уходящий {number}»")
    ContactFactory(owner=leaving, last_name="Клиентов")
    log_in(page, personas.admin.username)

    page.goto(f"/settings/users/{leaving.pk}/")
    page.locator("#handover").click()
    expect(page).to_have_url(re.compile(rf"/settings/users/{leaving.pk}/handover/$"))
    expect(page.locator("#owned [data-kind=companies]")).to_have_text("3")
    expect(page.locator("#owned [data-kind=contacts]")).to_have_text("1")
    page.get_by_label(re.compile(str(colleague))).check()
    with page.expect_navigation():
        page.locator("main.content form button.btn-primary").click()

    expect(page.locator("#batch-done")).to_contain_text("Петров")
    expect(page.locator("#owned [data-kind=companies]")).to_have_text("0")
    page.goto("/companies/?q=Уходящий")
    rows = page.locator("#company-table tbody tr")
    expect(rows).to_have_count(3)
    for index in range(3):
        expect(rows.nth(index)).to_contain_text(str(colleague))
    assert set(Company.objects.values_list("owner", flat=True)) == {colleague.pk}
    assert Contact.objects.get(last_name="Клиентов").owner == colleague

    page.goto("/settings/batches/")
    batch_row = page.locator("#batch-table tbody tr").first
    expect(batch_row).to_contain_text("Петров")
    with page.expect_navigation():
        batch_row.get_by_role("button", name=UNDO).click()

    expect(page.locator(".toast")).to_contain_text("Петров")
    expect(page.locator("#batch-table tbody tr").first.get_by_role("button")).to_have_count(0)
    page.goto("/companies/?q=Уходящий")
    for index in range(3):
        expect(page.locator("#company-table tbody tr").nth(index)).to_contain_text("Петров")
    assert set(Company.objects.values_list("owner", flat=True)) == {leaving.pk}
    assert Batch.objects.get().undone_by == personas.admin


def test_bulk_bar_appears_on_ticking_and_changes_a_field_after_a_preview(
    page: Page, personas: Personas
) -> None:
    for number in range(4):
        CompanyFactory(owner=personas.manager_a, name=f"ООО «Пачка {number}»")
    log_in(page, personas.manager_a.username)
    page.goto("/companies/")
    bar = page.locator("#bulk-form")
    expect(bar).to_be_hidden()

    page.locator("input[data-bulk-page]").check()
    expect(bar).to_be_visible()
    expect(bar.locator("[data-bulk-count]")).to_contain_text("4")
    bar.locator("select[name=field]").select_option("city")
    bar.locator("input[name=value]").fill("Тверь")
    with page.expect_navigation():
        bar.get_by_role("button", name=re.compile("Change|Изменить")).click()

    expect(page.locator("#bulk-preview h2")).to_contain_text("4")
    assert Company.objects.filter(city="Тверь").count() == 0  # a preview changes nothing
    with page.expect_navigation():
        page.locator("#bulk-preview button.btn-primary").click()

    expect(page.locator("#batch-done")).to_contain_text("Тверь")
    expect(page.locator("#company-table tbody tr", has_text="Тверь")).to_have_count(4)
    with page.expect_navigation():
        page.locator("#batch-done").get_by_role("button", name=UNDO).click()
    expect(page.locator("#company-table tbody tr", has_text="Тверь")).to_have_count(0)
    assert Company.objects.filter(city="Тверь").count() == 0


def test_all_matching_on_a_long_list_shows_how_many_once_picked(
    page: Page, personas: Personas
) -> None:
    CompanyFactory.create_batch(55, owner=personas.manager_a, city="Казань")
    log_in(page, personas.manager_a.username)
    page.goto("/companies/?city=%D0%9A%D0%B0%D0%B7%D0%B0%D0%BD%D1%8C")
    page.locator("input[data-bulk-row]").first.check()
    bar = page.locator("#bulk-form")
    total = bar.locator("[data-bulk-total]")
    expect(total).not_to_contain_text("55")  # the page itself did not count

    bar.locator("input[data-bulk-all]").check()

    expect(total).to_contain_text("55")
