"""Tasks: who may set them for whom, who sees them, repeating ones, and the tick's undo."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from kartoteka.activities import queries
from kartoteka.activities.models import Task
from kartoteka.activities.services import tasks as services
from kartoteka.core.errors import ConflictError, DomainError, NotFoundError, NothingToUndoError
from kartoteka.core.models import AuditEntry
from tests.activities.task_helpers import day, make_task
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


# --- Setting tasks, and for whom ---------------------------------------------------------------
def test_a_manager_sets_a_task_for_a_branch_colleague(personas: Personas) -> None:
    task = services.task_create(
        actor=personas.manager_a,
        values={
            "title": "Подготовить КП",
            "assignee": personas.colleague_a.pk,
            "due_date": "2026-12-03",
        },
    )
    assert task.owner == personas.colleague_a
    assert task.author == personas.manager_a
    assert task.branch == personas.branch_a
    assert task.due_date == day("2026-12-03")
    assert AuditEntry.objects.filter(object_id=task.pk, action=AuditEntry.Action.CREATE).exists()


def test_a_manager_may_not_set_a_task_for_another_branch(personas: Personas) -> None:
    before = Task.objects.count()
    with pytest.raises(DomainError) as raised:
        services.task_create(
            actor=personas.manager_a,
            values={"title": "Чужому филиалу", "assignee": personas.manager_b.pk},
        )
    assert "owner" in raised.value.fields
    assert Task.objects.count() == before


def test_a_marketer_sets_tasks_only_for_themself(personas: Personas) -> None:
    with pytest.raises(DomainError):
        services.task_create(
            actor=personas.marketer, values={"title": "Рассылка", "assignee": personas.manager_a}
        )
    own = services.task_create(actor=personas.marketer, values={"title": "Рассылка"})
    assert own.owner == personas.marketer


def test_the_author_sees_and_edits_a_delegated_task_the_assignee_too(personas: Personas) -> None:
    task = services.task_create(
        actor=personas.manager_a,
        values={"title": "Сверить счёт", "assignee": personas.colleague_a},
    )
    assert queries.tasks(personas.manager_a).filter(pk=task.pk).exists()
    assert queries.tasks(personas.colleague_a).filter(pk=task.pk).exists()
    # A teammate of the author, not involved, does not see it.
    assert not queries.tasks(personas.teammate_a).filter(pk=task.pk).exists()
    assert not queries.tasks(personas.manager_b).filter(pk=task.pk).exists()
    changed = services.task_update(
        actor=personas.manager_a, task=task, version=task.version, values={"priority": "high"}
    )
    assert changed.priority == "high"
    delegated = queries.task_list(
        personas.manager_a, tab="delegated", today=timezone.localdate(), assignee=None
    )
    assert list(delegated) == [task]


def test_a_hidden_client_cannot_be_linked(personas: Personas) -> None:
    from tests.factories.clients import CompanyFactory

    kazan = CompanyFactory(owner=personas.manager_b)
    with pytest.raises(DomainError) as raised:
        services.task_create(actor=personas.manager_a, values={"title": "x", "company": kazan.pk})
    assert raised.value.fields["company"]


def test_a_due_time_sets_the_due_day_in_the_local_zone(personas: Personas) -> None:
    late = datetime.datetime(2026, 12, 3, 23, 30, tzinfo=datetime.UTC)  # 02:30 on the 4th in Moscow
    task = services.task_create(actor=personas.manager_a, values={"title": "x", "due_at": late})
    assert task.due_date == day("2026-12-04")


# --- Repeating tasks ---------------------------------------------------------------------------
def _repeating(personas: Personas, rule: str, due: str, **extra: Any) -> Task:
    return services.task_create(
        actor=personas.manager_a,
        values={"title": "Отчёт", "due_date": due, "recurrence": rule, **extra},
    )


@pytest.mark.parametrize(
    ("preset", "due", "stored", "following"),
    [
        ("daily", "2026-12-31", "FREQ=DAILY", "2027-01-01"),
        ("weekly", "2026-12-02", "FREQ=WEEKLY;BYDAY=WE", "2026-12-09"),
        ("monthly", "2026-12-15", "FREQ=MONTHLY;BYMONTHDAY=15", "2027-01-15"),
        # On the 31st: the month's last day when it is shorter, and back to the 31st after.
        ("monthly", "2027-01-31", "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1", "2027-02-28"),
        ("monthly", "2028-01-31", "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1", "2028-02-29"),
        ("monthly", "2027-02-28", "FREQ=MONTHLY;BYMONTHDAY=28", "2027-03-28"),
    ],
)
def test_completing_a_repeating_task_sets_the_next_one(
    personas: Personas, preset: str, due: str, stored: str, following: str
) -> None:
    task = _repeating(personas, preset, due, checklist=[{"text": "Собрать цифры", "done": True}])
    assert task.recurrence == stored
    services.task_complete(actor=personas.manager_a, task=task)
    upcoming = Task.objects.get(follows=task)
    assert upcoming.due_date == day(following)
    assert upcoming.done_at is None
    assert upcoming.recurrence == stored
    assert upcoming.owner == task.owner and upcoming.author == task.author
    assert upcoming.checklist == [{"text": "Собрать цифры", "done": False}]


def test_monthly_on_the_31st_never_drifts(personas: Personas) -> None:
    task = _repeating(personas, "monthly", "2027-01-31")
    seen = []
    for _ in range(4):
        services.task_complete(actor=personas.manager_a, task=task)
        task = Task.objects.get(follows=task)
        seen.append(task.due_date.isoformat())
    assert seen == ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]


def test_a_raw_monthly_rule_follows_rfc_5545_and_skips_short_months(personas: Personas) -> None:
    task = _repeating(personas, "RRULE:freq=monthly", "2027-01-31")
    assert task.recurrence == "FREQ=MONTHLY"
    services.task_complete(actor=personas.manager_a, task=task)
    assert Task.objects.get(follows=task).due_date == day("2027-03-31")


def test_a_time_and_a_reminder_keep_their_place(personas: Personas) -> None:
    due = timezone.make_aware(datetime.datetime(2027, 3, 26, 10, 0))  # Friday 10:00 Moscow
    task = services.task_create(
        actor=personas.manager_a,
        values={
            "title": "Планёрка",
            "due_at": due,
            "remind_at": due - datetime.timedelta(minutes=15),
            "recurrence": "FREQ=WEEKLY;BYDAY=FR",
        },
    )
    services.task_complete(actor=personas.manager_a, task=task)
    upcoming = Task.objects.get(follows=task)
    assert timezone.localtime(upcoming.due_at).replace(tzinfo=None) == datetime.datetime(
        2027, 4, 2, 10, 0
    )
    assert upcoming.due_date == day("2027-04-02")
    assert upcoming.remind_at == upcoming.due_at - datetime.timedelta(minutes=15)


def test_count_and_until_end_the_series(personas: Personas) -> None:
    task = _repeating(personas, "FREQ=DAILY;COUNT=2", "2027-01-10")
    services.task_complete(actor=personas.manager_a, task=task)
    second = Task.objects.get(follows=task)
    assert second.recurrence == "FREQ=DAILY;COUNT=1"
    services.task_complete(actor=personas.manager_a, task=second)
    assert not Task.objects.filter(follows=second).exists()
    last = _repeating(personas, "FREQ=DAILY;UNTIL=20270110T200000Z", "2027-01-10")
    services.task_complete(actor=personas.manager_a, task=last)
    assert not Task.objects.filter(follows=last).exists()


@pytest.mark.parametrize(
    ("rule", "due", "field"),
    [
        ("FREQ=HOURLY", "2027-01-10", "recurrence"),
        ("каждый день", "2027-01-10", "recurrence"),
        ("FREQ=WEEKLY;BYDAY=XX", "2027-01-10", "recurrence"),
        ("FREQ=DAILY;DTSTART=20270101", "2027-01-10", "recurrence"),
        ("daily", None, "recurrence"),
    ],
)
def test_bad_rules_are_refused(personas: Personas, rule: str, due: str | None, field: str) -> None:
    with pytest.raises(DomainError) as raised:
        services.task_create(
            actor=personas.manager_a,
            values={"title": "x", "recurrence": rule, **({"due_date": due} if due else {})},
        )
    assert field in raised.value.fields
    assert not Task.objects.exists()


def test_the_next_occurrence_is_created_exactly_once(personas: Personas) -> None:
    task = _repeating(personas, "daily", "2027-01-10")
    services.task_complete(actor=personas.manager_a, task=task)
    services.task_complete(actor=personas.manager_a, task=task)  # a double click
    assert Task.objects.filter(follows=task).count() == 1
    # Undone: the untouched next one goes; done again: one new next one.
    services.task_reopen(actor=personas.manager_a, task=task)
    assert not Task.objects.filter(follows=task).exists()
    services.task_complete(actor=personas.manager_a, task=task)
    assert Task.objects.filter(follows=task).count() == 1
    assert Task.objects.filter(title="Отчёт").count() == 2


def test_a_changed_next_occurrence_survives_a_reopen(personas: Personas) -> None:
    task = _repeating(personas, "daily", "2027-01-10")
    services.task_complete(actor=personas.manager_a, task=task)
    upcoming = Task.objects.get(follows=task)
    services.task_update(
        actor=personas.manager_a, task=upcoming, version=1, values={"description": "начато"}
    )
    services.task_reopen(actor=personas.manager_a, task=task)
    services.task_complete(actor=personas.manager_a, task=task)
    assert list(Task.objects.filter(follows=task)) == [upcoming]


def test_a_failed_next_occurrence_leaves_the_task_open(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = _repeating(personas, "daily", "2027-01-10")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_create_next", broken)
    with pytest.raises(RuntimeError):
        services.task_complete(actor=personas.manager_a, task=task)
    task.refresh_from_db()
    assert task.done_at is None  # one transaction: done and the next one, or neither


# --- Done, and its undo ------------------------------------------------------------------------
def test_undo_of_done_reopens(personas: Personas) -> None:
    task = make_task(personas.manager_a)
    done = services.task_complete(actor=personas.manager_a, task=task)
    ticket = services.for_done(done)
    text = services.undo_done(personas.manager_a, ticket.data)
    task.refresh_from_db()
    assert task.done_at is None and task.done_by is None
    assert "Позвонить" in text
    with pytest.raises(NothingToUndoError):
        services.undo_done(personas.manager_a, ticket.data)


def test_undo_of_done_refuses_after_a_change(personas: Personas) -> None:
    task = make_task(personas.manager_a)
    done = services.task_complete(actor=personas.manager_a, task=task)
    ticket = services.for_done(done)
    services.task_update(
        actor=personas.manager_a, task=done, version=done.version, values={"title": "Иначе"}
    )
    with pytest.raises(ConflictError):
        services.undo_done(personas.manager_a, ticket.data)
    task.refresh_from_db()
    assert task.done_at is not None


def test_nobody_else_ticks_or_undoes(personas: Personas) -> None:
    task = make_task(personas.manager_a)
    with pytest.raises(NotFoundError):
        services.task_complete(actor=personas.manager_b, task=task)
    done = services.task_complete(actor=personas.manager_a, task=task)
    with pytest.raises(NotFoundError):
        services.undo_done(personas.manager_b, services.for_done(done).data)
    task.refresh_from_db()
    assert task.done_at is not None


# --- The checklist -----------------------------------------------------------------------------
def test_checklist_add_tick_remove(personas: Personas) -> None:
    task = make_task(personas.manager_a)
    task = services.checklist_change(
        actor=personas.manager_a, task=task, version=task.version, op="add", text=" Счёт "
    )
    task = services.checklist_change(
        actor=personas.manager_a, task=task, version=task.version, op="add", text="Акт"
    )
    task = services.checklist_change(
        actor=personas.manager_a, task=task, version=task.version, op="toggle", index=0
    )
    assert task.checklist == [{"text": "Счёт", "done": True}, {"text": "Акт", "done": False}]
    task = services.checklist_change(
        actor=personas.manager_a, task=task, version=task.version, op="remove", index=0
    )
    assert task.checklist == [{"text": "Акт", "done": False}]
    with pytest.raises(DomainError):
        services.checklist_change(
            actor=personas.manager_a, task=task, version=task.version, op="toggle", index=5
        )
    with pytest.raises(DomainError):
        services.checklist_change(
            actor=personas.manager_a, task=task, version=task.version, op="add", text="  "
        )
