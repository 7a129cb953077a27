"""The demo company's tasks and meetings: each manager's overdue, today's, upcoming and
delegated tasks, a task history for about every other client (most done, a few left overdue),
this and next week's meetings and a year of past ones.

Called by :func:`kartoteka.demo.create_demo` after the history (:mod:`kartoteka.demo_activities`).
Rows are plain values loaded by :mod:`kartoteka.core.bulk_load`. Tasks and meetings are added
only when there are none yet. At ``--size 1000000``: about 500,000 tasks and 20,000 meetings.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.activities.models import CalendarEvent, EventParticipant, Task
from kartoteka.clients.models import Contact
from kartoteka.core import bulk_load
from kartoteka.demo_activities import DAYS, MEETING_PLACES, MEETING_SUBJECTS, working_moment

#: clients with a task of their own, of every hundred (done, open, overdue)
TASKS_PER_100_CLIENTS = 50
#: contacts per past or upcoming meeting, beyond each manager's this and next week's
CONTACTS_PER_MEETING = 50

TASK_TITLES = [
    "Перезвонить по КП",
    "Отправить счёт",
    "Подготовить договор",
    "Согласовать скидку с руководителем",
    "Отправить образцы",
    "Напомнить об оплате",
    "Уточнить реквизиты",
    "Подготовить акт сверки",
    "Назначить встречу",
    "Отправить прайс-лист",
]
DELEGATED_TITLES = [
    "Подготовить отчёт по клиенту",
    "Проверить дебиторку",
    "Встретиться с новым закупщиком",
    "Вернуть клиента: давно не заказывал",
]
CHECKLIST = [
    [{"text": "Проверить остатки", "done": True}, {"text": "Согласовать цену", "done": False}],
    [
        {"text": "Подготовить документы", "done": False},
        {"text": "Отправить курьером", "done": False},
    ],
]

#: (contact id, owner id, owner's branch id, the contact's name)
Person = tuple[int, int, int, str]


def _days(rnd: random.Random, most: int) -> datetime.timedelta:
    return datetime.timedelta(days=rnd.randint(1, most), minutes=rnd.randint(0, 600))


def _may_set(head: User, owner: User) -> bool:
    # A branch head sets tasks in their branch; the head of sales anywhere.
    codes = {role.code for role in head.roles.all()}
    return "head_of_sales" in codes or head.branch_id == owner.branch_id


def _sample(owners: list[User], per_owner: int) -> dict[int, list[Person]]:
    """Up to ``per_owner`` of each owner's contacts, as targets of made-up tasks and meetings."""
    found: dict[int, list[Person]] = {}
    for owner in owners:
        found[owner.pk] = [
            (pk, owner.pk, owner.branch_id, f"{last} {first}")
            for pk, last, first in Contact.objects.filter(owner=owner)
            .order_by("pk")
            .values_list("pk", "last_name", "first_name")[:per_owner]
        ]
    return found


def _everyone(owners: dict[int, int]) -> Iterator[list[Person]]:
    """Every contact of the owners, a batch at a time (by id ranges: little memory)."""
    after = 0
    while True:
        batch = list(
            Contact.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "owner_id", "last_name", "first_name")[: bulk_load.BATCH]
        )
        if not batch:
            return
        after = batch[-1][0]
        yield [(pk, o, owners[o], f"{last} {first}") for pk, o, last, first in batch if o in owners]


class _Tasks:
    """Task rows: one table, one random source, the day they are made on."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.table = bulk_load.Table(Task)
        self.today = timezone.localdate()
        self.now = timezone.now()

    def row(
        self,
        person: Person,
        *,
        title: str,
        due: datetime.date,
        author: int | None = None,
        with_time: bool = False,
        done_at: datetime.datetime | None = None,
        created: datetime.datetime,
        remind: bool = False,
    ) -> list[Any]:
        rnd = self.rnd
        contact_id, owner_id, branch_id, name = person
        due_at = None
        if with_time:
            due_at = timezone.make_aware(
                datetime.datetime.combine(
                    due, datetime.time(rnd.randint(9, 17), rnd.choice((0, 30)))
                )
            )
        return self.table.row(
            title=f"{title}: {name}",
            author_id=author or owner_id,
            owner_id=owner_id,
            branch_id=branch_id,
            due_date=due,
            due_at=due_at,
            remind_at=due_at - datetime.timedelta(minutes=30) if remind and due_at else None,
            priority=rnd.choices(["low", "normal", "high"], weights=[15, 65, 20])[0],
            done_at=done_at,
            done_by_id=owner_id if done_at else None,
            contact_id=contact_id,
            checklist=rnd.choice(CHECKLIST) if rnd.random() < 0.15 else [],
            created_at=created,
            updated_at=done_at or created,
        )

    def at_hand(self, mine: list[Person], bosses: list[int]) -> list[list[Any]]:
        """One manager's tasks of these days: overdue, today's, upcoming, set by the head."""
        rnd, today, now = self.rnd, self.today, self.now
        rows = []
        for _ in range(rnd.randint(2, 4)):  # overdue
            due = today - datetime.timedelta(days=rnd.randint(1, 10))
            title = rnd.choice(TASK_TITLES)
            rows.append(
                self.row(rnd.choice(mine), title=title, due=due, created=now - _days(rnd, 20))
            )
        for _ in range(rnd.randint(2, 4)):  # today
            rows.append(
                self.row(
                    rnd.choice(mine),
                    title=rnd.choice(TASK_TITLES),
                    due=today,
                    with_time=rnd.random() < 0.6,
                    created=now - _days(rnd, 5),
                )
            )
        for _ in range(rnd.randint(3, 6)):  # upcoming
            rows.append(
                self.row(
                    rnd.choice(mine),
                    title=rnd.choice(TASK_TITLES),
                    due=today + datetime.timedelta(days=rnd.randint(1, 14)),
                    with_time=rnd.random() < 0.5,
                    remind=rnd.random() < 0.4,
                    created=now - _days(rnd, 5),
                )
            )
        for _ in range(rnd.randint(1, 2) if bosses else 0):  # set by the head
            rows.append(
                self.row(
                    rnd.choice(mine),
                    title=rnd.choice(DELEGATED_TITLES),
                    due=today + datetime.timedelta(days=rnd.randint(-3, 7)),
                    author=rnd.choice(bosses),
                    created=now - _days(rnd, 10),
                )
            )
        return rows

    def over_time(self, person: Person, bosses: list[int]) -> list[Any]:
        """A client's task of the two years: most past ones done, a recent few not; a quarter
        still ahead; now and then one set by the head."""
        rnd = self.rnd
        author = rnd.choice(bosses) if bosses and rnd.random() < 0.05 else None
        title = rnd.choice(TASK_TITLES)
        if rnd.random() < 0.25:
            return self.row(
                person,
                title=title,
                due=self.today + datetime.timedelta(days=rnd.randint(1, 60)),
                author=author,
                with_time=rnd.random() < 0.3,
                remind=rnd.random() < 0.4,
                created=self.now - _days(rnd, 30),
            )
        back = int(DAYS * rnd.random() ** 1.5) + 1
        due = self.today - datetime.timedelta(days=back)
        created = working_moment(rnd, due - datetime.timedelta(days=rnd.randint(1, 14)))
        left = back <= 30 and rnd.random() < 0.3
        done = None if left else max(created, working_moment(rnd, due))
        return self.row(person, title=title, due=due, author=author, done_at=done, created=created)


def add_tasks(
    owners: list[User],
    heads: list[User],
    seed: int,
    *,
    log: Callable[[str], None] | None = None,
) -> int:
    """Each owner's tasks of these days, and a task history of about every other client."""
    if Task.all_objects.exists():
        return 0
    tasks = _Tasks(random.Random(seed + 11))  # noqa: S311 - repeatable demo data
    rnd = tasks.rnd
    bosses = {
        owner.pk: [head.pk for head in heads if head.pk != owner.pk and _may_set(head, owner)]
        for owner in owners
    }
    owner_branch = {owner.pk: owner.branch_id for owner in owners}
    sample = _sample(owners, per_owner=300)
    expected = Contact.objects.count() * TASKS_PER_100_CLIENTS // 100
    made = 0
    with bulk_load.indexes_built_after(Task, expected, log):
        rows = []
        for owner in owners:
            if sample[owner.pk]:
                rows += tasks.at_hand(sample[owner.pk], bosses[owner.pk])
        for people in _everyone(owner_branch):
            for person in people:
                if rnd.random() * 100 < TASKS_PER_100_CLIENTS:
                    rows.append(tasks.over_time(person, bosses[person[1]]))
            with transaction.atomic():
                tasks.table.load(rows)
            made += len(rows)
            rows = []
        with transaction.atomic():
            tasks.table.load(rows)
        made += len(rows)
    return made


def add_meetings(owners: list[User], seed: int) -> int:
    """Every owner's meetings this and next week, some with a colleague, and a meeting for
    about every fiftieth contact over the past year and the next two months."""
    if CalendarEvent.all_objects.exists():
        return 0
    rnd = random.Random(seed + 13)  # noqa: S311 - repeatable demo data
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    sample = _sample(owners, per_owner=50)
    colleagues: dict[int, list[int]] = {}
    for user in owners:
        colleagues.setdefault(user.branch_id, []).append(user.pk)
    # (day, the client) of every meeting: the two weeks' first, then the rest of the time.
    plans: list[tuple[datetime.date, Person]] = []
    for owner in owners:
        mine = sample[owner.pk]
        for _ in range(rnd.randint(4, 8) if mine else 0):
            plans.append((monday + datetime.timedelta(days=rnd.randint(0, 11)), rnd.choice(mine)))
    everyone = [person for owner in owners for person in sample[owner.pk]]
    more = Contact.objects.count() // CONTACTS_PER_MEETING - len(plans)
    for _ in range(more if everyone else 0):
        day = today + datetime.timedelta(days=rnd.randint(-365, 60))
        plans.append((day, rnd.choice(everyone)))
    table = bulk_load.Table(CalendarEvent, with_id=True)
    guests = bulk_load.Table(EventParticipant)
    now = timezone.now()
    made = 0
    for start in range(0, len(plans), bulk_load.BATCH):
        part = plans[start : start + bulk_load.BATCH]
        events, people = [], []
        with transaction.atomic():
            for pk, (day, person) in zip(
                bulk_load.new_ids(CalendarEvent, len(part)), part, strict=True
            ):
                contact_id, owner_id, branch_id, name = person
                if day.weekday() >= 5:
                    day -= datetime.timedelta(days=2)
                begins = timezone.make_aware(
                    datetime.datetime.combine(
                        day, datetime.time(rnd.randint(9, 17), rnd.choice((0, 30)))
                    )
                )
                events.append(
                    table.row(
                        id=pk,
                        title=f"{rnd.choice(MEETING_SUBJECTS)}: {name}",
                        starts_at=begins,
                        ends_at=begins + datetime.timedelta(minutes=rnd.choice((30, 60, 60, 90))),
                        location=rnd.choice(MEETING_PLACES),
                        contact_id=contact_id,
                        owner_id=owner_id,
                        branch_id=branch_id,
                        remind_before=rnd.choice((None, 15, 30)),
                        created_at=min(now, begins) - _days(rnd, 14),
                        updated_at=min(now, begins) - datetime.timedelta(days=1),
                    )
                )
                # The organiser always takes part; now and then a colleague of the branch too.
                people.append(guests.row(event_id=pk, user_id=owner_id))
                others = [u for u in colleagues.get(branch_id, []) if u != owner_id]
                if others and rnd.random() < 0.3:
                    people.append(guests.row(event_id=pk, user_id=rnd.choice(others)))
            table.load(events)
            guests.load(people)
        made += len(events)
    return made
