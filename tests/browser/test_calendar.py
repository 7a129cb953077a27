"""The calendar in a real browser: drag a meeting in the week view, and the new time is saved."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from kartoteka.activities.models import CalendarEvent
from kartoteka.activities.services.events import event_create
from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas

pytestmark = BROWSER_TEST

MONDAY = datetime(2026, 11, 23)


def test_drag_a_meeting_in_the_week_view(page: Page, personas: Personas) -> None:
    start = timezone.make_aware(MONDAY + timedelta(days=1, hours=10))
    event = event_create(
        actor=personas.manager_a,
        values={
            "title": "Демо для «Альфы»",
            "starts_at": start,
            "ends_at": start + timedelta(hours=1),
            "participants": [personas.manager_a, personas.teammate_a],
        },
    )
    log_in(page, personas.manager_a.username)
    page.goto("/calendar/?view=week&date=2026-11-23")
    meeting = page.locator(".ec-event", has_text="Демо для «Альфы»")
    expect(meeting).to_contain_text("10:00")
    box = meeting.bounding_box()
    assert box is not None
    # A one-hour meeting is as tall as an hour: drag it down by twice that, to 12:00.
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    with page.expect_response(re.compile(r"/calendar/events/\d+/move/$")) as moved:
        page.mouse.move(x, y)
        page.mouse.down()
        for step in range(1, 11):
            page.mouse.move(x, y + box["height"] * 2 * step / 10)
        page.mouse.up()
    assert moved.value.status == 200
    expect(page.locator(".calendar-toasts .toast")).to_contain_text("Демо для «Альфы»")
    expect(page.locator(".calendar-toasts .toast-undo-button")).to_be_visible()

    event.refresh_from_db()
    assert event.starts_at == start + timedelta(hours=2)
    assert event.ends_at == start + timedelta(hours=3)
    page.reload()
    expect(page.locator(".ec-event", has_text="Демо для «Альфы»")).to_contain_text("12:00")


def test_a_stale_drag_snaps_back_with_a_message(page: Page, personas: Personas) -> None:
    start = timezone.make_aware(MONDAY + timedelta(days=2, hours=10))
    event = event_create(
        actor=personas.manager_a,
        values={"title": "Планёрка", "starts_at": start, "ends_at": start + timedelta(hours=1)},
    )
    log_in(page, personas.manager_a.username)
    page.goto("/calendar/?view=week&date=2026-11-23")
    meeting = page.locator(".ec-event", has_text="Планёрка")
    expect(meeting).to_contain_text("10:00")
    # Someone else moves it meanwhile: the page still has the old version.
    CalendarEvent.objects.filter(pk=event.pk).update(version=event.version + 1)
    box = meeting.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    with page.expect_response(re.compile(r"/calendar/events/\d+/move/$")) as moved:
        page.mouse.move(x, y)
        page.mouse.down()
        for step in range(1, 11):
            page.mouse.move(x, y + box["height"] * step / 10)
        page.mouse.up()
    assert moved.value.status == 409
    expect(page.locator(".calendar-toasts .toast-error")).to_be_visible()
    expect(page.locator(".ec-event", has_text="Планёрка")).to_contain_text("10:00")
    event.refresh_from_db()
    assert event.starts_at == start


def test_a_click_on_an_empty_slot_plans_a_meeting(page: Page, personas: Personas) -> None:
    log_in(page, personas.manager_a.username)
    page.goto("/calendar/?view=week&date=2026-11-23")
    expect(page.locator(".ec-body .ec-day.ec-thu")).to_be_visible()
    column = page.locator(".ec-body .ec-day.ec-thu").bounding_box()
    label = page.locator(".ec-slot time", has_text=re.compile(r"^14:00$")).first.bounding_box()
    assert column is not None and label is not None
    page.mouse.click(column["x"] + column["width"] / 2, label["y"] + label["height"] / 2 + 10)
    popover = page.locator("#calendar-popover")
    expect(popover.locator("form[data-quick-create]")).to_be_visible()
    expect(popover.locator("#id_starts_at")).to_have_value("2026-11-26T14:00")
    expect(popover.locator("#id_ends_at")).to_have_value("2026-11-26T15:00")
    popover.locator("#id_title").fill("Звонок «Бете»")
    with page.expect_response(re.compile(r"/calendar/events/new/\?quick=1$")) as saved:
        popover.locator("button[type=submit]").click()
    assert saved.value.status == 200
    expect(page.locator(".ec-event", has_text="Звонок «Бете»")).to_contain_text("14:00")
    event = CalendarEvent.objects.get(title="Звонок «Бете»")
    assert event.starts_at == timezone.make_aware(MONDAY + timedelta(days=3, hours=14))
    assert list(event.participants.all()) == [personas.manager_a]


def test_a_meeting_dropped_into_a_colleagues_column_changes_its_participant(
    page: Page, personas: Personas
) -> None:
    # Given: manager_a's meeting with a teammate; the team's day shows three columns.
    personas.team_a.members.add(personas.colleague_a)
    start = timezone.make_aware(MONDAY + timedelta(days=1, hours=10))
    event = event_create(
        actor=personas.manager_a,
        values={
            "title": "Демо для «Гаммы»",
            "starts_at": start,
            "ends_at": start + timedelta(hours=1),
            "participants": [personas.manager_a, personas.teammate_a],
        },
    )
    log_in(page, personas.manager_a.username)
    page.goto("/calendar/?view=day&date=2026-11-24&who=team")
    copies = page.locator(".ec-event", has_text="Демо для «Гаммы»")
    expect(copies).to_have_count(2)  # one in each participant's column

    def column(person: object) -> tuple[float, float]:
        box = page.locator(".ec-col-head", has_text=str(person)).bounding_box()
        assert box is not None
        return box["x"], box["x"] + box["width"]

    def copy_in(person: object) -> Any:
        left, right = column(person)
        for index in range(copies.count()):
            box = copies.nth(index).bounding_box()
            if box is not None and left <= box["x"] + box["width"] / 2 < right:
                return box
        return None

    # When: the teammate's copy is dragged into the colleague's column, at the same time.
    box = copy_in(personas.teammate_a)
    assert box is not None and copy_in(personas.colleague_a) is None
    left, right = column(personas.colleague_a)
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    target_x = (left + right) / 2
    with page.expect_response(re.compile(r"/calendar/events/\d+/move/$")) as moved:
        page.mouse.move(x, y)
        page.mouse.down()
        for step in range(1, 11):
            page.mouse.move(x + (target_x - x) * step / 10, y)
        page.mouse.up()
    # Then: saved, said, and after a reload the colleague's column has it, the teammate's not.
    assert moved.value.status == 200
    expect(page.locator(".calendar-toasts .toast")).to_contain_text(str(personas.colleague_a))
    event.refresh_from_db()
    assert set(event.participants.all()) == {personas.manager_a, personas.colleague_a}
    assert event.starts_at == start and event.version == 2
    page.reload()
    expect(copies).to_have_count(2)
    assert copy_in(personas.colleague_a) is not None
    assert copy_in(personas.teammate_a) is None
