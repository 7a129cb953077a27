"""Background jobs of activities: the reminder sweep and the important dates (run by
`kartoteka worker`, by `kartoteka serve` itself on the embedded default, and once each by
`kartoteka jobs run`)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kartoteka.activities import reminders
from kartoteka.activities.services.important_dates import run_important_dates
from kartoteka.core import clock


@db_periodic_task(crontab())
def reminders_sweep() -> str:
    """Every minute: plan the task and meeting reminders that fell due, and send them."""
    return str(reminders.sweep())


@db_periodic_task(crontab(minute="5", hour="4"))
def important_dates() -> int:
    """Daily, 04:05 UTC (07:05 in Moscow, before the working day): tasks and greetings for the
    birthdays and anniversaries due in the next days. Idempotent: a second run does nothing."""
    return run_important_dates(timezone.localdate(clock.now())).tasks
