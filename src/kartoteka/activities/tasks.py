"""Background jobs of activities: run by `kartoteka worker` (and `kartoteka jobs run`)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kartoteka.activities.services.important_dates import run_important_dates


@db_periodic_task(crontab(minute="5", hour="4"))
def important_dates() -> int:
    """Daily, 04:05 UTC (07:05 in Moscow, before the working day): tasks and greetings for the
    birthdays and anniversaries due in the next days. Idempotent: a second run does nothing."""
    return run_important_dates().tasks
