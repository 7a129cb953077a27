"""The job queue's state, as /health/ and `kartoteka check` report it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from huey.contrib.djhuey import HUEY


def queue_status() -> dict[str, Any]:
    backend = "redis" if settings.REDIS_URL else "sqlite"
    try:
        pending = HUEY.pending_count()
        scheduled = HUEY.scheduled_count()
    except Exception as error:  # noqa: BLE001 - a dead broker is a status, not a crash
        return {"ok": False, "backend": backend, "error": error.__class__.__name__}
    return {"ok": True, "backend": backend, "pending": pending, "scheduled": scheduled}
