"""On an SQLite file, a request's commit never copies the write-ahead log into the database
file (a checkpoint made every ~14th write 2-4 times slower); each process has a thread for it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from django.db.utils import ConnectionHandler

from kartoteka.core.db.sqlite import base


def test_writes_leave_the_log_to_the_checkpointer_which_copies_it(
    tmp_path: Path, django_db_blocker: Any
) -> None:
    path = tmp_path / "crm.sqlite3"
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "kartoteka.core.db.sqlite",
                "NAME": str(path),
                "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
            }
        }
    )
    writer = handler["default"]
    with django_db_blocker.unblock():
        try:
            with writer.cursor() as cursor:
                cursor.execute("PRAGMA wal_autocheckpoint")
                assert cursor.fetchone()[0] == 0
                cursor.execute("CREATE TABLE note (body TEXT)")
                # Far more than the 1,000 pages after which a commit would checkpoint itself.
                for _ in range(60):
                    cursor.executemany(
                        "INSERT INTO note VALUES (?)", [("x" * 4000,) for _ in range(100)]
                    )
            log_pages = (path.with_name(path.name + "-wal").stat().st_size - 32) // (4096 + 24)
            assert log_pages > 1000
            assert any(
                thread.name == "sqlite-checkpoint" and thread.daemon
                for thread in threading.enumerate()
            )
            # What the thread does each second, done here at once: every frame copied.
            reader = sqlite3.connect(path, isolation_level=None)
            busy, frames, copied = base.checkpoint(reader)
            reader.close()
            assert (busy, copied) == (0, frames) and frames > 1000
            with writer.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM note")
                assert cursor.fetchone()[0] == 6000
        finally:
            handler.close_all()
