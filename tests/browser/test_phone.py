"""Phone and keyboard (issue 9): every page reachable from the navigation fits a 390×844 phone,
and a keyboard user gets a skip link, a visible focus ring and Esc to close menus.

The walk collects its pages from the navigation itself (bottom bar, sidebar, then one page of each
kind linked from those), so pages added later are covered without listing them here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company
from kartoteka.clients.services.common import record_trash
from kartoteka.clients.services.contacts import contact_create
from kartoteka.records.services.bulk import bulk_tag
from tests.browser.pages import BROWSER_TEST, log_in, make_company
from tests.conftest import Personas

pytestmark = BROWSER_TEST

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
MIN_TARGET = 44
MIN_SMALL_TARGET = 24  # checkboxes and radios: WCAG 2.5.8's minimum, their label adds the rest
MAX_PAGES = 40
# Links that leave the app, download a file, change the language or end the session.
SKIPPED = re.compile(r"^/(api|static|login|logout|health)/|/export/|\.csv$|^/jobs/")

MEASURE = """() => {
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 1 && box.height > 1 && style.visibility !== 'hidden'
      && !el.closest('.sr-only, [hidden], template');
  };
  const small = [];
  const check = (selector, minimum) => document.querySelectorAll(selector).forEach((el) => {
    if (!visible(el)) return;
    const box = el.getBoundingClientRect();
    if (box.height + 0.5 < minimum) {
      const text = (el.textContent || el.getAttribute('aria-label') || el.name || '').trim();
      small.push(`${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}`
        + ` "${text.slice(0, 30)}" ${Math.round(box.height)}px`);
    }
  });
  check('.bottombar a, .bottombar summary', 44);
  check('main button, main .btn, main summary, main select, main textarea,'
    + ' main input:not([type=checkbox]):not([type=radio]):not([type=hidden])', 44);
  check('main input[type=checkbox], main input[type=radio]', 24);
  const topbar = document.querySelector('.topbar');
  const bottombar = document.querySelector('.bottombar');
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    topbar: topbar ? topbar.getBoundingClientRect().height : null,
    bottombar: !!bottombar && visible(bottombar),
    small: small,
  };
}"""

LINKS = """(scope) => Array.from(document.querySelectorAll(scope))
  .map((a) => a.getAttribute('href')).filter((href) => href && !href.startsWith('#'))"""


def _pattern(path: str) -> str:
    """One page per kind: /companies/12/ and /companies/31/ are the same page to check."""
    return re.sub(r"\d+", "N", path)


def _walk(page: Page) -> dict[str, dict[str, Any]]:
    """Visits the navigation's pages, then one of each kind of page they link to in main."""
    page.goto("/")
    queue = page.evaluate(LINKS, ".bottombar a[href], .sidebar a[href], .topbar a[href]")
    queue[:0] = ["/", "/search/?q=" + "а"]  # search results before the empty search page
    seen: set[str] = set()
    found: dict[str, dict[str, Any]] = {}
    depth = {path: 0 for path in queue}
    while queue and len(found) < MAX_PAGES:
        href = queue.pop(0)
        parts = urlsplit(href)
        if not parts.path or parts.scheme or parts.netloc or SKIPPED.search(parts.path):
            continue
        if _pattern(parts.path) in seen:
            continue
        seen.add(_pattern(parts.path))
        response = page.goto(href)
        assert response is not None and response.status < 400, (href, response)
        measured = page.evaluate(MEASURE)
        if measured["topbar"] is None:
            continue  # not an app page (the tests' own record kind renders bare pages)
        found[href] = measured
        if depth.get(href, 0) < 2:
            for link in page.evaluate(LINKS, "main a[href]"):
                if link not in depth:
                    depth[link] = depth.get(href, 0) + 1
                    queue.append(link)
    return found


def _some_clients(personas: Personas) -> Company:
    owner = personas.manager_a
    company = make_company(owner=owner, name="ООО «Очень длинное название торгового дома Север»")
    make_company(owner=owner, name="ИП Коротков")
    contact_create(
        actor=owner,
        values={
            "last_name": "Константинопольская-Длиннофамильная",
            "first_name": "Александра",
            "phones": [{"number": "+7 916 111-22-33", "kind": "mobile"}],
            "emails": [{"address": "very.long.address.for.testing@example-company.ru"}],
        },
    )
    bulk_tag(actor=personas.admin, model=Company, ids=[company.pk], tag="Ключевой клиент")
    record_trash(actor=owner, obj=make_company(owner=owner, name="ООО «Удалённое»"))
    return company


PERSONAS = [
    "admin",
    "head",
    "branch_head_a",
    "manager_a",
    "service_a",
    "marketer",
    "auditor",
    "outsider",
]


@pytest.mark.layout
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_fits_a_phone(page: Page, personas: Personas, persona: str) -> None:
    _some_clients(personas)
    user: User = getattr(personas, persona)
    user.language = "ru"  # Russian labels run ~30 % longer: the harder case
    user.save(update_fields=["language"])
    page.set_viewport_size(PHONE)
    log_in(page, user.username)

    pages = _walk(page)

    home = pages["/"]
    assert home["bottombar"], "the bottom bar shows on a phone"
    assert home["topbar"] is not None and home["topbar"] <= 60
    problems = []
    for href, seen in pages.items():
        wide, width = seen["scrollWidth"], seen["innerWidth"]
        if wide > width:
            problems.append(f"{href}: scrolls sideways ({wide} > {width})")
        if seen["topbar"] != home["topbar"]:
            problems.append(f"{href}: top bar {seen['topbar']} px, on home {home['topbar']} px")
        problems += [f"{href}: small target {what}" for what in seen["small"]]
    assert not problems, "\n".join(problems)
    if persona == "admin":  # the walk reached settings pages, a card and forms
        kinds = {_pattern(urlsplit(href).path) for href in pages}
        assert {"/companies/N/", "/settings/users/", "/settings/trash/"} <= kinds, kinds


def test_bottom_bar_menus_follow_rights_and_close_on_escape(page: Page, personas: Personas) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, personas.manager_a.username)
    expect(page.locator(".sidebar")).to_be_hidden()
    bar = page.get_by_role("navigation", name=re.compile("Quick navigation|Быстрая навигация"))
    create = bar.locator(".bottombar-create")
    create.locator("summary").click()
    for name in ("New company|Новая компания", "New contact|Новый контакт"):
        expect(create.get_by_role("link", name=re.compile(name))).to_be_visible()

    more = bar.locator(".bottombar-more")
    more.locator("summary").click()  # opening one menu closes the other
    expect(create.locator(".bottombar-sheet")).to_be_hidden()
    sheet = more.locator(".bottombar-sheet")
    expect(sheet.get_by_role("link", name=re.compile("Profile|Профиль"))).to_be_visible()
    # A manager has a trash of their own deleted records, so "More" leads to it.
    expect(sheet.get_by_role("link", name=re.compile("Trash|Корзина"))).to_be_visible()
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    expect(more.locator("summary")).to_be_focused()

    more.locator("summary").click()
    page.locator("main h1").click()  # a tap outside closes it too
    expect(sheet).to_be_hidden()

    more.locator("summary").click()
    with page.expect_navigation():
        sheet.get_by_role("button", name=re.compile("Log out|Выйти")).click()
    expect(page).to_have_url(re.compile(r"/login/"))


def test_auditor_gets_no_create_menu(page: Page, personas: Personas) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, personas.auditor.username)
    expect(page.locator(".bottombar")).to_be_visible()
    expect(page.locator(".bottombar-create")).to_have_count(0)
    page.locator(".bottombar-more summary").click()
    expect(page.locator(".bottombar-more .bottombar-sheet")).to_contain_text(
        re.compile("Settings|Настройки")
    )


@pytest.mark.layout
def test_list_table_rows_become_labelled_cards(page: Page, personas: Personas) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, personas.admin.username)
    page.goto("/settings/users/")
    row = page.locator("#user-table tbody tr").filter(has_text=personas.manager_a.username)
    expect(page.locator("#user-table thead")).to_have_css("position", "absolute")
    cell = row.locator("td").nth(1)
    label = cell.evaluate("(td) => getComputedStyle(td, '::before').content")
    assert re.fullmatch(r'"(Username|Логин|Имя пользователя)"', label), label
    box = row.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    assert box["height"] > 3 * 24  # one line per column: a card, not a table row


def test_new_contact_form_starts_with_name_and_phone(page: Page, personas: Personas) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, personas.manager_a.username)
    page.goto("/contacts/new/")
    tops = page.evaluate(
        """() => Array.from(document.querySelectorAll(
            'form.record-form input, form.record-form select, form.record-form textarea'))
          .filter((el) => el.type !== 'hidden' && el.getBoundingClientRect().height > 1)
          .map((el) => [el.name, el.getBoundingClientRect().top])"""
    )
    order = [name for name, _ in sorted(tops, key=lambda item: item[1])]
    first_phone = next(i for i, name in enumerate(order) if re.search(r"phone.*number", name))
    # The name comes first (surname, first name, and the patronymic the form keeps beside them),
    # then at once the phone.
    names = {"last_name", "first_name", "middle_name"}
    assert set(order[:2]) == {"last_name", "first_name"}, order
    assert set(order[:first_phone]) <= names, order


def test_keyboard_skip_link_and_focus_ring(page: Page, personas: Personas) -> None:
    page.set_viewport_size(DESKTOP)
    log_in(page, personas.manager_a.username)
    page.goto("/companies/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text(re.compile("Skip to content|Перейти к содержимому"))
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] >= 24  # shown while focused
    assert float(skip.evaluate("(el) => parseFloat(getComputedStyle(el).outlineWidth)")) > 0

    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => { const el = document.activeElement; const style = getComputedStyle(el);
          return { inMain: !!el.closest('main'), matches: el.matches(':focus-visible'),
                   width: parseFloat(style.outlineWidth), style: style.outlineStyle,
                   color: style.outlineColor, shown: (() => {
                     const box = el.getBoundingClientRect();
                     const top = document.elementFromPoint(box.x + box.width / 2, box.y + 2);
                     return !!top && (el === top || el.contains(top)); })() }; }"""
    )
    assert focused["inMain"], "after the skip link, Tab goes on inside the page, not the sidebar"
    assert focused["shown"], "the focused control is not hidden under the sticky top bar"
    assert focused["matches"] and focused["width"] >= 2 and focused["style"] == "solid", focused
    assert focused["color"] == "rgb(29, 95, 196)", focused  # #1d5fc4: 6.0:1 on white
