"""“My day”: the buckets at a controlled moment, today's meetings, the team view, and bounded
queries for every persona."""

from __future__ import annotations

import datetime
import re
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.template.backends.utils import csrf_input
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from kartoteka.accounts.models import User
from kartoteka.activities import task_rows
from kartoteka.activities.models import CalendarEvent, EventParticipant, Task
from kartoteka.home.day import my_day
from tests.activities.task_helpers import make_task
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db

#: Tuesday 1 December 2026, 23:30 in Moscow (20:30 UTC): late, so a UTC date would be wrong
NOW = datetime.datetime(2026, 12, 1, 20, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 12, 1)


def _titles(day: Any, key: str) -> list[str]:
    found = [bucket for bucket in day.buckets if bucket.key == key]
    return [task.title for task in found[0].tasks] if found else []


def _at(days: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=days)


def test_buckets_at_a_controlled_moment(personas: Personas) -> None:
    me = personas.manager_a
    make_task(me, "Позавчерашняя", due_date=_at(-2))
    make_task(me, "Вчерашняя", due_date=_at(-1))
    make_task(
        me,
        "Сегодня в 10",
        due_date=TODAY,
        due_at=timezone.make_aware(datetime.datetime(2026, 12, 1, 10)),
    )
    make_task(me, "Сегодня", due_date=TODAY)
    make_task(me, "Через неделю", due_date=_at(7))
    make_task(me, "Через восемь дней", due_date=_at(8))
    make_task(me, "Без даты")
    make_task(me, "Сделанная вчерашняя", due_date=_at(-1), done_at=NOW)
    make_task(personas.colleague_a, "Коллеги", due_date=TODAY, author=me)
    day = my_day(me, NOW)
    assert day.today == TODAY
    assert _titles(day, "overdue") == ["Позавчерашняя", "Вчерашняя"]
    assert _titles(day, "today") == ["Сегодня", "Сегодня в 10"]  # the whole day before the timed
    assert _titles(day, "upcoming") == ["Через неделю"]
    assert [bucket.count for bucket in day.buckets] == [2, 2, 1]
    assert not day.head
    # A day later, yesterday's "today" is overdue.
    tomorrow = my_day(me, NOW + datetime.timedelta(days=1))
    assert _titles(tomorrow, "overdue") == ["Позавчерашняя", "Вчерашняя", "Сегодня", "Сегодня в 10"]


def test_todays_meetings_are_those_one_takes_part_in(personas: Personas) -> None:
    me = personas.manager_a

    def meeting(title: str, owner: Any, start: datetime.datetime, *people: Any) -> None:
        event = CalendarEvent.objects.create(
            title=title,
            owner=owner,
            branch=owner.branch,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=1),
        )
        for person in people:
            EventParticipant.objects.create(event=event, user=person)

    local = timezone.get_current_timezone()
    meeting("Моя", me, datetime.datetime(2026, 12, 1, 10, tzinfo=local))
    meeting("Позвали", personas.colleague_a, datetime.datetime(2026, 12, 1, 9, tzinfo=local), me)
    meeting("Не меня", personas.colleague_a, datetime.datetime(2026, 12, 1, 11, tzinfo=local))
    meeting("Завтра", me, datetime.datetime(2026, 12, 2, 10, tzinfo=local))
    assert [event.title for event in my_day(me, NOW).meetings] == ["Позвали", "Моя"]


def test_a_head_sees_overdue_per_person(personas: Personas) -> None:
    for _ in range(3):
        make_task(personas.manager_a, "А", due_date=_at(-1))
    make_task(personas.colleague_a, "К", due_date=_at(-5))
    make_task(personas.colleague_a, "К сегодня", due_date=TODAY)
    make_task(personas.manager_b, "Казань", due_date=_at(-1))
    team = my_day(personas.branch_head_a, NOW, team=True)
    assert team.head
    assert [(person.username, count, oldest) for person, count, oldest in team.team] == [
        ("manager_a", 3, _at(-1)),
        ("colleague_a", 1, _at(-5)),
    ]
    everyone = my_day(personas.head, NOW, team=True)
    assert {person.username for person, _count, _oldest in everyone.team} == {
        "manager_a",
        "colleague_a",
        "manager_b",
    }
    # A manager has no team view: asking for it gives their own day.
    own = my_day(personas.manager_a, NOW, team=True)
    assert not own.head and not own.team and own.buckets


def test_the_page_keeps_the_heading_and_the_toggle(personas: Personas, login: Any) -> None:
    make_task(personas.branch_head_a, "Моя задача", due_date=TODAY)
    User.objects.filter(pk=personas.branch_head_a.pk).update(language="ru")
    client: Client = login(personas.branch_head_a)
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        page = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        team = client.get("/?view=team").content.decode()
    assert "Мой день · вторник, 1 декабря" in page
    assert "Моя задача" in page and 'href="?view=team"' in page
    assert 'id="team-overdue"' in team
    manager = login(personas.manager_a).get("/").content.decode()
    assert 'href="?view=team"' not in manager


#: Tuesday 1 December 2026, noon in Moscow: "in an hour" and "in three hours" are still today
NOON = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


def _row(page: str, task: Task) -> str:
    start = page.index(f'data-task-row data-id="{task.pk}"')
    return page[start : page.index("</li>", start)]


def _without_csrf_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', html)


def test_each_row_links_its_task_and_says_it_in_the_readers_language(
    personas: Personas, login: Any
) -> None:
    """The rows' links, labels and dates are worked out in Python (home/day.py): each still
    points at its own task, is escaped, dated per bucket, and in Russian."""
    me, colleague = personas.manager_a, personas.colleague_a
    User.objects.filter(pk=me.pk).update(language="ru")
    company = CompanyFactory(owner=me, name="ООО «Ромашка & Ко»")
    contact = ContactFactory(owner=me, last_name="Петров", first_name="Пётр")
    kazan = CompanyFactory(owner=personas.manager_b)  # another branch's: not the reader's to see
    late = make_task(
        me,
        'Счёт <b>"срочно"</b>',
        due_date=_at(-2),
        company=company,
        contact=contact,
        author=colleague,
        priority=Task.Priority.HIGH,
    )
    timed = make_task(
        me,
        "Позвонить",
        due_date=TODAY,
        due_at=timezone.make_aware(datetime.datetime(2026, 12, 1, 15)),
        company=kazan,
    )
    later = make_task(me, "Отправить КП", due_date=_at(6), contact=contact)
    client: Client = login(me)
    with mock.patch("django.utils.timezone.now", return_value=NOON):
        response = client.get("/")
    page = response.content.decode()
    title = escape(late.title)
    assert "&lt;b&gt;&quot;срочно&quot;&lt;/b&gt;" in title

    row = _row(page, late)
    detail = reverse("activities:task-detail", args=[late.pk])
    assert f'<a class="task-title" href="{detail}" title="{title}">{title}</a>' in row
    assert (
        '<span class="task-meta"><span class="badge priority-high" title="Высокий приоритет">!'
        f"</span> ООО «Ромашка &amp; Ко» · Петров Пётр · Поставил(а): {escape(colleague)}</span>"
    ) in row
    assert '<span class="task-due is-overdue nowrap" title="29.11.2026">29.11</span>' in row
    assert f'aria-label="Отметить выполненной: {title}"' in row
    assert f'aria-label="Отложить: {title}">Отложить</summary>' in row
    snooze = reverse("activities:task-snooze", args=[late.pk])
    assert f'<form method="post" action="{snooze}" data-task-snooze' in row
    assert f'<input type="hidden" name="version" value="{late.version}">' in row
    assert (
        '<button type="submit" name="choice" value="tomorrow">Завтра '
        '<span class="muted small">Ср, 02.12</span></button>'
    ) in row
    # The tick is the task list's, for an open task (activities/task_rows.py makes both).
    listed = task_rows.rows(
        [late],
        task_rows.Page(
            today=late.due_date,
            done_tab=False,
            show_assignee=False,
            next_url=reverse("home"),
            csrf_input=csrf_input(response.wsgi_request),
        ),
    )[0]
    found = re.search(
        r'<form method="post" action="[^"]+" class="inline task-tick.*?</form>', listed
    )
    assert found is not None
    tick = found.group(0)
    assert _without_csrf_tokens(tick.strip()) in _without_csrf_tokens(row)

    row = _row(page, timed)
    assert '<span class="task-meta"></span>' in row  # Kazan's company is not named
    assert '<span class="task-due nowrap">15:00</span>' in row
    assert 'value="hour">Через 1 час <span class="muted small">13:00</span>' in row
    assert 'value="monday">В понедельник <span class="muted small">Пн, 07.12 15:00</span>' in row

    row = _row(page, later)
    assert f'href="{reverse("activities:task-detail", args=[later.pk])}"' in row
    assert '<span class="task-meta">Петров Пётр</span>' in row
    assert '<span class="task-due nowrap">Пн, 07.12</span>' in row
    assert "task-snooze" not in row  # the next days' tasks are already later


def _grow(personas: Personas, rows: int) -> None:
    """``rows`` tasks in every bucket for manager_a and for Kazan, linked to clients, and
    meetings with participants."""
    local = timezone.get_current_timezone()
    for owner, other in (
        (personas.manager_a, personas.manager_b),
        (personas.manager_b, personas.manager_a),
    ):
        company = CompanyFactory(owner=owner)
        for index in range(rows):
            for offset in (-3, 0, 3):
                make_task(
                    owner, f"Задача {index}", due_date=_at(offset), company=company, author=other
                )
            event = CalendarEvent.objects.create(
                title=f"Встреча {index}",
                owner=owner,
                branch=owner.branch,
                starts_at=datetime.datetime(2026, 12, 1, 9, tzinfo=local),
                ends_at=datetime.datetime(2026, 12, 1, 10, tzinfo=local),
            )
            EventParticipant.objects.create(event=event, user=other)


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    assert status == 200 or (status == 404 and url == "/tasks/new/")  # the auditor sets none
    return len(captured.captured_queries)


PERSONAS = ("admin", "head", "branch_head_a", "manager_a", "service_a", "marketer", "auditor")
URLS = (
    "/",
    "/?fragment=tasks",
    "/?view=team",
    "/tasks/",
    "/tasks/?tab=overdue&assignee=all",
    "/tasks/?tab=delegated",
    "/tasks/?tab=done",
    "/tasks/new/",
    "/tasks/{task}/",
)


@pytest.mark.parametrize("persona", PERSONAS)
def test_queries_do_not_grow_with_data(persona: str, personas: Personas) -> None:
    user = getattr(personas, persona)
    task = make_task(user, "Своя", due_date=TODAY, checklist=[{"text": "a", "done": False}])
    client = Client()
    client.force_login(user)
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        _grow(personas, 2)
        small = {url: _queries(client, url.format(task=task.pk)) for url in URLS}
        _grow(personas, 40)
        large = {url: _queries(client, url.format(task=task.pk)) for url in URLS}
    grown = {url: (small[url], large[url]) for url in URLS if large[url] > small[url]}
    assert not grown, f"{persona}: queries at few rows vs many: {grown}"
    assert max(large.values()) <= 30, large
