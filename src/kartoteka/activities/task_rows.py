"""The task list's rows, made in Python.

The task list shows up to 100 tasks; made by the template engine through three includes, a
``{% url %}`` per link, a translation per label and a date filter per date, the rows were two
thirds of the page's time. Here links are reversed once (:func:`kartoteka.core.web.url_for_ids`),
labels translated once, and each row escaped by ``row_html``. "My day" prints the same tick
(:class:`Ticks`) for an open task.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kartoteka.activities.models import Task
from kartoteka.core.web import DateWords, row_html, url_for_ids


@dataclass(frozen=True)
class Page:
    """What every row of one page shares."""

    today: datetime.date
    #: the list's "Done" tab (a column of when)
    done_tab: bool
    #: the assignee column (one who sees others' tasks, or the "set by me" tab)
    show_assignee: bool
    #: where the tick's form returns to
    next_url: str
    csrf_input: SafeString


def rows(tasks: Iterable[Task], page: Page) -> list[SafeString]:
    """Each task's ``<tr>``. The tasks carry ``shown_company`` and ``shown_contact`` (see
    :func:`kartoteka.activities.views.tasks.mark_clients`), author and assignee loaded."""
    labels = _Labels()
    tick = Ticks(page.csrf_input, page.next_url)
    urls = {
        name: url_for_ids(route)
        for name, route in (
            ("detail", "activities:task-detail"),
            ("company", "clients:company-detail"),
            ("contact", "clients:contact-detail"),
        )
    }
    word = DateWords()

    made = []
    for task in tasks:
        cells = [
            row_html('<td class="pick">{}</td>', tick(task)),
            row_html(
                '<td class="cell-name" data-label="{}"><div class="name-line">'
                '<a class="clip task-title" title="{}" href="{}">{}</a>{}{}</div></td>',
                labels.task,
                task.title,
                urls["detail"](task.pk),
                task.title,
                labels.high if task.priority == "high" else "",
                labels.repeats if task.recurrence else "",
            ),
            row_html(
                '<td class="cell-due" data-label="{}">{}</td>',
                labels.due,
                _due(task, page.today, labels, word),
            ),
            row_html(
                '<td class="cell-company" data-label="{}">{}</td>',
                labels.client,
                _clients(task, urls),
            ),
        ]
        if page.show_assignee:
            owner = task.owner
            cells.append(
                row_html(
                    '<td class="cell-owner" data-label="{}"><span class="clip" title="{}">{}'
                    "</span></td>",
                    labels.assignee,
                    owner or "",
                    owner or "—",
                )
            )
        set_by = ""
        if task.author_id and task.author_id != task.owner_id:
            set_by = row_html('<span class="clip" title="{}">{}</span>', task.author, task.author)
        cells.append(
            row_html('<td class="cell-owner" data-label="{}">{}</td>', labels.set_by, set_by)
        )
        if page.done_tab:
            done = word(timezone.localtime(task.done_at), "d.m.Y H:i") if task.done_at else ""
            cells.append(row_html('<td class="nowrap" data-label="{}">{}</td>', labels.done, done))
        made.append(
            row_html(
                '<tr class="list-row task-row{}" data-id="{}" data-task-row>{}</tr>',
                " is-done" if task.done_at else "",
                task.pk,
                mark_safe("".join(cells)),  # noqa: S308 (each cell escaped by row_html)
            )
        )
    return made


class _Labels:
    """The rows' words, translated once a page."""

    def __init__(self) -> None:
        self.task = _("Task")
        self.due = _("Due")
        self.client = _("Client")
        self.assignee = _("Assignee")
        self.set_by = _("Set by")
        self.done = _("Done")
        self.today = _("today")
        self.high = row_html(
            ' <span class="badge priority-high" title="{}">!</span>', _("High priority")
        )
        repeats = _("Repeats")
        self.repeats = row_html(
            ' <span class="muted" title="{}" aria-label="{}">↻</span>', repeats, repeats
        )


class Ticks:
    """The tick box that marks a task done (or, ticked, reopens it): the task list's and My
    day's, with its links and words made once a page."""

    def __init__(self, csrf_input: SafeString, next_url: str) -> None:
        self.csrf_input = csrf_input
        self.next_url = next_url
        self.complete = url_for_ids("activities:task-complete")
        self.reopen = url_for_ids("activities:task-reopen")
        self.reopen_label = _("Reopen")
        self.mark_done = _("Mark done")
        self.not_saved = _("Not saved: try again.")

    def __call__(self, task: Task) -> SafeString:
        if task.done_at:
            return row_html(
                '<form method="post" action="{}" class="inline task-tick">{}'
                '<input type="hidden" name="next" value="{}"><button type="submit" '
                'class="tick is-ticked" role="checkbox" aria-checked="true" title="{}" '
                'aria-label="{}: {}"><span aria-hidden="true">✓</span></button></form>',
                self.reopen(task.pk),
                self.csrf_input,
                self.next_url,
                self.reopen_label,
                self.reopen_label,
                task.title,
            )
        return row_html(
            '<form method="post" action="{}" class="inline task-tick" data-task-tick '
            'data-failed="{}">{}<input type="hidden" name="next" value="{}"><button '
            'type="submit" class="tick" role="checkbox" aria-checked="false" title="{}" '
            'aria-label="{}: {}"><span aria-hidden="true">✓</span></button></form>',
            self.complete(task.pk),
            self.not_saved,
            self.csrf_input,
            self.next_url,
            self.mark_done,
            self.mark_done,
            task.title,
        )


def _due(task: Task, today: datetime.date, labels: _Labels, word: DateWords) -> SafeString:
    if not task.due_date:
        return mark_safe('<span class="muted">—</span>')  # noqa: S308
    state = ""
    if not task.done_at and task.due_date < today:
        state = " is-overdue"
    elif task.due_date == today:
        state = " is-today"
    day = labels.today if task.due_date == today else word(task.due_date, "d.m.Y")
    time = " " + word(timezone.localtime(task.due_at), "H:i") if task.due_at else ""
    return row_html('<span class="task-due nowrap{}">{}{}</span>', state, day, time)


def _clients(task: Task, urls: dict[str, Callable[[int], str]]) -> SafeString:
    company = getattr(task, "shown_company", None)
    contact = getattr(task, "shown_contact", None)
    parts = []
    if company:
        parts.append(
            row_html(
                '<a class="clip" title="{}" href="{}">{}</a>',
                company,
                urls["company"](company.pk),
                company,
            )
        )
    if contact:
        parts.append(
            row_html(
                '<a class="clip" title="{}" href="{}">{}</a>',
                contact,
                urls["contact"](contact.pk),
                contact,
            )
        )
    return mark_safe(" · ".join(parts))  # noqa: S308 (each part escaped by row_html)
