"""SQLite with Unicode-aware LOWER/UPPER and a pool of open connections.

SQLite's own LOWER only folds ASCII, so "ЗВОН" would not match "звон". Registering Python's
str.lower under the same names makes every case-insensitive comparison Kartoteka builds with
LOWER() behave as it does on PostgreSQL.

The ASGI server runs each request in a fresh thread and Django's connections are per thread,
so every request would open the database anew: read the schema, run the PRAGMAs and compile
every statement again (about a millisecond a query at a million clients). Closed connections go
back to a small per-process pool instead, and the next request takes one, its compiled
statements still cached. An in-memory database (the tests) is never pooled.

Each commit of a write-ahead-logged database may also copy the log into the database file and
flush it to disk (an automatic checkpoint, every 1,000 pages written): the request whose commit
it falls on waited for it, which made every 14th or so write 2-4 times slower than the others.
Connections here never checkpoint; a thread of the process does, once a second.

An in-memory database is one connection that Django's test live server shares between its
request threads and the test's own thread. Two threads inside one SQLite connection deadlock
when LOWER is in play: one holds SQLite's connection mutex while its LOWER callback waits for
the GIL, the other holds the GIL while it waits for the mutex to read a row. Every use of a
shared in-memory connection therefore goes through one lock.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db.backends.sqlite3 import base, features

from kartoteka.core.db.sqlite import functions

_POOLS: dict[str, queue.LifoQueue[sqlite3.Connection]] = {}
#: how often a process's checkpointer copies the write-ahead log into the database file
CHECKPOINT_EVERY = 1.0
#: (process, database file) pairs whose checkpointer runs
_CHECKPOINTING: set[tuple[int, str]] = set()
_CHECKPOINTING_LOCK = threading.Lock()
logger = logging.getLogger(__name__)


def checkpoint(connection: sqlite3.Connection) -> tuple[int, int, int]:
    """Copy what it can of the write-ahead log into the database file without waiting for
    anyone (a passive checkpoint): (1 if it could not finish, frames in the log, frames copied).
    """
    busy, log, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(busy), int(log), int(copied)


def _checkpoint_forever(path: str) -> None:
    while True:
        time.sleep(CHECKPOINT_EVERY)
        # A connection of its own each turn, closed again: one held open by this thread would
        # outlive the process's others, and the last to close is what folds the log into the
        # file and removes it when the process ends (a copy of the file alone is then whole).
        try:
            connection = sqlite3.connect(path, isolation_level=None)
            try:
                checkpoint(connection)
            finally:
                connection.close()
        except sqlite3.Error as error:  # a locked moment: the next turn copies it
            logger.debug("checkpoint of %s put off: %s", path, error)


def _last_checkpoint(path: str) -> None:
    # Whatever the thread's last turn left in the log, in the file before the process ends.
    try:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:  # another process is writing: its own exit folds the log in
        logger.debug("last checkpoint of %s put off: %s", path, error)


def _checkpoint_in_background(path: str) -> None:
    key = (os.getpid(), path)
    with _CHECKPOINTING_LOCK:
        if key in _CHECKPOINTING:
            return
        _CHECKPOINTING.add(key)
    atexit.register(_last_checkpoint, path)
    threading.Thread(
        target=_checkpoint_forever, args=(path,), name="sqlite-checkpoint", daemon=True
    ).start()


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


functions.register("LOWER", 1, _lower)
functions.register("UPPER", 1, _upper)

_IN_MEMORY_LOCK = threading.RLock()


class _SerializedCursor(base.SQLiteCursorWrapper):
    """A cursor on the shared in-memory connection: one thread inside SQLite at a time."""

    def execute(self, query: str, params: Any = None) -> Any:
        with _IN_MEMORY_LOCK:
            return super().execute(query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        with _IN_MEMORY_LOCK:
            return super().executemany(query, param_list)

    def fetchone(self) -> Any:
        with _IN_MEMORY_LOCK:
            return super().fetchone()

    def fetchmany(self, size: int | None = None) -> list[Any]:
        with _IN_MEMORY_LOCK:
            return super().fetchmany(self.arraysize if size is None else size)

    def fetchall(self) -> list[Any]:
        with _IN_MEMORY_LOCK:
            return super().fetchall()

    def close(self) -> None:
        with _IN_MEMORY_LOCK:
            super().close()


class DatabaseFeatures(features.DatabaseFeatures):
    # Django assumes SQLite's old limit of 999 bound values; since 3.32 it is 32766, so bulk
    # writes (a batch of 500 records' changes and audit rows) go in one statement, not dozens.
    max_query_params = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures

    def _pool(self) -> queue.LifoQueue[sqlite3.Connection] | None:
        if self.is_in_memory_db():
            return None
        name = str(self.settings_dict["NAME"])
        pool = _POOLS.get(name)
        if pool is None:
            size = getattr(settings, "DATABASE_POOL_SIZE", 10)
            pool = _POOLS.setdefault(name, queue.LifoQueue(maxsize=size))
        return pool

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        pool = self._pool()
        if pool is not None:
            try:
                return pool.get_nowait()
            except queue.Empty:
                pass
        connection = super().get_new_connection(conn_params)
        functions.install(connection)
        if pool is not None:
            connection.execute("PRAGMA wal_autocheckpoint=0")
            _checkpoint_in_background(str(self.settings_dict["NAME"]))
        return connection

    @contextmanager
    def _serialized(self) -> Iterator[None]:
        if self.is_in_memory_db():
            with _IN_MEMORY_LOCK:
                yield
        else:
            yield

    def create_cursor(self, name: str | None = None) -> Any:
        if self.is_in_memory_db():
            return self.connection.cursor(factory=_SerializedCursor)
        return super().create_cursor(name)

    def _commit(self) -> None:
        with self._serialized():
            super()._commit()  # type: ignore[misc]

    def _rollback(self) -> None:
        with self._serialized():
            super()._rollback()  # type: ignore[misc]

    def _close(self) -> None:
        connection, pool = self.connection, self._pool()
        if connection is None or pool is None or self.in_atomic_block or self.errors_occurred:
            super()._close()  # type: ignore[misc]
            return
        try:
            if connection.in_transaction:
                connection.rollback()
            pool.put_nowait(connection)
        except (sqlite3.Error, queue.Full):
            super()._close()  # type: ignore[misc]
