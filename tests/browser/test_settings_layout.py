"""Settings pages and the navigation in Russian at 1366×768 and 390×844: the role editor's grid
fits a phone without scrolling inside its box, the group-rules page's section headers keep their
distance from the box above, and navigation labels stay on one line, whole."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from kartoteka.accounts.models import Role
from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas

pytestmark = [*BROWSER_TEST, pytest.mark.layout]

SIZES = [pytest.param(1366, 768, id="1366x768"), pytest.param(390, 844, id="390x844")]


def _russian(page: Page, personas: Personas, width: int, height: int, username: str = "") -> None:
    user = personas.admin if not username else getattr(personas, username)
    user.language = "ru"
    user.save(update_fields=["language"])
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, user.username)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_role_editor_grid_never_scrolls_sideways(
    page: Page, personas: Personas, width: int, height: int
) -> None:
    _russian(page, personas, width, height)
    role = Role.objects.get(code="sales_manager")
    page.goto(f"/settings/roles/{role.pk}/")
    seen = page.evaluate(
        """() => {
          const wrap = document.querySelector('.grants').parentElement;
          const selects = [...document.querySelectorAll('.grants select')];
          return {
            page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            inside: wrap.scrollWidth - wrap.clientWidth,
            table: document.querySelector('.grants').scrollWidth
              - document.querySelector('.grants').clientWidth,
            outside: selects.filter(s => s.getBoundingClientRect().right > innerWidth).length,
            unnamed: selects.filter(s => !s.getAttribute('aria-label')).length,
            selects: selects.length,
          };
        }"""
    )
    assert seen["selects"] > 10, seen
    assert seen["page"] <= 0 and seen["inside"] <= 0 and seen["table"] <= 0, seen
    assert seen["outside"] == 0 and seen["unnamed"] == 0, seen
    if width < 768:  # a card per record kind: each right's title beside its picker
        label = page.locator(".grants td[data-label]").first.evaluate(
            "(td) => getComputedStyle(td, '::before').content"
        )
        assert label == '"Просмотр"', label


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("url", ["/settings/group-rules/", "/settings/custom-fields/"])
def test_settings_sections_keep_their_distance(
    page: Page, personas: Personas, width: int, height: int, url: str
) -> None:
    _russian(page, personas, width, height)
    page.goto(url)
    sections = page.evaluate(
        """() => [...document.querySelectorAll('main section.page-section')].map(s => {
          const head = s.querySelector('h2').getBoundingClientRect();
          const button = (s.querySelector('h2 ~ a.btn') || s.querySelector('h2'))
            .getBoundingClientRect();
          const top = s.getBoundingClientRect().top;
          const previous = s.previousElementSibling.getBoundingClientRect().bottom;
          const centre = (box) => (box.top + box.bottom) / 2;
          return { gap: top - previous, middle: Math.abs(centre(head) - centre(button)),
                   below: s.querySelector('h2').parentElement.nextElementSibling
                     .getBoundingClientRect().top - button.bottom };
        })"""
    )
    assert len(sections) >= 2, sections
    for seen in sections:
        assert seen["gap"] >= 16, sections  # not against the box above
        assert seen["middle"] <= 2, sections  # the heading on its button's line
        assert 4 <= seen["below"] <= 16, sections  # and close to its own box


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("username", ["admin", "manager_a"])
def test_navigation_labels_stay_on_one_line(
    page: Page, personas: Personas, width: int, height: int, username: str
) -> None:
    _russian(page, personas, width, height, username)
    page.goto("/")
    labels = page.evaluate(
        """() => [...document.querySelectorAll('.sidebar nav a, .bottombar > a span,'
                                               + ' .bottombar summary span')]
          .filter(el => el.getClientRects().length && el.getBoundingClientRect().width > 0)
          .map(el => ({ text: el.textContent.trim(), height: el.getBoundingClientRect().height,
                        line: parseFloat(getComputedStyle(el).lineHeight) || 20,
                        padding: parseFloat(getComputedStyle(el).paddingTop)
                          + parseFloat(getComputedStyle(el).paddingBottom),
                        clipped: el.scrollWidth > el.clientWidth + 1 }))"""
    )
    assert any(label["text"] == "Мой день" for label in labels), labels
    for label in labels:
        assert not label["clipped"], labels
        assert label["height"] - label["padding"] < 1.5 * label["line"], labels  # one line
