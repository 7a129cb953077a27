"""Background jobs of the core: run by `kartoteka worker`."""

from __future__ import annotations

from functools import partial

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kartoteka.core import jobs, notifications, trash
from kartoteka.core.search import background


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_trash() -> int:
    """Nightly: records past the trash retention period are deleted for good."""
    return trash.purge_expired()


@db_periodic_task(crontab(minute="37", hour="3"))
def purge_notifications() -> int:
    """Nightly: finished deliveries and read notifications past their keeping time go."""
    return notifications.purge_old()


@db_task()
def ping() -> str:
    """Used by `kartoteka check` to prove a worker is taking jobs."""
    return "pong"


@db_task()
def search_rebuild(job_id: int) -> None:
    """Rebuild the whole search index as the tracked job ``job_id``."""
    jobs.run(job_id, background.rebuild_work)


@db_task()
def search_index(job_id: int, label: str, *ids: int) -> None:
    """Re-index many records of ``label`` ("clients.company") as the tracked job ``job_id``."""
    jobs.run(job_id, partial(background.index_work, label, ids))
