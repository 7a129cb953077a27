"""What a meeting shows in the week view: its text fits its box at every length."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kartoteka.activities.services.events import event_create
from kartoteka.clients.services.companies import company_create
from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas

pytestmark = [*BROWSER_TEST, pytest.mark.layout]

TUESDAY = datetime(2026, 11, 24)


def test_short_and_hour_long_meetings_show_no_half_cut_lines(
    page: Page, personas: Personas
) -> None:
    manager = personas.manager_a
    client = company_create(actor=manager, values={"name": "ООО «Длинное название клиента»"})
    title = "Переговоры по годовому контракту на поставку"
    for hour, minutes in ((9, 30), (11, 60), (14, 120)):
        start = timezone.make_aware(TUESDAY + timedelta(hours=hour))
        event_create(
            actor=manager,
            values={
                "title": f"{title} ({minutes})",
                "starts_at": start,
                "ends_at": start + timedelta(minutes=minutes),
                "company": client.pk,
            },
        )
    log_in(page, manager.username)
    page.goto("/calendar/?view=week&date=2026-11-23")
    for minutes, start in ((30, "09:00"), (60, "11:00"), (120, "14:00")):
        meeting = page.locator(".ec-event", has_text=f"({minutes})")
        expect(meeting).to_contain_text(start)
        # Up to an hour the start and the title share the first line (what does not fit ends
        # in "…"); the whole text is in the tooltip.
        time_box = meeting.locator(".kt-time").bounding_box()
        title_box = meeting.locator(".kt-title").bounding_box()
        assert time_box is not None and title_box is not None
        if minutes <= 60:
            assert abs(time_box["y"] - title_box["y"]) < 4, (minutes, time_box, title_box)
        assert title in (meeting.get_attribute("title") or "")
        # No line of text runs below the meeting's box (a line shown half cut off).
        overflow = meeting.evaluate(
            """el => {
                const bottom = el.getBoundingClientRect().bottom;
                return [...el.querySelectorAll('.kt-time, .kt-title, .kt-event-client')]
                    .filter(part => part.offsetParent !== null)
                    .map(part => part.getBoundingClientRect().bottom - bottom)
                    .filter(below => below > 1);
            }"""
        )
        assert overflow == [], (minutes, overflow)


def test_on_a_phone_the_calendar_opens_on_the_weeks_list_and_fits(
    page: Page, personas: Personas
) -> None:
    manager = personas.manager_a
    start = timezone.make_aware(TUESDAY + timedelta(hours=10))
    event_create(
        actor=manager,
        values={
            "title": "Переговоры по годовому контракту на поставку бумаги и картриджей",
            "starts_at": start,
            "ends_at": start + timedelta(hours=1),
        },
    )
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, manager.username)
    page.goto("/calendar/?date=2026-11-23")
    expect(page.locator(".ec-list")).to_be_visible()
    expect(page.locator(".ec-event", has_text="картриджей")).to_be_visible()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " document.querySelector('.ec-main').scrollWidth,"
        " document.querySelector('.ec-main').clientWidth]"
    )
    assert widths[0] <= 390 and widths[1] <= widths[2], widths
    # A view asked for by name is kept, on a phone too.
    page.goto("/calendar/?view=week&date=2026-11-23")
    expect(page.locator(".ec-time-grid, .ec-week-view").first).to_be_visible()
    expect(page.locator(".ec-list")).to_have_count(0)
