"""A background job's progress bar follows the job in a real browser, and stops asking when done."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from kartoteka.clients.models import Company
from kartoteka.core.models import JobRun
from kartoteka.records.services.group_rules import group_rule_save
from tests.browser.pages import BROWSER_TEST, log_in, make_company
from tests.conftest import Personas

pytestmark = BROWSER_TEST


def test_the_progress_bar_follows_the_job_and_stops_polling_when_done(
    page: Page, personas: Personas
) -> None:
    job = JobRun.objects.create(
        kind="test", title="Перенос клиентов", started_by=personas.admin, state="running"
    )
    JobRun.objects.filter(pk=job.pk).update(done=1, total=4)
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and "favicon" not in message.location.get("url", ""):
            problems.append(message.text)

    page.on("console", console)
    polls: list[Any] = []
    page.on(
        "request", lambda request: polls.append(1) if f"/jobs/{job.pk}/" in request.url else None
    )
    log_in(page, personas.admin.username)

    page.goto(f"/jobs/{job.pk}/")
    bar = page.locator(f"#job-{job.pk} progress")
    expect(bar).to_have_attribute("value", "25")
    JobRun.objects.filter(pk=job.pk).update(done=3)
    expect(bar).to_have_attribute("value", "75")  # asked again by itself
    JobRun.objects.filter(pk=job.pk).update(state="done", done=4, message="Готово: 4 из 4.")
    expect(page.locator(f"#job-{job.pk}")).to_contain_text("Готово: 4 из 4.")
    expect(bar).to_have_attribute("value", "100")
    asked = len(polls)
    page.wait_for_timeout(2_500)
    assert len(polls) == asked, "a finished job is still polled"
    assert problems == []  # no script refused by the content security policy, no htmx error


def test_applying_a_rule_to_existing_clients_shows_its_result(
    page: Page, personas: Personas
) -> None:
    volga = group_rule_save(
        actor=personas.admin,
        rule=None,
        values={
            "name": "Поволжье",
            "entity": "companies",
            "field": "city",
            "operator": "equals",
            "value": "Казань",
            "effect": "add_tag",
            "tag": "Поволжье",
        },
    )
    for name in ("ООО «Казань-1»", "ООО «Казань-2»"):
        make_company(owner=personas.admin, name=name, city="Казань")
    log_in(page, personas.admin.username)

    page.goto(f"/settings/group-rules/{volga.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply to existing clients now").click()
    expect(page).to_have_url(re.compile(rf"/settings/group-rules/{volga.pk}/\?job=\d+"))
    expect(page.locator(".job-progress")).to_contain_text("The rule changed 2 clients.")
    assert Company.objects.filter(tags__name="Поволжье").count() == 2
