"""The company and contact lists at 1366×768 in Russian, on demo-like data: dense one-line rows,
columns that cannot vary hidden, the density toggle, the pager, and walking the list from a card."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company
from kartoteka.demo import create_demo
from kartoteka.records.models import SavedView
from tests.browser.pages import BROWSER_TEST, log_in

pytestmark = BROWSER_TEST

ROWS = "table.list-table tbody tr"
#: what a person measures: rows wholly inside the window, the tallest row, the page's width
MEASURE = """() => {
  const rows = [...document.querySelectorAll('table.list-table tbody tr')];
  const boxes = rows.map(r => r.getBoundingClientRect());
  return {
    rows: rows.length,
    visible: boxes.filter(b => b.top >= 0 && b.bottom <= window.innerHeight).length,
    tallest: Math.max(...boxes.map(b => b.height)),
    wrapped: [...document.querySelectorAll('table.list-table td')]
      .filter(td => td.scrollHeight > td.clientHeight + 1).length,
    width: document.documentElement.scrollWidth,
    filterBar: document.querySelector('form.list-filters').getBoundingClientRect().height,
    clippedWithoutTooltip: [...document.querySelectorAll('table.list-table td .clip')]
      .filter(el => el.scrollWidth > el.clientWidth + 1 && !el.title).length,
  };
}"""


@pytest.fixture
def demo(settings: Any, tmp_path: Path) -> str:
    """The demo company, smaller (60-odd companies, 200 contacts); returns its password."""
    settings.DATA_DIR = tmp_path
    lines = create_demo(size="200")
    return next(line.split(": ", 1)[1] for line in lines if "password" in line)


def headers(page: Page) -> list[str]:
    return [t.strip(" ▲▼") for t in page.locator("table.list-table thead th").all_inner_texts()]


@pytest.mark.layout
@pytest.mark.parametrize("username", ["admin", "petrov"])
def test_lists_show_18_one_line_rows_at_1366x768(page: Page, demo: str, username: str) -> None:
    log_in(page, username, demo)
    for url in ("/companies/", "/contacts/"):
        page.goto(url)
        seen = page.evaluate(MEASURE)
        assert seen["visible"] >= min(18, seen["rows"]), (url, seen)
        assert seen["rows"] < 18 or seen["visible"] >= 18, (url, seen)
        assert seen["tallest"] <= 33, (url, seen)  # 32 px and a border: never a second line
        assert seen["wrapped"] == 0, (url, seen)
        assert seen["width"] <= 1366, (url, seen)  # no sideways scrolling either
        assert seen["filterBar"] <= 40, (url, seen)  # one line, the rest under "Ещё фильтры"
        assert seen["clippedWithoutTooltip"] == 0, (url, seen)  # cut text tells itself on hover
        shown = headers(page)
        if username == "admin":  # sees every branch and owner
            assert "Ответственный" in shown and "Филиал" in shown, shown
        else:  # a sales manager sees only their own records
            assert "Ответственный" not in shown and "Филиал" not in shown, shown
            expect(page.locator("form.list-filters select[name=owner]")).to_have_count(0)


def row_height(page: Page) -> float:
    return float(page.locator(ROWS).first.evaluate("r => r.getBoundingClientRect().height"))


def test_density_toggle_changes_rows_and_is_remembered(page: Page, demo: str) -> None:
    log_in(page, "admin", demo)
    page.goto("/companies/")
    assert 31 <= row_height(page) <= 33
    with page.expect_navigation():
        page.get_by_title("Просторные строки").click()
    assert 39 <= row_height(page) <= 41
    page.reload()
    assert 39 <= row_height(page) <= 41
    assert User.objects.get(username="admin").list_density == "comfortable"
    # A saved view brings its own density.
    view = SavedView.objects.create(
        name="Плотно",
        entity="companies",
        owner=User.objects.get(username="admin"),
        query="sort=name&density=compact",
    )
    page.reload()
    page.locator(".view-tabs").get_by_role("link", name="Плотно").click()
    expect(page).to_have_url(re.compile(rf"view={view.pk}"))
    assert 31 <= row_height(page) <= 33


def test_pager_counts_and_goes_both_ways(page: Page, demo: str) -> None:
    total = Company.objects.count()
    assert total > 50
    log_in(page, "admin", demo)
    page.goto("/companies/?sort=name")
    pager = page.locator("[data-pager-range]")
    expect(pager).to_have_text(f"1–50 из {total}")
    page.locator("[data-pager-next]").click()
    expect(pager).to_have_text(f"51–{total} из {total}")
    page.locator("[data-pager-prev]").click()
    expect(pager).to_have_text(f"1–50 из {total}")


def arrived(page: Page, path: str) -> None:
    """Wait until the card at ``path`` is shown and its deferred scripts have run.

    A click or a J/K walk returns once the new address commits, before the card's
    deferred scripts bind their keys: a key pressed then would be lost.
    """
    expect(page).to_have_url(re.compile(rf"{path}$"))
    page.wait_for_load_state("load")


def test_card_walks_the_list_with_j_k_and_back_highlights_the_row(page: Page, demo: str) -> None:
    log_in(page, "admin", demo)
    page.goto("/companies/?sort=name&status=client")
    ids = page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.id)")
    page.locator(f"{ROWS}[data-id='{ids[2]}'] td.cell-name a").click()
    arrived(page, f"/companies/{ids[2]}/")
    page.keyboard.press("j")
    arrived(page, f"/companies/{ids[3]}/")
    page.keyboard.press("k")
    arrived(page, f"/companies/{ids[2]}/")
    page.get_by_role("link", name="Предыдущая в списке").click()
    arrived(page, f"/companies/{ids[1]}/")
    # Typing in a field is typing, not walking.
    page.locator("form.search input").first.press("j")
    expect(page).to_have_url(re.compile(rf"/companies/{ids[1]}/$"))
    page.keyboard.press("Escape")  # typing in the top bar opened the command box: close it

    page.locator("[data-back-to-list]").click()
    expect(page).to_have_url(re.compile(r"/companies/\?sort=name&status=client$"))
    expect(page.locator(f"{ROWS}[data-id='{ids[1]}']")).to_have_class(re.compile(r"\bis-last\b"))
    for visited in (ids[2], ids[3]):
        expect(page.locator(f"{ROWS}[data-id='{visited}']")).to_have_class(re.compile("is-visited"))
    expect(page.locator(f"{ROWS}[data-id='{ids[5]}']")).not_to_have_class(re.compile("is-visited"))
    # The sidebar goes back to the same list too.
    page.goto("/")
    page.locator(".sidebar nav").get_by_role("link", name="Компании").click()
    expect(page).to_have_url(re.compile(r"/companies/\?sort=name&status=client$"))
