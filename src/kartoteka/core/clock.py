"""The "now" background jobs see: the real time, or the moment ``kartoteka jobs run --at`` names.

Periodic jobs do what is due at the moment they run (reminders due by now, trash older than the
retention period...). They read that moment from :func:`now` instead of ``timezone.now()`` so an
operator or a test can run them as of another moment: ``jobs run --at 2026-12-01T09:00``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_frozen: ContextVar[datetime | None] = ContextVar("kartoteka_clock", default=None)


def now() -> datetime:
    """The current moment for jobs: the one set by :func:`at`, else the real time (aware, UTC)."""
    return _frozen.get() or timezone.now()


@contextmanager
def at(moment: datetime | None) -> Iterator[datetime]:
    """Run the block as of ``moment`` (aware); None keeps the real time."""
    if moment is not None and timezone.is_naive(moment):
        raise ValueError("the moment must carry a time zone")
    token = _frozen.set(moment)
    try:
        yield now()
    finally:
        _frozen.reset(token)
