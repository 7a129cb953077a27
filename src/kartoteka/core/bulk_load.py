"""Loading generated rows fast: the demo's clients and history, and the benchmarks' extra work.

Rows are plain values (a model's defaults, then the generated values: the same row a model
instance would give), never model instances, and reach the database in batches, each in its own
transaction: PostgreSQL's COPY (a round trip per row made 5,000,000 activities an hour's work),
SQLite's executemany. For a load that at least doubles a table, :func:`indexes_built_after`
drops the table's plain indexes and builds each once at the end; :func:`bulk_session` gives the
loading connection a big page cache (SQLite) or skips foreign-key triggers (PostgreSQL, as a
superuser) for the length of the load. Only for fixtures: nothing here checks access, writes the
audit trail or indexes for search.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Model

#: rows per COPY / executemany, each batch its own transaction
BATCH = 20_000


def batches(total: int, size: int = BATCH) -> Iterator[int]:
    """Sizes of the batches ``total`` rows are loaded in."""
    done = 0
    while done < total:
        step = min(size, total - done)
        yield step
        done += step


def _sqlite_moment(value: datetime.datetime) -> str:
    # As Django stores an aware moment in SQLite: naive UTC text.
    return value.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ")


class Table:
    """One model's insertable columns and their defaults, and how rows reach the database.

    ``row(**values)`` starts from the defaults a new model instance has (``version`` 1, empty
    texts, NULLs) and sets the given attributes, so the rows are those the app would write.
    Generated columns (a phone's last digits) are the database's to compute, never inserted.
    """

    def __init__(self, model: type[Model], *, with_id: bool = False) -> None:
        self.vendor = connection.vendor
        meta = model._meta
        self.fields = [
            f for f in meta.concrete_fields if (with_id or not f.primary_key) and not f.generated
        ]
        self.names = [f.attname for f in self.fields]
        self.position = {name: i for i, name in enumerate(self.names)}
        quote = connection.ops.quote_name
        self.table = quote(meta.db_table)
        self.columns = ", ".join(quote(f.column) for f in self.fields)
        # Values that need converting: JSON on both databases, moments and dates on SQLite
        # (psycopg takes aware datetimes and dates as they are).
        self.converters: list[Callable[[Any], Any] | None] = []
        for f in self.fields:
            kind = f.get_internal_type()
            if kind == "JSONField":
                self.converters.append(json.dumps)
            elif kind == "DateTimeField" and self.vendor == "sqlite":
                self.converters.append(_sqlite_moment)
            elif kind == "DateField" and self.vendor == "sqlite":
                self.converters.append(datetime.date.isoformat)
            else:
                self.converters.append(None)
        self.defaults = [
            self._value(i, None if f.primary_key else f.get_default())
            for i, f in enumerate(self.fields)
        ]

    def _value(self, position: int, value: Any) -> Any:
        convert = self.converters[position]
        return value if convert is None or value is None else convert(value)

    def row(self, **values: Any) -> list[Any]:
        row = self.defaults.copy()
        for name, value in values.items():
            position = self.position[name]
            row[position] = self._value(position, value)
        return row

    def row_of(self, instance: Model) -> list[Any]:
        """The row of an unsaved model instance (for the few rows built as instances)."""
        return [self._value(i, getattr(instance, name)) for i, name in enumerate(self.names)]

    def load(self, rows: list[list[Any]]) -> None:
        """Insert ``rows`` in one statement (COPY or executemany) in the caller's transaction."""
        if not rows:
            return
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                sql = f"COPY {self.table} ({self.columns}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from meta
                    self.table, self.columns, ", ".join(["%s"] * len(self.fields))
                )
                cursor.executemany(sql, rows)


def insert(objs: Iterable[Model]) -> None:
    """Insert unsaved instances of one model in one statement, in the caller's transaction."""
    objs = list(objs)
    if objs:
        table = Table(type(objs[0]))
        table.load([table.row_of(obj) for obj in objs])


def in_batches(count: int, make: Callable[[int], None]) -> int:
    """Call ``make(step)`` for each batch of ``count`` rows, each in its own transaction."""
    made = 0
    for step in batches(count):
        with transaction.atomic():
            make(step)
        made += step
    return made


def new_ids(model: type[Model], count: int) -> list[int]:
    """``count`` ids for rows inserted with explicit ids (in the caller's transaction).

    PostgreSQL hands them out of the table's sequence, so the sequence stays ahead of them;
    SQLite (one writer at a time) continues from the largest id, and its AUTOINCREMENT counter
    follows the inserted ids by itself.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [pk for (pk,) in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - model's table
        top = cursor.fetchone()[0]
        return list(range(top + 1, top + 1 + count))


@contextmanager
def bulk_session() -> Iterator[None]:
    """This connection's settings for a bulk load, as they were again afterwards.

    SQLite: a page cache of 1 GiB instead of 2 MiB, so inserting into indexes of millions of
    rows does not read every page back from the file. PostgreSQL, as a superuser: no
    foreign-key triggers (every generated row points at ids just read from the database; the
    checks, each locking the referenced client's row, cost more than the insert itself), and
    more memory for building indexes. Restored at the end: the connection may serve on (tests,
    a long-lived process), and it must check foreign keys there.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size")
            restore = [f"PRAGMA cache_size = {int(cursor.fetchone()[0])}"]
            cursor.execute("PRAGMA cache_size = -1048576")
        else:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            restore = ["RESET maintenance_work_mem"]
            try:
                with transaction.atomic():
                    cursor.execute("SET session_replication_role = replica")
                restore.append("RESET session_replication_role")
            except DatabaseError:
                print("not a superuser: foreign keys are checked row by row")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                for statement in restore:
                    cursor.execute(statement)
        except DatabaseError:
            # A failed transaction: its rollback undoes the settings (SET inside a
            # transaction is the transaction's), and the original error is the one to see.
            pass


def plain_indexes(table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes that back no primary key or unique rule."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x "
                "JOIN pg_class c ON c.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT x.indisunique",
                [table],
            )
            return list(cursor.fetchall())
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [table],
        )
        return [(name, sql) for name, sql in cursor.fetchall() if "UNIQUE" not in sql.upper()]


@contextmanager
def indexes_built_after(
    model: type[Model], adding: int, log: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Drop the table's plain indexes for a big load and build them again after.

    Millions of rows inserted one by one into a dozen indexes bigger than any cache cost more
    than building each index once, by sorting. Only when the load at least doubles the table
    (below that, rebuilding what is there costs more). The primary key and unique indexes stay,
    so those rules hold throughout; if the load fails the indexes are built again all the same.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        present = cursor.fetchone()[0]
    indexes = plain_indexes(table) if adding and adding >= present else []
    # PostgreSQL builds no index on a table with foreign-key checks still pending in the
    # transaction (rows deleted or added earlier in it): inside one, run them now and the
    # load's at once; Django's foreign keys go back to deferred afterwards.
    immediate = bool(indexes) and connection.vendor == "postgresql" and connection.in_atomic_block
    with connection.cursor() as cursor:
        if immediate:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        if indexes:
            began = time.perf_counter()
            with connection.cursor() as cursor:
                for _name, definition in indexes:
                    cursor.execute(definition)
                if immediate:
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            if log:
                seconds = time.perf_counter() - began
                log(f"  {len(indexes)} indexes of {table} built in {seconds:.1f} s")


def analyze() -> None:
    """Fresh statistics after a bulk load, or the planners guess table sizes wildly wrong."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
