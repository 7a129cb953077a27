"""The bell lights up without a reload when a reminder falls due (the sweep run by `jobs run`)."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from kartoteka import cli
from kartoteka.activities.services.tasks import task_create
from kartoteka.core.models import Notification
from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas

pytestmark = BROWSER_TEST


def test_a_task_reminder_lights_the_bell_up_without_a_reload(
    page: Page, personas: Personas
) -> None:
    manager = personas.manager_a
    remind_at = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=2)
    task = task_create(actor=manager, values={"title": "Позвонить Петрову", "remind_at": remind_at})
    log_in(page, manager.username)
    bell = page.locator("#bell")
    expect(bell).to_have_attribute("data-live", "on")  # the stream is open
    expect(bell.locator(".bell-count")).to_be_hidden()
    page.evaluate("window.stillTheSamePage = true")

    # The sweep runs (an operator's `jobs run`, as the worker does every minute) past the moment.
    assert cli.main(["jobs", "run", "--at", (remind_at + timedelta(minutes=1)).isoformat()]) == 0

    expect(bell.locator(".bell-count")).to_have_text("1")
    expect(bell).to_have_class(re.compile(r"\bhas-unread\b"))
    assert page.evaluate("window.stillTheSamePage") is True  # no reload happened

    bell.locator(".bell-button").click()
    item = page.locator("#bell-panel .bell-item.unread")
    expect(item).to_contain_text("Task: Позвонить Петрову")
    with page.expect_navigation():
        item.locator("button").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task.pk}/$"))
    expect(page.locator("#bell")).to_have_attribute("data-live", "on")
    expect(page.locator("#bell .bell-count")).to_be_hidden()
    assert Notification.objects.get(user=manager).read_at is not None


def test_mark_all_read_in_the_dropdown_keeps_the_page(page: Page, personas: Personas) -> None:
    from kartoteka.core import notifications

    manager = personas.manager_a
    for number in (1, 2):
        notifications.notify(
            user=manager, kind="task_reminder", title=f"Задача {number}", key=f"k{number}"
        )
    log_in(page, manager.username)
    bell = page.locator("#bell")
    expect(bell.locator(".bell-count")).to_have_text("2")
    page.evaluate("window.stillTheSamePage = true")
    bell.locator(".bell-button").click()
    expect(page.locator("#bell-panel .bell-item.unread")).to_have_count(2)
    page.locator("#bell-panel [data-read-all]").click()
    expect(bell.locator(".bell-count")).to_be_hidden()
    expect(page.locator("#bell-panel .bell-item.unread")).to_have_count(0)
    expect(page.locator("#bell-panel .bell-item")).to_have_count(2)
    assert page.evaluate("window.stillTheSamePage") is True
    assert notifications.unread_count(manager) == 0
    page.keyboard.press("Escape")
    expect(page.locator("#bell-panel")).to_be_hidden()
