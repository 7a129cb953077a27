"""Duplicates in a real browser: the warning while typing, and merging two records by the pages."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kartoteka.clients.models import Company
from tests.browser.pages import BROWSER_TEST, log_in, make_company
from tests.conftest import Personas

pytestmark = BROWSER_TEST

POSSIBLE_DUPLICATE = re.compile(r"Possible duplicate|Возможн")
MERGED = re.compile(r"Merged\.|Объединено|Объединены")


def test_typing_a_known_inn_warns_with_a_link_and_saving_still_works(
    page: Page, personas: Personas
) -> None:
    known = make_company(owner=personas.manager_a, name="ООО «Ромашка»", inn="7707083893")
    hidden = make_company(owner=personas.manager_b, name="ООО «Казанская ромашка»", inn="")
    log_in(page, personas.manager_a.username)
    page.goto("/companies/new/")
    warning = page.locator("#duplicate-warning")
    page.locator("#id_name").fill("Лютик")
    page.wait_for_timeout(700)  # past the debounce: nothing alike, so nothing is shown
    expect(warning).to_be_empty()

    page.locator("#id_inn").press_sequentially("7707083893")
    expect(warning).to_contain_text(POSSIBLE_DUPLICATE)
    expect(warning).to_contain_text("7707083893")
    link = warning.locator(f'a[href="/companies/{known.pk}/"]')
    expect(link).to_have_text("ООО «Ромашка»")

    page.locator("#id_name").fill("Казанская ромашка")  # exists, but in another branch
    page.locator("#id_inn").fill("")
    page.wait_for_timeout(700)
    expect(warning).not_to_contain_text("Казанская")
    expect(warning.locator(f'a[href="/companies/{hidden.pk}/"]')).to_have_count(0)

    page.locator("#id_inn").fill("7707083893")
    expect(link).to_be_visible()
    with page.expect_navigation():
        page.locator("main.content form.record-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/companies/\d+/$"))
    assert Company.objects.filter(inn="7707083893").count() == 2


def test_merge_two_duplicates_through_the_pages(page: Page, personas: Personas) -> None:
    first = make_company(
        owner=personas.manager_a, name="ООО «Ромашка»", inn="7707083893", phone="+74951112233"
    )
    second = make_company(
        owner=personas.manager_a,
        name="Ромашка",
        inn="7707083893",
        city="Химки",
        phone="+79161234567",
    )
    log_in(page, personas.manager_a.username)
    page.goto("/companies/")
    page.locator("main.content .page-header a", has_text=re.compile("Duplicates|Дубли")).click()
    expect(page).to_have_url(re.compile(r"/duplicates/\?kind=companies$"))
    row = page.locator("#duplicate-pairs tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("7707083893")
    with page.expect_navigation():
        row.locator(f'a[href="/companies/{first.pk}/merge/{second.pk}/"]').click()

    expect(page.locator("main.content h1")).to_contain_text("Ромашка")
    page.locator('input[name="keep_name"][value="other"]').check()
    with page.expect_navigation():
        page.locator("main.content form button[type=submit].btn-primary").click()

    expect(page).to_have_url(re.compile(rf"/companies/{first.pk}/$"))
    expect(page.locator(".toast")).to_contain_text(MERGED)
    expect(page.locator("main.content h1")).to_have_text("Ромашка")
    card = page.locator("main.content")
    expect(card).to_contain_text("+7 495 111-22-33")
    expect(card).to_contain_text("+7 916 123-45-67")
    expect(card).to_contain_text("Химки")
    assert not Company.objects.filter(pk=second.pk).exists()
    assert Company.all_objects.get(pk=second.pk).deleted_at is not None


def test_on_a_phone_each_pair_shows_its_names_whole_with_the_hint_beneath(
    page: Page, personas: Personas
) -> None:
    # Name and hint once shared a row in the card, and a long name broke mid-word.
    make_company(
        owner=personas.manager_a, name="ООО «Актрисатекстиль»", inn="", city="Санкт-Петербург"
    )
    make_company(owner=personas.manager_a, name="ИП «Актрисатекстиль»", inn="", city="Казань")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, personas.manager_a.username)
    page.goto("/duplicates/?kind=companies&reason=name")
    row = page.locator("#duplicate-pairs tbody tr")
    expect(row).to_have_count(1)
    for cell in row.locator("td").all()[:2]:
        name, hint = cell.locator("a").bounding_box(), cell.locator(".muted").bounding_box()
        assert name is not None and hint is not None
        assert name["height"] < 30, "the name wrapped onto a second line"
        assert hint["y"] >= name["y"] + name["height"] - 1, "the hint is not under the name"
