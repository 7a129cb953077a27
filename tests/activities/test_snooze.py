"""“Snooze” on My day: the choices at a controlled moment, the service (version, access, the
reminder moving with the due date), the API's PATCH of a due date, and the page's endpoint."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kartoteka.activities.models import Task
from kartoteka.activities.services.tasks import snooze_choices, task_snooze
from kartoteka.core.errors import ConflictError, DomainError, NotFoundError
from kartoteka.core.models import AuditEntry
from tests.activities.task_helpers import make_task
from tests.conftest import Personas

pytestmark = pytest.mark.django_db

#: Tuesday 1 December 2026, 11:00 in Moscow
NOW = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 12, 1)


def local(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment of December 2026 in the site's time zone (Europe/Moscow)."""
    return timezone.make_aware(datetime.datetime(2026, 12, day, hour, minute))


def timed(owner: Any, title: str = "Позвонить Петрову", **extra: Any) -> Task:
    """A task due today at 10:00 (an hour ago at :data:`NOW`), reminded at 09:45."""
    values = {"due_date": TODAY, "due_at": local(1, 10), "remind_at": local(1, 9, 45), **extra}
    return make_task(owner, title, **values)


def test_the_choices_at_a_controlled_moment(personas: Personas) -> None:
    task = timed(personas.manager_a)
    assert snooze_choices(task, NOW) == {
        "hour": (TODAY, local(1, 12)),
        "three_hours": (TODAY, local(1, 14)),
        "tomorrow": (datetime.date(2026, 12, 2), local(2, 10)),
        "monday": (datetime.date(2026, 12, 7), local(7, 10)),
    }
    # Late in the evening three hours is no longer today; a task without a time has days only.
    late = local(1, 22, 30)
    assert set(snooze_choices(task, late)) == {"hour", "tomorrow", "monday"}
    untimed = make_task(personas.manager_a, "Без времени", due_date=TODAY)
    assert snooze_choices(untimed, NOW) == {
        "tomorrow": (datetime.date(2026, 12, 2), None),
        "monday": (datetime.date(2026, 12, 7), None),
    }
    # On a Sunday, tomorrow is next Monday: offered once.
    sunday = local(6, 12)
    assert set(snooze_choices(task, sunday)) == {"hour", "three_hours", "tomorrow"}


def test_snoozing_moves_the_due_date_and_the_reminder_alike(personas: Personas) -> None:
    task = timed(personas.manager_a)
    moved = task_snooze(
        actor=personas.manager_a, task=task, version=task.version, choice="tomorrow", now=NOW
    )
    task.refresh_from_db()
    assert (task.due_date, task.due_at) == (datetime.date(2026, 12, 2), local(2, 10))
    assert task.remind_at == local(2, 9, 45)  # still a quarter of an hour before
    assert moved.version == task.version == 2
    entry = AuditEntry.objects.get(object_id=task.pk, action=AuditEntry.Action.UPDATE)
    assert set(entry.changes) == {"due_date", "due_at", "remind_at"}
    # A reminder whose moved moment has passed rings now rather than never.
    early = timed(
        personas.manager_a, "Заранее", remind_at=local(1, 10) - datetime.timedelta(days=3)
    )
    task_snooze(actor=personas.manager_a, task=early, version=1, choice="hour", now=NOW)
    early.refresh_from_db()
    assert early.due_at == local(1, 12) and early.remind_at == NOW


def test_a_stale_foreign_done_or_unknown_snooze_changes_nothing(personas: Personas) -> None:
    task = timed(personas.manager_a)
    done = timed(personas.manager_a, "Сделано", done_at=NOW)

    def unchanged(row: Task) -> None:
        fresh = Task.objects.get(pk=row.pk)
        assert (fresh.version, fresh.due_at, fresh.remind_at) == (1, local(1, 10), local(1, 9, 45))

    with pytest.raises(ConflictError):
        task_snooze(actor=personas.manager_a, task=task, version=7, choice="tomorrow", now=NOW)
    with pytest.raises(NotFoundError):  # a colleague may see it (a branch head) or not: no edit
        task_snooze(actor=personas.teammate_a, task=task, version=1, choice="tomorrow", now=NOW)
    with pytest.raises(DomainError):
        task_snooze(actor=personas.manager_a, task=task, version=1, choice="someday", now=NOW)
    with pytest.raises(DomainError):
        task_snooze(actor=personas.manager_a, task=done, version=1, choice="tomorrow", now=NOW)
    unchanged(task)
    unchanged(done)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()


def test_the_api_patch_of_a_due_date_moves_the_reminder(personas: Personas, api: Any) -> None:
    task = timed(personas.manager_a)
    client = api(personas.manager_a)
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        response = client.patch(
            f"/api/v1/tasks/{task.pk}/",
            {"due_at": local(3, 16).isoformat(), "version": 1},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["remind_at"] == local(3, 15, 45).isoformat()
        # Given a reminder of its own, the PATCH sets that one.
        response = client.patch(
            f"/api/v1/tasks/{task.pk}/",
            {"due_date": "2026-12-04", "remind_at": local(4, 8).isoformat(), "version": 2},
            format="json",
        )
    task.refresh_from_db()
    assert task.due_at is None and task.remind_at == local(4, 8)


def _snooze(client: Client, task: Task, choice: str, version: int | None = None) -> Any:
    return client.post(
        f"/tasks/{task.pk}/snooze/",
        {"choice": choice, "version": task.version if version is None else version, "next": "/"},
        HTTP_ACCEPT="application/json",
    )


def test_the_page_offers_snooze_and_the_endpoint_answers_with_an_undo_toast(
    personas: Personas, login: Any
) -> None:
    task = timed(personas.manager_a)
    later = make_task(personas.manager_a, "Через три дня", due_date=datetime.date(2026, 12, 4))
    client = login(personas.manager_a)
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        page = client.get("/").content.decode()
        assert f'action="/tasks/{task.pk}/snooze/"' in page
        assert f'action="/tasks/{later.pk}/snooze/"' not in page  # already later
        assert 'value="three_hours"' in page and "14:00" in page
        response = _snooze(client, task, "three_hours")
        assert response.status_code == 200, response.content
        toast = response.json()["toast"]
        assert "Позвонить Петрову" in toast and "01.12 14:00" in toast and "/undo/" in toast
        fragment = client.get("/?fragment=tasks").content.decode()
        assert fragment.startswith('<div id="day-tasks">') and "<html" not in fragment
        # Undo puts the due date and the reminder back.
        token = toast.split('action="/undo/')[1].split("/")[0]
        client.post(f"/undo/{token}/", {"next": "/"})
    task.refresh_from_db()
    assert (task.due_at, task.remind_at) == (local(1, 10), local(1, 9, 45))


def test_the_endpoint_refuses_what_the_service_refuses(personas: Personas, login: Any) -> None:
    task = timed(personas.manager_a)
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        stale = _snooze(login(personas.manager_a), task, "tomorrow", version=5)
        assert stale.status_code == 409 and "reload" in stale.json()["error"]
        assert _snooze(login(personas.teammate_a), task, "tomorrow").status_code == 404
        # Without scripts: back to the page, with the toast.
        plain = login(personas.manager_a).post(
            f"/tasks/{task.pk}/snooze/", {"choice": "tomorrow", "version": 1, "next": "/"}
        )
        assert plain.status_code == 302 and plain["Location"] == "/"
    task.refresh_from_db()
    assert task.due_date == datetime.date(2026, 12, 2) and task.version == 2


def _count(client: Client, task: Task) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert _snooze(client, task, "tomorrow").status_code == 200
    return len(captured.captured_queries)


def test_a_snooze_costs_the_same_queries_however_many_tasks(personas: Personas, login: Any) -> None:
    client = login(personas.manager_a)
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        _count(client, timed(personas.manager_a))  # warm per-process caches
        few = _count(client, timed(personas.manager_a))
        for index in range(40):
            timed(personas.manager_a, f"Задача {index}")
        many = _count(client, timed(personas.manager_a))
    assert many == few and many <= 30
