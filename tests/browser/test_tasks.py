"""A manager sets a task from the task page, ticks it done on "My day" and takes it back from
the toast; the tick shows at once, before the server answers."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from kartoteka.accounts.models import User
from kartoteka.activities.models import Task
from tests.browser.pages import BROWSER_TEST, log_in, make_company
from tests.conftest import Personas

pytestmark = BROWSER_TEST


def test_create_a_task_tick_it_on_my_day_and_undo(page: Page, personas: Personas) -> None:
    User.objects.filter(pk=personas.manager_a.pk).update(language="ru")
    make_company(owner=personas.manager_a, name="ООО «Ромашка»")
    log_in(page, personas.manager_a.username)

    page.goto("/tasks/")
    with page.expect_navigation():
        page.get_by_role("link", name="+ Задача").first.click()
    expect(page).to_have_url(re.compile(r"/tasks/new/$"))
    page.locator("#id_title").fill("Отправить КП «Ромашке»")
    # The due date is today already; the client is found by typing in its picker.
    page.locator("#id_company-ts-control").fill("Ромаш")
    page.locator(".ts-dropdown .option", has_text="Ромашка").first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Поставить задачу").click()
    task = Task.objects.get(title="Отправить КП «Ромашке»")
    assert task.due_date == timezone.localdate() and task.company is not None
    expect(page).to_have_url(re.compile(rf"/tasks/{task.pk}/$"))

    page.goto("/")
    expect(page.locator("h1")).to_contain_text("Мой день · ")
    row = page.locator("#bucket-today [data-task-row]", has_text="Отправить КП")
    tick = row.get_by_role("checkbox")
    expect(tick).to_have_attribute("aria-checked", "false")
    # Hold the server's answer: the row must look done before it comes.
    answers: list[object] = []
    page.route(f"**/tasks/{task.pk}/done/", lambda route: answers.append(route))
    tick.click()
    expect(row).to_have_class(re.compile(r"\bis-done\b"))
    expect(tick).to_have_attribute("aria-checked", "true")
    deadline = time.monotonic() + 5
    while not answers and time.monotonic() < deadline:
        page.evaluate("0")  # lets Playwright run the route handler; bounded, no sleep
    assert answers, "the tick sent no request"
    answers[0].continue_()  # type: ignore[attr-defined]
    toast = page.locator(".toast-undo", has_text="Отправить КП")
    expect(toast).to_be_visible()
    task.refresh_from_db()
    assert task.done_at is not None

    with page.expect_navigation():
        toast.get_by_role("button", name="Отменить").click()
    task.refresh_from_db()
    assert task.done_at is None
    expect(page).to_have_url(re.compile(r"/$"))
    row = page.locator("#bucket-today [data-task-row]", has_text="Отправить КП")
    expect(row.get_by_role("checkbox")).to_have_attribute("aria-checked", "false")
    expect(page.locator(".toast")).to_contain_text("снова открыта")


def test_a_refused_tick_is_put_back(page: Page, personas: Personas) -> None:
    task = Task.objects.create(
        owner=personas.manager_a,
        author=personas.manager_a,
        branch=personas.branch_a,
        title="Не получится",
        due_date=timezone.localdate(),
    )
    log_in(page, personas.manager_a.username)
    page.goto("/")
    row = page.locator("[data-task-row]", has_text="Не получится")
    page.route(
        f"**/tasks/{task.pk}/done/",
        lambda route: route.fulfill(status=409, json={"error": "Changed meanwhile"}),
    )
    row.get_by_role("checkbox").click()
    expect(page.locator(".toast-error")).to_contain_text("Changed meanwhile")
    expect(row.get_by_role("checkbox")).to_have_attribute("aria-checked", "false")
    expect(row).not_to_have_class(re.compile(r"\bis-done\b"))


def test_snooze_moves_a_task_from_today_to_upcoming_without_a_reload(
    page: Page, personas: Personas
) -> None:
    # Given: a task due today (no time: the menu offers days) and one for the day after.
    today = timezone.localdate()
    task = Task.objects.create(
        owner=personas.manager_a,
        author=personas.manager_a,
        branch=personas.manager_a.branch,
        title="Перезвонить «Альфе»",
        due_date=today,
    )
    log_in(page, personas.manager_a.username)
    page.goto("/")
    row = page.locator("#bucket-today [data-task-row]", has_text="Перезвонить «Альфе»")
    expect(row).to_be_visible()
    page.evaluate("window.__samePage = true")  # gone if the page were loaded again
    # When: Snooze → Tomorrow.
    row.locator("summary", has_text=re.compile(r"Snooze|Отложить")).click()
    with page.expect_response(re.compile(rf"/tasks/{task.pk}/snooze/$")) as answer:
        row.get_by_role("button", name=re.compile(r"^(Tomorrow|Завтра)")).click()
    assert answer.value.status == 200
    # Then: it is gone from "Today" and listed under the next days, with an undo toast.
    upcoming = page.locator("#bucket-upcoming [data-task-row]", has_text="Перезвонить «Альфе»")
    expect(upcoming).to_be_visible()
    expect(page.locator("#bucket-today [data-task-row]", has_text="Перезвонить")).to_have_count(0)
    expect(page.locator(".toasts .toast-undo")).to_contain_text("Перезвонить «Альфе»")
    assert page.evaluate("window.__samePage") is True
    task.refresh_from_db()
    assert task.due_date == today + timedelta(days=1) and task.version == 2
