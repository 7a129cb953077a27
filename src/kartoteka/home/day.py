"""What "My day" shows: one's overdue, today's and upcoming tasks, today's meetings, and for a
head their people's overdue work. A bounded number of queries whatever the numbers."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activities import queries
from kartoteka.activities.models import CalendarEvent, Task
from kartoteka.activities.task_rows import Ticks
from kartoteka.activities.views.tasks import mark_clients, mark_snoozes
from kartoteka.core.web import DateWords, row_html, url_for_ids

#: tasks shown per bucket; the count says how many there are, the task list shows them all
BUCKET_ROWS = 30
MEETINGS_SHOWN = 30


@dataclass
class Bucket:
    key: str
    tasks: list[Task]
    count: int
    #: each task's ``<li>``; see :func:`add_rows`
    rows: list[SafeString] = field(default_factory=list)

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
    """Fill each bucket's ``rows`` with each task's ``<li>``: links, labels and dates worked out
    once for the page's up to 90 tasks, each row escaped by ``row_html`` (a ``{% url %}``, a
    translation or a date filter per row took most of the page's time, and then the rows'
    template). ``tick`` makes the tick box and carries the page's CSRF input and return
    address. Two queries: the clients ``user`` may see, with their names."""
    tasks = [task for bucket in day.buckets for task in bucket.tasks]
    mark_clients(user, tasks)
    # What is due now or already late can be put off; the next days' tasks are already later.
    mark_snoozes(
        [task for bucket in day.buckets if bucket.key != "upcoming" for task in bucket.tasks], now
    )
    detail = url_for_ids("activities:task-detail")
    snooze = url_for_ids("activities:task-snooze")
    high = row_html('<span class="badge priority-high" title="{}">!</span> ', _("High priority"))
    snooze_label = _("Snooze")
    set_by: dict[int, str] = {}
    word = DateWords()

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
            due_html: SafeString | str = ""
            if due_title:
                due_html = row_html(
                    '<span class="task-due is-overdue nowrap" title="{}">{}</span>', due_title, due
                )
            elif due:
                due_html = row_html('<span class="task-due nowrap">{}</span>', due)
            bucket.rows.append(
                row_html(
                    '<li class="task-item" data-task-row data-id="{}">{}\n<a class="task-title" '
                    'href="{}" title="{}">{}</a>\n<span class="task-meta">{}{}</span>\n{}\n{}\n'
                    "</li>",
                    task.pk,
                    tick(task),
                    detail(task.pk),
                    task.title,
                    task.title,
                    high if task.priority == Task.Priority.HIGH else "",
                    meta,
                    due_html,
                    _snooze_menu(task, snooze(task.pk), snooze_label, tick),
                )
            )


def _snooze_menu(task: Task, url: str, label: str, tick: Ticks) -> SafeString | str:
    """The task's "Snooze" menu: its choices as buttons of one form (none: nothing)."""
    choices = getattr(task, "snoozes", [])
    if not choices:
        return ""
    buttons = "".join(
        row_html(
            '<button type="submit" name="choice" value="{}">{} <span class="muted small">{}'
            "</span></button>",
            key,
            choice,
            hint,
        )
        for key, choice, hint in choices
    )
    return row_html(
        '<details class="more-menu task-snooze"><summary class="btn btn-sm" aria-label="{}: {}">'
        '{}</summary><div class="more-menu-items"><form method="post" action="{}" '
        'data-task-snooze data-failed="{}">{}<input type="hidden" name="version" value="{}">'
        '<input type="hidden" name="next" value="{}">{}</form></div></details>',
        label,
        task.title,
        label,
        url,
        tick.not_saved,
        tick.csrf_input,
        task.version,
        tick.next_url,
        mark_safe(buttons),  # noqa: S308 (each button escaped by row_html)
    )
