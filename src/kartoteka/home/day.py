"""What "My day" shows: one's overdue, today's and upcoming tasks, today's meetings, and for a
head their people's overdue work. A bounded number of queries whatever the numbers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activities import queries
from kartoteka.activities.models import CalendarEvent, Task
from kartoteka.activities.task_rows import Ticks
from kartoteka.activities.views.tasks import mark_clients, mark_snoozes
from kartoteka.core.web import url_for_ids

#: tasks shown per bucket; the count says how many there are, the task list shows them all
BUCKET_ROWS = 30
MEETINGS_SHOWN = 30


class Row(TypedDict):
    """What the page prints for one task (a dict: the template engine looks keys up first)."""

    id: int
    #: escaped once here, printed three times
    title: SafeString
    #: the box that marks it done, the task list's
    tick: SafeString
    url: str
    snooze_url: str
    version: int
    high: bool
    #: its client as far as the reader may see it, and who set it if someone else did
    meta: str
    due: str
    #: the full date of an overdue task ("" in the other buckets)
    due_title: str
    snoozes: list[tuple[str, str, str]]


@dataclass
class Bucket:
    key: str
    tasks: list[Task]
    count: int
    #: the tasks as the page prints them; see :func:`add_rows`
    rows: list[Row] = field(default_factory=list)

    @property
    def shown(self) -> str:
        """The count as the heading shows it: counted only up to :data:`COUNTED` ("999+")."""
        return f"{COUNTED - 1}+" if self.count >= COUNTED else str(self.count)


@dataclass
class Day:
    today: datetime.date
    buckets: list[Bucket]
    meetings: list[CalendarEvent]
    #: may see others' tasks (a head), and so gets the "Me | My team" toggle
    head: bool
    #: (person, overdue count, oldest due date), most overdue first; only in the team view
    team: list[tuple[User, int, datetime.date]] = field(default_factory=list)


#: bucket counts stop here (shown as "999+")
COUNTED = 1000


def my_day(user: User, now: datetime.datetime, *, team: bool = False) -> Day:
    """``user``'s day as of ``now`` (an aware moment; its local date is "today")."""
    today = timezone.localdate(now)
    head = queries.sees_others_tasks(user)
    if team and head:
        return Day(
            today=today,
            buckets=[],
            meetings=[],
            head=True,
            team=queries.team_overdue(user, today),
        )
    mine = queries.own_tasks(user)
    # Each count is one range of the open tasks' (assignee, due date) index, read without the
    # table, and stops at COUNTED: a long-neglected list costs no more than a short one.
    counts = {
        key: rows.order_by()[:COUNTED].count()
        for key, rows in (
            ("overdue", queries.overdue(mine, today)),
            ("today", queries.due_today(mine, today)),
            ("upcoming", queries.upcoming(mine, today)),
        )
    }
    buckets = [
        Bucket(key, list(queries.by_due(rows)[:BUCKET_ROWS]), counts[key])
        for key, rows in (
            ("overdue", queries.overdue(mine, today)),
            ("today", queries.due_today(mine, today)),
            ("upcoming", queries.upcoming(mine, today)),
        )
        if counts[key]
    ]
    meetings = list(queries.meetings_on(user, today, MEETINGS_SHOWN))
    return Day(today=today, buckets=buckets, meetings=meetings, head=head)


def add_rows(user: User, day: Day, now: datetime.datetime, tick: Ticks) -> None:
    """Fill each bucket's ``rows``: links, labels and dates worked out here once for the page's
    up to 90 tasks, which the template then only places. A ``{% url %}``, a translation or a date
    filter per row took most of the page's time. Two queries: the clients ``user`` may see, with
    their names."""
    tasks = [task for bucket in day.buckets for task in bucket.tasks]
    mark_clients(user, tasks)
    # What is due now or already late can be put off; the next days' tasks are already later.
    mark_snoozes(
        [task for bucket in day.buckets if bucket.key != "upcoming" for task in bucket.tasks], now
    )
    detail = url_for_ids("activities:task-detail")
    snooze = url_for_ids("activities:task-snooze")
    set_by: dict[int, str] = {}
    worded: dict[tuple[Any, str], str] = {}  # many tasks share a date

    def word(value: Any, pattern: str) -> str:
        if (value, pattern) not in worded:
            worded[value, pattern] = date_format(value, pattern)
        return worded[value, pattern]

    for bucket in day.buckets:
        for task in bucket.tasks:
            clients = (task.shown_company, task.shown_contact)  # type: ignore[attr-defined]
            meta = " · ".join(str(client) for client in clients if client)
            if task.author_id and task.author_id != task.owner_id:
                if task.author_id not in set_by:
                    set_by[task.author_id] = _("Set by: %(name)s") % {"name": task.author}
                meta += " · " + set_by[task.author_id]  # (after "·" even with no client shown)
            due, due_title = "", ""
            if bucket.key == "overdue":
                due, due_title = word(task.due_date, "d.m"), word(task.due_date, "d.m.Y")
            elif bucket.key == "upcoming":
                due = word(task.due_date, "D, d.m")
            elif task.due_at is not None:
                due = word(timezone.localtime(task.due_at), "H:i")
            bucket.rows.append(
                Row(
                    id=task.pk,
                    title=escape(task.title),
                    tick=tick(task),
                    url=detail(task.pk),
                    snooze_url=snooze(task.pk),
                    version=task.version,
                    high=task.priority == Task.Priority.HIGH,
                    meta=meta,
                    due=due,
                    due_title=due_title,
                    snoozes=getattr(task, "snoozes", []),
                )
            )
