"""Background jobs of activities: the reminder sweep (run by `kartoteka worker`, or by
`kartoteka serve` itself on the embedded default)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kartoteka.activities import reminders


@db_periodic_task(crontab())
def reminders_sweep() -> str:
    """Every minute: plan the task and meeting reminders that fell due, and send them."""
    return str(reminders.sweep())
