"""Steering PostgreSQL's planner where its estimates are known to mislead it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


@contextmanager
def no_sequential_scans(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the statements inside with sequential scans priced out (PostgreSQL), in a
    transaction of their own (or the caller's), the setting put back when it ends.

    PostgreSQL cannot estimate how many search documents hold a fragment (``LIKE '%дорони%'``):
    it guesses 1%. Asked for the first 400 of them, it then reads the table in order expecting
    to meet 400 within 4% of it; for a fragment 0.17% of the documents hold, it read 243,000
    of them (70 ms at a million contacts) where the trigram index answers in 1-5 ms. Without
    the sequential scan it takes the trigram index for a rare fragment and an index in list
    order for a common one ("ов": 0.1 ms), whatever it guesses. SQLite has no such choice.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    # In a transaction of its own the setting ends with it; inside a caller's it is put back.
    inside = connection.in_atomic_block
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)"
        )
        before = cursor.fetchone()[0]
        yield
        if inside:
            cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])
