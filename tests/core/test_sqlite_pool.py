"""SQLite connections are reused across requests instead of reopened (see core/db/sqlite)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from kartoteka.core.db.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the pool under test is the SQLite backend's"
)


@pytest.fixture(autouse=True)
def _files_allowed(django_db_blocker: Any) -> Any:
    # These tests open their own database files, not the test database.
    with django_db_blocker.unblock():
        yield


def _wrapper(path: Path) -> DatabaseWrapper:
    settings = {**connection.settings_dict, "NAME": str(path), "TEST": {}}
    return DatabaseWrapper(settings, alias=f"pool-{path.name}")


def _in_thread(work: Any) -> Any:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join()
    return result[0]


def test_a_closed_connection_is_handed_to_the_next_thread(tmp_path: Path) -> None:
    path = tmp_path / "pool.sqlite3"

    def open_and_close() -> int:
        wrapper = _wrapper(path)
        wrapper.ensure_connection()
        raw = id(wrapper.connection)
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT lower('ЗВОН')")  # our LOWER survives the reuse
            assert cursor.fetchone()[0] == "звон"
        wrapper.close()
        return raw

    first = _in_thread(open_and_close)
    second = _in_thread(open_and_close)

    assert first == second


def test_an_unfinished_transaction_is_rolled_back_before_reuse(tmp_path: Path) -> None:
    path = tmp_path / "rollback.sqlite3"
    setup = _wrapper(path)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE note (text TEXT)")
    setup.close()

    writer = _wrapper(path)
    writer.ensure_connection()
    # A request that died between BEGIN and COMMIT, leaving its transaction to close().
    writer.connection.execute("BEGIN")
    writer.connection.execute("INSERT INTO note VALUES ('half-written')")
    assert writer.connection.in_transaction
    writer.close()

    reader = _wrapper(path)
    with reader.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM note")
        assert cursor.fetchone()[0] == 0
    reader.close()


def test_an_in_memory_database_is_never_pooled() -> None:
    wrapper = _wrapper(Path(":memory:"))
    assert wrapper._pool() is None
