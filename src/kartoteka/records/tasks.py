"""Background jobs of every record kind's platform: run by `kartoteka worker`."""

from __future__ import annotations

from functools import partial

from huey.contrib.djhuey import db_task

from kartoteka.core import jobs
from kartoteka.records.services.group_rule_jobs import apply_work


@db_task()
def apply_group_rule(job_id: int, rule_id: int) -> None:
    """Apply group rule ``rule_id`` to existing clients as the tracked job ``job_id``."""
    jobs.run(job_id, partial(apply_work, rule_id))
