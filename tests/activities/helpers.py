"""Building a client's history for the timeline tests, through the services."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.activities.models import Activity, Task
from kartoteka.activities.services.activities import activity_create
from kartoteka.activities.services.tasks import task_complete, task_create

#: a fixed moment the histories are laid out from (time is controlled, never read from a clock)
T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


def call(actor: User, when: datetime.datetime, **values: Any) -> Activity:
    return activity_create(
        actor=actor, values={"type": "call", "occurred_at": when, "subject": "", **values}
    )


def done_task(actor: User, when: datetime.datetime, **values: Any) -> Task:
    task = task_create(actor=actor, values={"title": "Задача", **values})
    done = task_complete(actor=actor, task=task)
    Task.objects.filter(pk=done.pk).update(done_at=when)
    done.refresh_from_db()
    return done


def now_is(moment: datetime.datetime) -> Any:
    """Patch the clock the services read (timezone.now) to ``moment``."""
    from unittest import mock

    return mock.patch.object(timezone, "now", return_value=moment)
