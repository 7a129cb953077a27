"""The in-memory database the tests' live server shares between threads must never deadlock.

Two threads in one SQLite connection used to freeze the whole process (one held SQLite's mutex
while its LOWER callback waited for the GIL; the other held the GIL waiting for the mutex), which
is how a browser test once held CI for an hour and a half. A frozen process cannot time itself
out, so the race runs in a child process that the test gives a deadline.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

RACE = textwrap.dedent(
    """
    import threading, time
    import django
    from django.conf import settings
    settings.configure(DATABASES={"default": {
        "ENGINE": "kartoteka.core.db.sqlite", "NAME": ":memory:"}})
    django.setup()
    from django.db import connections

    connection = connections["default"]  # the one wrapper every thread uses, as the live server's
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE t (a TEXT)")
        cursor.executemany("INSERT INTO t VALUES (%s)", [(f"Имя {i}",) for i in range(20000)])
    connection.inc_thread_sharing()  # as Django's live server shares it
    stop = time.monotonic() + 2

    def search():
        while time.monotonic() < stop:
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM t WHERE LOWER(a) LIKE %s", ["%я 1%"])
                cursor.fetchall()

    def read_rows():
        while time.monotonic() < stop:
            with connection.cursor() as cursor:
                cursor.execute("SELECT a, a, a FROM t")
                while cursor.fetchmany(100):
                    pass

    failures = []

    def guarded(work):
        def run():
            try:
                work()
            except Exception as error:
                failures.append(repr(error))
        return run

    threads = [threading.Thread(target=guarded(work)) for work in (search, read_rows)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(failures or "finished")
    """
)


def test_two_threads_in_the_shared_in_memory_database_both_finish() -> None:
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter on our own script
            [sys.executable, "-c", RACE],
            capture_output=True,
            text=True,
            timeout=30,
            env={"PYTHONPATH": str(SRC)},
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("the two threads deadlocked in the shared connection") from None
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "finished"
