"""A manager logs a call with a next step from a company's card and sees both on its timeline."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kartoteka.activities.models import Activity, Task
from tests.browser.pages import BROWSER_TEST, log_in
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

pytestmark = BROWSER_TEST


def test_log_a_call_with_a_next_step_from_the_card(page: Page, personas: Personas) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager, name="ООО «Звонкая»")
    ContactFactory(owner=manager, company=company, last_name="Трубкин", first_name="Пётр")
    log_in(page, manager.username)
    page.goto(f"/companies/{company.pk}/")

    # First click: "Call" in the card's header opens the timeline with the call form.
    page.locator(".card-log").get_by_role("link", name=re.compile("^(Log call|Звонок)$")).click()
    form = page.locator("form[data-log-form=call]")
    expect(form).to_be_visible()
    timeline_tab = page.get_by_role("tab", name=re.compile("Timeline|Хронология"))
    expect(timeline_tab).to_have_attribute("aria-selected", "true")
    expect(form.locator("select[name=outcome]")).to_be_focused()  # type right away

    form.locator("select[name=contact]").select_option(label="Трубкин Пётр")
    form.locator("select[name=outcome]").select_option("reached")
    form.locator("input[name=duration]").fill("4:30")
    form.locator("textarea[name=body]").fill("Ждут коммерческое предложение")
    form.locator("input[name=next_title]").fill("Отправить КП")
    form.locator("input[name=next_due_date]").fill("2026-11-24")
    form.locator("input[name=next_due_time]").fill("10:00")
    # Second click: saved, and the card comes back on the timeline with both.
    with page.expect_navigation():
        form.get_by_role("button", name=re.compile("^(Save|Сохранить)$")).click()
    expect(page).to_have_url(re.compile(rf"/companies/{company.pk}/\?tab=timeline$"))
    history = page.locator("#timeline .timeline-items")
    call = history.locator(".tl-call").first
    expect(call).to_contain_text("Ждут коммерческое предложение")
    expect(call).to_contain_text(re.compile("4 min 30 s|4 мин 30 с"))
    expect(call).to_contain_text("Трубкин")
    expect(call.locator(".tl-next")).to_contain_text("Отправить КП")
    expect(page.locator(".timeline-planned")).to_contain_text("Отправить КП")
    expect(page.locator(".timeline-planned")).to_contain_text("24.11.2026 10:00")
    expect(page.locator(".toast")).to_contain_text("Отправить КП")

    activity = Activity.objects.get(company=company)
    task = Task.objects.get(activity=activity)
    assert (activity.type, activity.outcome, activity.duration) == ("call", "reached", 270)
    assert task.company == company and task.owner == manager and task.contact == activity.contact


def test_a_refused_inquiry_asks_for_its_reason_in_place(page: Page, personas: Personas) -> None:
    from kartoteka.activities.models import RefusalReason

    RefusalReason.objects.create(name="Дорого")
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Спрос»")
    log_in(page, personas.manager_a.username)
    page.goto(f"/companies/{company.pk}/?tab=timeline")
    page.locator("#timeline .log-buttons").get_by_role(
        "link", name=re.compile("^(Log inquiry|Запрос)$")
    ).click()
    form = page.locator("form[data-log-form=inquiry]")
    reason = form.locator(".log-reason")
    expect(reason).to_be_hidden()  # shown only for a refusal
    form.locator("input[name=product_text]").fill("Чёрный крем для обуви")
    form.locator("select[name=outcome]").select_option("refused")
    expect(reason).to_be_visible()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.get_by_role("button", name=re.compile("^(Save|Сохранить)$")).click()
    assert posted.value.status == 422
    form = page.locator("form[data-log-form=inquiry]")
    expect(form.locator(".log-reason .error")).to_be_visible()
    expect(form.locator("input[name=product_text]")).to_have_value("Чёрный крем для обуви")
    form.locator("select[name=reason]").select_option(label="Дорого")
    with page.expect_navigation():
        form.get_by_role("button", name=re.compile("^(Save|Сохранить)$")).click()
    expect(page.locator("#timeline .tl-inquiry").first).to_contain_text("Дорого")
