"""A snoozed task reminds again at its new moment: exactly once, in the bell and by mail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from kartoteka.activities import reminders
from kartoteka.activities.models import Task
from kartoteka.activities.services.tasks import task_snooze
from kartoteka.core import clock
from kartoteka.core.models import Delivery, Notification
from tests.conftest import Personas
from tests.reminders.conftest import Sink

pytestmark = pytest.mark.django_db


def sweep_at(when: datetime, capture: Any) -> reminders.Swept:
    with capture(execute=True), clock.at(when):
        return reminders.sweep()


def test_a_delivered_reminder_is_planned_again_once_at_the_snoozed_moment(
    personas: Personas, mail_to_smtp: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    # Given: a task due in an hour (on the minute), reminded a quarter of an hour before; the
    # reminder has rung (bell and mail).
    due = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=1)
    task = Task.objects.create(
        owner=personas.manager_a,
        author=personas.manager_a,
        branch=personas.manager_a.branch,
        title="Позвонить Петрову",
        due_at=due,
        due_date=timezone.localdate(due),
        remind_at=due - timedelta(minutes=15),
    )
    first = due - timedelta(minutes=14)
    sweep_at(first, django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 1 and len(mail_to_smtp.messages) == 1

    # When: at the due moment it is put off till tomorrow (same time).
    moved = task_snooze(
        actor=personas.manager_a, task=task, version=task.version, choice="tomorrow", now=due
    )
    new_due = due + timedelta(days=1)  # Moscow keeps no summer time
    assert moved.due_at == new_due and moved.remind_at == new_due - timedelta(minutes=15)

    # Then: nothing more until the new moment; then exactly one more reminder, however many
    # sweeps run (a sweep of the same minute, a later one, one as of the old moment).
    sweep_at(due + timedelta(minutes=1), django_capture_on_commit_callbacks)
    sweep_at(new_due - timedelta(minutes=16), django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 1 and len(mail_to_smtp.messages) == 1
    for when in (
        new_due - timedelta(minutes=14),
        new_due - timedelta(minutes=14),
        new_due + timedelta(hours=2),
        first,
    ):
        sweep_at(when, django_capture_on_commit_callbacks)
    bell = list(Notification.objects.order_by("id").values_list("title", flat=True))
    assert bell == ["Task: Позвонить Петрову"] * 2
    assert len(mail_to_smtp.messages) == 2
    assert sorted(Delivery.objects.filter(channel="email").values_list("due_at", flat=True)) == [
        due - timedelta(minutes=15),
        new_due - timedelta(minutes=15),
    ]
