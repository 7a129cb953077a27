"""What "My day" shows: one's overdue, today's and upcoming tasks, today's meetings, and for a
head their people's overdue work. A bounded number of queries whatever the numbers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.activities import queries
from kartoteka.activities.models import CalendarEvent, Task

#: tasks shown per bucket; the count says how many there are, the task list shows them all
BUCKET_ROWS = 30
MEETINGS_SHOWN = 30


@dataclass
class Bucket:
    key: str
    tasks: list[Task]
    count: int

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
