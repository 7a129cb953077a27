"""Browser sessions, stored in the database as Django stores them, read with a kept plan."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db

from kartoteka.core.db.prepared import planned_once


class SessionStore(db.SessionStore):
    """Django's database sessions; the read every page starts with is a lookup by the session's
    key, so its statement is planned once per connection (:mod:`kartoteka.core.db.prepared`)."""

    # Django's own hook for that read (since 1.9); its type stubs do not name it.
    def _get_session_from_db(self) -> Any:
        with planned_once():
            return super()._get_session_from_db()  # type: ignore[misc]
