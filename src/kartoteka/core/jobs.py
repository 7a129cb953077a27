"""Background jobs: enqueue after commit, track long ones with progress, and the queue's state.

Three ways in:

- :func:`enqueue` runs a Huey task once the current transaction commits (the worker must never
  see rows that are not there yet, nor act on a change that rolled back). Tasks take ids.
- :func:`start` does the same for long work a person waits for: it writes a :class:`JobRun`
  (queued) in the transaction and the task gets its id first. The task wraps its work in
  :func:`run`, which moves the run through running → done or failed and hands the work a
  :class:`Progress` to count with. Pages show the run's progress bar (``core:job-detail``,
  polled by htmx); only its starter sees it.
- :func:`queue_status` for /health/ and ``kartoteka check``.

Progress is written cheaply: every :data:`EVERY` items or :data:`SECONDS` seconds, not per
record. Work that runs inside one long transaction (a bulk change of 50,000 records is one, so
that it undoes as one) cannot show its progress through the run's row — nobody else sees the
row until the commit — so there the counter goes to the queue's key-value store (SQLite file
or Redis, beside the database) and :func:`progress_of` reads it from there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from huey.consumer import Consumer
from huey.contrib.djhuey import HUEY

from kartoteka.core import clock
from kartoteka.core.errors import DomainError
from kartoteka.core.models import JobRun

if TYPE_CHECKING:
    from kartoteka.accounts.models import User

log = logging.getLogger(__name__)

#: progress is written after at most this many items...
EVERY = 500
#: ...or this many seconds, whichever comes first
SECONDS = 1.0

#: a task id argument: ids and short codes only, never objects (the task reloads what it needs)
Arg = int | str | bool | None


def queue_status() -> dict[str, Any]:
    """The job queue's state for /health/ and ``kartoteka check``."""
    backend = "redis" if settings.REDIS_URL else "sqlite"
    try:
        pending = HUEY.pending_count()
        scheduled = HUEY.scheduled_count()
    except Exception as error:  # noqa: BLE001 - a dead broker is a status, not a crash
        return {"ok": False, "backend": backend, "error": error.__class__.__name__}
    return {"ok": True, "backend": backend, "pending": pending, "scheduled": scheduled}


# --- Enqueueing ----------------------------------------------------------------------------------
def _check_args(args: tuple[Any, ...], options: dict[str, Any]) -> None:
    for value in (*args, *options.values()):
        if not isinstance(value, int | str | bool) and value is not None:
            raise TypeError(f"a job takes ids, not {type(value).__name__}: reload it in the task")


def _send(task: Callable[..., Any], args: tuple[Arg, ...], options: dict[str, Arg]) -> None:
    task(*args, **options)


def enqueue(task: Callable[..., Any], *ids: Arg, **options: Arg) -> None:
    """Run the Huey ``task(*ids, **options)`` in the background once the current transaction
    commits; never if it rolls back. Outside a transaction it is queued at once.

    Arguments are ids and short codes only: the task reloads what it works on.
    """
    _check_args(ids, options)
    # robust: the change has committed; a broker that is down is logged, not a failed request
    transaction.on_commit(partial(_send, task, ids, options), robust=True)


def _send_tracked(task: Callable[..., Any], job_id: int, args: tuple[Arg, ...]) -> None:
    try:
        task(job_id, *args)
    except Exception:  # the change committed; its job could not be queued: say so on the run
        log.exception("job %s could not be queued", job_id)
        JobRun.objects.filter(pk=job_id, state=JobRun.State.QUEUED).update(
            state=JobRun.State.FAILED,
            error=_("The job could not be queued. Try again later."),
            finished_at=timezone.now(),
        )


def start(
    task: Callable[..., Any],
    *ids: Arg,
    actor: User | None,
    kind: str,
    title: str,
    total: int | None = None,
) -> JobRun:
    """Record a job ``actor`` waits for (queued) and run ``task(run.pk, *ids)`` after commit.

    ``kind`` is a code ("search.rebuild"), ``title`` what the starter reads. The task wraps its
    work in :func:`run`. Call inside the service's transaction: the run and the change that
    needs it commit (or roll back) together.
    """
    _check_args(ids, {})
    job = track(actor=actor, kind=kind, title=title, total=total)
    transaction.on_commit(partial(_send_tracked, task, job.pk, ids))
    return job


def track(*, actor: User | None, kind: str, title: str, total: int | None = None) -> JobRun:
    """Record a job (queued) without queuing it: for work the caller runs with :func:`run`
    itself (a command line), recorded and reported like any other. :func:`start` uses it."""
    started_by = actor if actor is not None and actor.is_authenticated else None
    return JobRun.objects.create(kind=kind, title=title[:300], started_by=started_by, total=total)


# --- Running -------------------------------------------------------------------------------------
def _key(job_id: int) -> str:
    return f"kartoteka:job-progress:{job_id}"


class Progress:
    """The counter a job's work advances; written every ``every`` items or ``seconds`` seconds.

    Outside a transaction the run's row is updated; inside one (invisible to others until it
    commits) the count goes to the queue's key-value store instead.
    """

    def __init__(
        self,
        job: JobRun,
        *,
        every: int = EVERY,
        seconds: float = SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.job = job
        self.done = job.done
        self.total = job.total
        self.every = every
        self.seconds = seconds
        self.clock = clock
        self._written = (self.done, self.total)
        self._at = clock()

    def set_total(self, total: int) -> None:
        """How many items the work has, once known; written at once."""
        self.total = max(0, total)
        self.flush()

    def advance(self, count: int = 1) -> None:
        """``count`` more items done; written only past ``every`` items or ``seconds``."""
        self.done += count
        if self.done - self._written[0] >= self.every or self.clock() - self._at >= self.seconds:
            self.flush()

    def flush(self) -> None:
        if (self.done, self.total) == self._written:
            return
        self._written, self._at = (self.done, self.total), self.clock()
        if transaction.get_connection().in_atomic_block:
            try:
                HUEY.put(_key(self.job.pk), (self.done, self.total))
            except Exception:  # noqa: BLE001 - progress is a courtesy; the work goes on
                log.warning("job %s: progress not stored", self.job.pk, exc_info=True)
            return
        JobRun.objects.filter(pk=self.job.pk).update(done=self.done, total=self.total)


@dataclass(frozen=True)
class Outcome:
    """What a finished job tells its starter (``message``) and programs (``result``)."""

    message: str = ""
    result: dict[str, Any] = field(default_factory=dict)


def _forget_progress(job_id: int) -> None:
    try:
        HUEY.delete(_key(job_id))
    except Exception:  # noqa: BLE001 - a leftover counter is harmless
        log.warning("job %s: progress not cleared", job_id, exc_info=True)


def run(job_id: int, work: Callable[[Progress], Outcome | None]) -> JobRun | None:
    """Run ``work`` as the job ``job_id``: in its starter's language, with a :class:`Progress`.

    The run is claimed first (queued → running) so a task delivered twice works once; a run
    already taken, finished or gone is left alone (None). A :class:`DomainError` fails the run
    with its message; any other error fails it with a general one (the traceback goes to the
    log). Returns the finished run.
    """
    claimed = JobRun.objects.filter(pk=job_id, state=JobRun.State.QUEUED).update(
        state=JobRun.State.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = JobRun.objects.select_related("started_by").get(pk=job_id)
    # Nobody started it (a command line, a schedule): the language already active stays.
    language = (
        getattr(job.started_by, "language", "")
        or translation.get_language()
        or settings.LANGUAGE_CODE
    )
    with translation.override(language):
        progress = Progress(job)
        try:
            outcome = work(progress) or Outcome()
        except DomainError as error:
            _finish(job, progress, state=JobRun.State.FAILED, error=str(error.message))
        except Exception:
            log.exception("job %s (%s) failed", job_id, job.kind)
            message = _("The job failed. The administrator can find the details in the log.")
            _finish(job, progress, state=JobRun.State.FAILED, error=message)
        else:
            _finish(job, progress, state=JobRun.State.DONE, outcome=outcome)
    return job


def _finish(
    job: JobRun,
    progress: Progress,
    *,
    state: str,
    error: str = "",
    outcome: Outcome | None = None,
) -> None:
    job.state = state
    job.done = progress.done
    job.total = progress.total if progress.total is not None else progress.done
    if state == JobRun.State.DONE:
        job.done = max(job.done, job.total)
    job.error = error
    job.message = (outcome.message if outcome else "")[:500]
    job.result = dict(outcome.result) if outcome else {}
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "done", "total", "error", "message", "result", "finished_at"])
    _forget_progress(job.pk)


# --- Reading -------------------------------------------------------------------------------------
def runs_for(user: User) -> QuerySet[JobRun]:
    """The jobs ``user`` started, newest first: nobody else's, whatever their role."""
    if not user.is_authenticated:
        return JobRun.objects.none()
    return JobRun.objects.filter(started_by=user).order_by("-id")


def run_for(user: User, pk: int | None) -> JobRun | None:
    """One job ``user`` started, with its live progress; None for anyone else's (a 404)."""
    if pk is None:
        return None
    job = runs_for(user).filter(pk=pk).first()
    return progress_of(job) if job is not None else None


def progress_of(job: JobRun) -> JobRun:
    """``job`` with ``done``/``total`` brought up to date from the counter of work still inside
    its transaction (see :class:`Progress`). Reads the key-value store only while it runs."""
    if job.state != JobRun.State.RUNNING:
        return job
    try:
        live = HUEY.get(_key(job.pk), peek=True)
    except Exception:  # noqa: BLE001 - show what the row says
        return job
    if isinstance(live, tuple | list) and len(live) == 2 and int(live[0]) >= job.done:
        job.done = int(live[0])
        job.total = live[1] if live[1] is not None else job.total
    return job


# --- Periodic jobs -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeriodicResult:
    name: str
    ok: bool
    result: Any


def periodic_tasks() -> list[Any]:
    """Every periodic job the apps declare (``@db_periodic_task`` in their ``tasks.py``)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")
    found = HUEY._registry.periodic_tasks  # noqa: SLF001 - Huey keeps no public list of them
    return sorted(found, key=lambda task: task.name)


def run_periodic(at: datetime | None = None) -> list[PeriodicResult]:
    """Run every periodic job once, here and now, as of ``at`` (default: the real time).

    Each job does what is due at the moment it runs (reminders due by then, trash past its
    retention...), reading that moment from ``core.clock.now()``; so running them all is running
    what is due. One job failing does not stop the others.
    """
    results = []
    for task in periodic_tasks():
        with clock.at(at):
            try:
                outcome = task.execute()
            except Exception as error:  # noqa: BLE001 - reported, then the exit status says it
                log.exception("periodic job %s failed", task.name)
                results.append(PeriodicResult(task.name, False, error))
            else:
                results.append(PeriodicResult(task.name, True, outcome))
    return results


class _EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without its signal handlers: the web server in front owns the signals."""

    def _set_signal_handlers(self) -> None:
        pass


def start_embedded_worker() -> Any:
    """Run the job queue's consumer (workers and the periodic scheduler) in this process's
    threads: on the embedded default `kartoteka serve` delivers reminders and runs jobs itself,
    with no second process to remember. Stop it with ``consumer.stop(graceful=True)``."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")
    options = dict(settings.HUEY.get("consumer", {}))
    consumer = _EmbeddedConsumer(HUEY, shutdown_timeout=15, **options)
    consumer.start()
    return consumer
