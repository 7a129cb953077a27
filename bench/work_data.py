"""Add generated work to a demo database: activities, tasks and calendar events, for benchmarks.

Run after ``kartoteka demo --size N`` on the same database (see bench/README.md):

    KARTOTEKA_DATA_DIR=... [KARTOTEKA_DATABASE_URL=...] .venv/bin/python bench/work_data.py \
        --activities 100000 --tasks 20000 --events 5000 --hot 5000

Activities are spread over two years on random companies and their people, logged by each
client's owner (calls most, then emails, notes, meetings, inquiries with their outcomes); tasks
are due from two months back to two months ahead, most past ones done, some set by a colleague;
events are meetings with their organiser and a colleague. ``--hot`` gives one company (the
smallest id, printed) that many activities more: the client with a long history. Running it
again adds more.

Rows are built as plain values (each model's defaults, then the generated values: the same row
a model instance would give) and loaded in batches, each in its own transaction: PostgreSQL's
COPY (a round trip per row made 5,000,000 activities an hour's work), SQLite's executemany.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: rows per COPY / executemany, each batch its own transaction
BATCH = 20_000
TYPES = [("call", 45), ("email", 20), ("note", 15), ("meeting", 10), ("inquiry", 10)]
SUBJECTS = {
    "call": ["Уточнить заказ", "Перезвонить по счёту", "Новая цена", "Сроки поставки"],
    "email": ["Коммерческое предложение", "Счёт на оплату", "Акт сверки"],
    "note": ["Предпочитает звонки после обеда", "Сменился закупщик", "Ждёт каталог"],
    "meeting": ["Встреча в офисе клиента", "Презентация новинок", "Переговоры о скидке"],
    "inquiry": ["Запрос товара"],
}
PRODUCTS = ["крем для обуви чёрный", "Пелевин, Generation П", "бумага А4", "картридж HP 85A"]
INQUIRY_OUTCOMES = ["sold", "not_in_stock", "refused", "pending"]
CALL_OUTCOMES = ["reached", "reached", "reached", "no_answer", "busy", "voicemail"]
TASK_TITLES = ["Перезвонить", "Отправить КП", "Выставить счёт", "Уточнить остатки", "Поздравить"]


def _batches(total: int) -> Iterator[int]:
    done = 0
    while done < total:
        step = min(BATCH, total - done)
        yield step
        done += step


def _sqlite_moment(value: datetime.datetime | None) -> str | None:
    # As Django stores an aware moment in SQLite: naive UTC text.
    if value is None:
        return None
    return value.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ")


class Table:
    """One model's insertable columns and their defaults, and how rows reach the database.

    ``row(**values)`` starts from the defaults a new model instance has (``version`` 1, empty
    texts, NULLs) and sets the given attributes, so the rows are those the app would write.
    """

    def __init__(self, model: Any, *, with_id: bool = False) -> None:
        from django.db import connection

        self.vendor = connection.vendor
        meta = model._meta
        self.fields = [
            f for f in meta.concrete_fields if (with_id or not f.primary_key) and not f.generated
        ]
        self.position = {f.attname: i for i, f in enumerate(self.fields)}
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

    def load(self, rows: list[list[Any]]) -> None:
        """Insert ``rows`` in one statement (COPY or executemany) in the caller's transaction."""
        from django.db import connection

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


def _new_ids(model: Any, count: int) -> list[int]:
    """``count`` ids for rows inserted with explicit ids (in the caller's transaction).

    PostgreSQL hands them out of the table's sequence, so the sequence stays ahead of them;
    SQLite (one writer at a time) continues from the largest id, and its AUTOINCREMENT counter
    follows the inserted ids by itself.
    """
    from django.db import connection

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


def _bulk_session() -> None:
    """Settings of this connection for a bulk load.

    SQLite: a page cache of 1 GiB instead of 2 MiB, so inserting into indexes of millions of
    rows does not read every page back from the file. PostgreSQL, as a superuser: no
    foreign-key triggers (every generated row points at ids just read from the database; the
    checks, each locking the referenced client's row, cost more than the insert itself), and
    more memory for building indexes.
    """
    from django.db import DatabaseError, connection, transaction

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size = -1048576")
            return
        cursor.execute("SET maintenance_work_mem = '512MB'")
        try:
            with transaction.atomic():
                cursor.execute("SET session_replication_role = replica")
        except DatabaseError:
            print("not a superuser: foreign keys are checked row by row")


def _plain_indexes(table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes that back no primary key or unique rule."""
    from django.db import connection

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
def _indexes_built_after(model: Any, adding: int) -> Iterator[None]:
    """Drop the table's plain indexes for a big load and build them again after.

    Millions of rows inserted one by one into a dozen indexes bigger than any cache cost more
    than building each index once, by sorting. Only when the load at least doubles the table
    (below that, rebuilding what is there costs more). The primary key and unique indexes stay,
    so those rules hold throughout; if the load fails the indexes are built again all the same.
    """
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        present = cursor.fetchone()[0]
    indexes = _plain_indexes(table) if adding >= present else []
    with connection.cursor() as cursor:
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
            print(
                f"  {len(indexes)} indexes of {table} built in {time.perf_counter() - began:.1f} s"
            )


class World:
    """What the generated rows point at: companies with owners, jobs, users by branch."""

    def __init__(self, rng: random.Random) -> None:
        from kartoteka.accounts.models import User
        from kartoteka.clients.models import Company, Employment

        self.rng = rng
        self.companies = list(
            Company.objects.filter(owner__isnull=False).values_list("id", "owner_id", "branch_id")
        )
        if not self.companies:
            raise SystemExit("no companies: run `kartoteka demo --size N` first")
        people: dict[int, list[int]] = {}
        for contact_id, company_id in Employment.objects.values_list("contact_id", "company_id"):
            people.setdefault(company_id, []).append(contact_id)
        self.people = people
        self.users = list(User.objects.filter(is_active=True).values_list("id", "branch_id"))
        self.by_branch: dict[int, list[int]] = {}
        for pk, branch in self.users:
            self.by_branch.setdefault(branch, []).append(pk)
        self.now = datetime.datetime.now(datetime.UTC)

    def client(self, company: tuple[int, int, int] | None = None) -> tuple[Any, ...]:
        """(company id or None, contact id or None, owner id, branch id)."""
        company_id, owner, branch = company or self.rng.choice(self.companies)
        staff = self.people.get(company_id, [])
        roll = self.rng.random()
        contact = self.rng.choice(staff) if staff and roll < 0.7 else None
        if contact is not None and roll < 0.1:
            return None, contact, owner, branch  # about a person alone
        return company_id, contact, owner, branch

    def colleague(self, branch: int, owner: int) -> int:
        others = [pk for pk in self.by_branch.get(branch, []) if pk != owner]
        return self.rng.choice(others) if others else owner

    def moment(self, days_back: int, days_ahead: int = 0) -> datetime.datetime:
        seconds = self.rng.randint(-days_back * 86400, days_ahead * 86400)
        return (self.now + datetime.timedelta(seconds=seconds)).replace(microsecond=0)


def _in_batches(count: int, make: Callable[[int], None]) -> int:
    from django.db import transaction

    made = 0
    for step in _batches(count):
        with transaction.atomic():
            make(step)
        made += step
    return made


def activities(world: World, count: int, company: tuple[int, int, int] | None = None) -> int:
    from kartoteka.activities.models import Activity

    rng = world.rng
    table = Table(Activity)
    kinds = [kind for kind, _ in TYPES]
    weights = [weight for _, weight in TYPES]

    def make(step: int) -> None:
        rows = []
        for _ in range(step):
            company_id, contact, owner, branch = world.client(company)
            kind = rng.choices(kinds, weights)[0]
            subject = rng.choice(SUBJECTS[kind])
            when = world.moment(730)
            extra: dict[str, Any] = {}
            if kind == "call":
                extra = {
                    "direction": rng.choice(["in", "out"]),
                    "duration": rng.randint(10, 900),
                    "outcome": rng.choice(CALL_OUTCOMES),
                }
            elif kind == "inquiry":
                extra = {
                    "product_text": rng.choice(PRODUCTS),
                    "outcome": rng.choice(INQUIRY_OUTCOMES),
                }
            elif kind == "meeting":
                extra = {"place": "Офис клиента"}
            rows.append(
                table.row(
                    type=kind,
                    subject=subject,
                    occurred_at=when,
                    created_at=when,
                    updated_at=when,
                    company_id=company_id,
                    contact_id=contact,
                    owner_id=owner,
                    branch_id=branch,
                    **extra,
                )
            )
        table.load(rows)

    return _in_batches(count, make)


def tasks(world: World, count: int) -> int:
    from kartoteka.activities.models import Task

    rng = world.rng
    table = Table(Task)
    today = world.now.date()

    def make(step: int) -> None:
        rows = []
        for _ in range(step):
            company_id, contact, owner, branch = world.client()
            due = today + datetime.timedelta(days=rng.randint(-60, 60))
            done = due < today and rng.random() < 0.8
            author = owner if rng.random() < 0.8 else world.colleague(branch, owner)
            timed = rng.random() < 0.3
            due_at = (
                datetime.datetime.combine(due, datetime.time(rng.randint(9, 18)), datetime.UTC)
                if timed
                else None
            )
            rows.append(
                table.row(
                    title=rng.choice(TASK_TITLES),
                    author_id=author,
                    due_date=due,
                    due_at=due_at,
                    remind_at=due_at - datetime.timedelta(minutes=15) if due_at else None,
                    priority=rng.choice(["low", "normal", "normal", "high"]),
                    done_at=(
                        datetime.datetime.combine(due, datetime.time(17), datetime.UTC)
                        if done
                        else None
                    ),
                    done_by_id=owner if done else None,
                    company_id=company_id,
                    contact_id=contact,
                    owner_id=owner,
                    branch_id=branch,
                    created_at=world.now,
                    updated_at=world.now,
                )
            )
        table.load(rows)

    return _in_batches(count, make)


def events(world: World, count: int) -> int:
    from kartoteka.activities.models import CalendarEvent, EventParticipant

    rng = world.rng
    table = Table(CalendarEvent, with_id=True)
    participants = Table(EventParticipant)

    def make(step: int) -> None:
        rows, guests = [], []
        for pk in _new_ids(CalendarEvent, step):
            company_id, contact, owner, branch = world.client()
            start = world.moment(365, 60).replace(minute=0, second=0)
            rows.append(
                table.row(
                    id=pk,
                    title=rng.choice(SUBJECTS["meeting"]),
                    starts_at=start,
                    ends_at=start + datetime.timedelta(minutes=rng.choice([30, 60, 90])),
                    company_id=company_id,
                    contact_id=contact,
                    owner_id=owner,
                    branch_id=branch,
                    location="Офис клиента",
                    created_at=world.now,
                    updated_at=world.now,
                )
            )
            # The organiser and a colleague of their branch, when there is one.
            guests.append(participants.row(event_id=pk, user_id=owner))
            other = world.colleague(branch, owner)
            if other != owner:
                guests.append(participants.row(event_id=pk, user_id=other))
        table.load(rows)
        participants.load(guests)

    return _in_batches(count, make)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=0)
    parser.add_argument("--hot", type=int, default=0, help="activities more on one company")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    django.setup()
    from django.db import connection

    started = time.perf_counter()
    phases: dict[str, float] = {}

    def timed(name: str, work: Callable[[], int]) -> int:
        began = time.perf_counter()
        made = work()
        phases[name] = round(time.perf_counter() - began, 1)
        print(f"{name}: {made} in {phases[name]} s", flush=True)
        return made

    from kartoteka.activities.models import Activity, Task

    _bulk_session()
    world = World(random.Random(args.seed))
    phases["world"] = round(time.perf_counter() - started, 1)
    hot = min(world.companies)
    made: dict[str, int] = {}

    def load_activities() -> int:
        with _indexes_built_after(Activity, args.activities + args.hot):
            made["activities"] = activities(world, args.activities)
            # The client with a long history: the smallest company id.
            made["hot_company_activities"] = activities(world, args.hot, company=hot)
        return made["activities"] + made["hot_company_activities"]

    def load_tasks() -> int:
        with _indexes_built_after(Task, args.tasks):
            made["tasks"] = tasks(world, args.tasks)
        return made["tasks"]

    timed("activities", load_activities)
    if args.hot:
        print(f"hot company: {hot[0]}")
    timed("tasks", load_tasks)
    made["events"] = timed("events", lambda: events(world, args.events))

    def analyze() -> int:
        # Fresh statistics after a bulk load, or the planners guess table sizes wildly wrong.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return 0

    timed("analyze", analyze)
    print(f"{made} in {time.perf_counter() - started:.1f} s on {connection.vendor}; {phases}")


if __name__ == "__main__":
    main()
