"""Background jobs of the core: run by `kartoteka worker`."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kartoteka.core import trash


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_trash() -> int:
    """Nightly: records past the trash retention period are deleted for good."""
    return trash.purge_expired()


@db_task()
def ping() -> str:
    """Used by `kartoteka check` to prove a worker is taking jobs."""
    return "pong"
