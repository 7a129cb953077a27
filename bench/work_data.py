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

Rows are loaded by :mod:`kartoteka.core.bulk_load`, as the demo's history is: plain values in
batches, each its own transaction (PostgreSQL's COPY, SQLite's executemany), a table's plain
indexes built once at the end when the load at least doubles it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import time
from collections.abc import Callable
from typing import Any

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


def activities(world: World, count: int, company: tuple[int, int, int] | None = None) -> int:
    from kartoteka.activities.models import Activity
    from kartoteka.core.bulk_load import Table, in_batches

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

    return in_batches(count, make)


def tasks(world: World, count: int) -> int:
    from kartoteka.activities.models import Task
    from kartoteka.core.bulk_load import Table, in_batches

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

    return in_batches(count, make)


def events(world: World, count: int) -> int:
    from kartoteka.activities.models import CalendarEvent, EventParticipant
    from kartoteka.core.bulk_load import Table, in_batches, new_ids

    rng = world.rng
    table = Table(CalendarEvent, with_id=True)
    participants = Table(EventParticipant)

    def make(step: int) -> None:
        rows, guests = [], []
        for pk in new_ids(CalendarEvent, step):
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

    return in_batches(count, make)


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

    from kartoteka.activities.models import Activity, Task
    from kartoteka.core import bulk_load

    started = time.perf_counter()
    phases: dict[str, float] = {}

    def timed(name: str, work: Callable[[], int]) -> int:
        began = time.perf_counter()
        made = work()
        phases[name] = round(time.perf_counter() - began, 1)
        print(f"{name}: {made} in {phases[name]} s", flush=True)
        return made

    with bulk_load.bulk_session():
        world = World(random.Random(args.seed))
        phases["world"] = round(time.perf_counter() - started, 1)
        hot = min(world.companies)
        made: dict[str, int] = {}

        def load_activities() -> int:
            with bulk_load.indexes_built_after(Activity, args.activities + args.hot, print):
                made["activities"] = activities(world, args.activities)
                # The client with a long history: the smallest company id.
                made["hot_company_activities"] = activities(world, args.hot, company=hot)
            return made["activities"] + made["hot_company_activities"]

        def load_tasks() -> int:
            with bulk_load.indexes_built_after(Task, args.tasks, print):
                made["tasks"] = tasks(world, args.tasks)
            return made["tasks"]

        timed("activities", load_activities)
        if args.hot:
            print(f"hot company: {hot[0]}")
        timed("tasks", load_tasks)
        made["events"] = timed("events", lambda: events(world, args.events))

        def analyze() -> int:
            bulk_load.analyze()
            return 0

        timed("analyze", analyze)
    print(f"{made} in {time.perf_counter() - started:.1f} s on {connection.vendor}; {phases}")


if __name__ == "__main__":
    main()
