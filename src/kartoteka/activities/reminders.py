"""Reminders of tasks and meetings: which fall due, planned into the notification outbox.

A task reminds its assignee at ``remind_at``; a meeting reminds each participant
``remind_before`` minutes before it starts. :func:`sweep` (a periodic job, every minute) plans
every reminder that fell due since the last sweep into the outbox and sends what is due
(``core/notifications.py``: exactly once in the app, at least once and never lost by mail).

**Nothing is dropped while no worker runs.** The sweep remembers how far it got (a
:class:`~kartoteka.core.models.JobMark`); the next sweep covers everything from there to now,
however long that was, so a reminder that fell due during downtime is delivered late. The first
sweep ever looks back :data:`FIRST_LOOKBACK`.

**Changing the moment re-plans.** Reminders are read from the task or meeting as they are now:
a moment moved later is reminded at the new moment; each due moment is its own delivery, so a
task reminded at 10:00 and then set to remind at 15:00 reminds again at 15:00. A delivery
planned for a moment the task no longer has (or for a task done or deleted meanwhile) is
cancelled at send time. A reminder set to a moment that has just passed is delivered at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.accounts.models import User
from kartoteka.activities.models import CalendarEvent, EventParticipant, Task
from kartoteka.core import clock, notifications
from kartoteka.core.dates import moment_text
from kartoteka.core.models import JobMark

SWEEP = "activities.reminders"
#: the first sweep ever looks this far back
FIRST_LOOKBACK = timedelta(hours=24)
#: each sweep looks again this far behind where the last one stopped: a change that committed
#: just after the last sweep read, or a node whose clock is slightly behind, is not missed
OVERLAP = timedelta(minutes=5)

TASK_REMINDER = "task_reminder"
MEETING_REMINDER = "meeting_reminder"
IMPORTANT_DATE = "important_date"


def register() -> None:
    """The kinds of notification this app produces, and the send-time checks of its reminders."""
    notifications.register_kind(TASK_REMINDER, gettext_lazy("Task reminders"), position=10)
    notifications.register_kind(MEETING_REMINDER, gettext_lazy("Meeting reminders"), position=20)
    notifications.register_kind(
        IMPORTANT_DATE, gettext_lazy("Important dates of clients"), position=30
    )
    notifications.register_source("task", task_still_due)
    notifications.register_source("event", event_still_due)


@dataclass
class Swept:
    planned: int
    dispatched: notifications.Dispatched

    def __str__(self) -> str:
        return f"reminders: {self.planned} planned; {self.dispatched}"


def sweep() -> Swept:
    """Plan every reminder due since the last sweep (up to :func:`clock.now`), then send what is
    due. Safe to run twice at once or twice in a row: the outbox keeps one of each."""
    now = clock.now()
    mark = JobMark.objects.filter(name=SWEEP).first()
    since = (mark.moment if mark else now - FIRST_LOOKBACK) - OVERLAP
    planned = [*_task_reminders(since, now), *_event_reminders(since, now)]
    with transaction.atomic():
        count = notifications.plan(planned)
        # The mark only moves forward: a sweep "as of" an earlier moment (jobs run --at) does not
        # make the next one cover the same ground twice or skip any.
        if mark is None:
            JobMark.objects.get_or_create(name=SWEEP, defaults={"moment": now})
        JobMark.objects.filter(name=SWEEP, moment__lt=now).update(moment=now)
    return Swept(count, notifications.dispatch())


def _task_reminders(since: datetime, now: datetime) -> Iterator[notifications.Planned]:
    recent = now - FIRST_LOOKBACK
    tasks = (
        Task.objects.filter(done_at__isnull=True, owner__isnull=False, owner__is_active=True)
        # One range of the remind_at index: what fell due since the last sweep, plus the
        # reminders of the last day that were set (or moved) since then to a moment already past.
        .filter(remind_at__gt=min(since, recent), remind_at__lte=now)
        .filter(Q(remind_at__gt=since) | Q(updated_at__gt=since))
        .select_related("owner", "company", "contact")
        .order_by("remind_at", "id")
    )
    for task in tasks.iterator(chunk_size=2000):
        owner: User = task.owner  # type: ignore[attr-defined]
        assert task.remind_at is not None
        with translation.override(owner.language):
            lines = []
            if task.due_at:
                lines.append(_("Due %(when)s") % {"when": moment_text(task.due_at)})
            elif task.due_date:
                lines.append(_("Due %(when)s") % {"when": date_format(task.due_date, "d.m.Y")})
            client = task.company or task.contact
            if client is not None:
                lines.append(str(client))
            yield notifications.Planned(
                source=f"task:{task.pk}",
                user_id=owner.pk,
                due_at=task.remind_at,
                kind=TASK_REMINDER,
                title=_("Task: %(title)s") % {"title": task.title},
                body=" · ".join(lines),
                url=reverse("activities:task-detail", args=[task.pk]),
            )


def _event_reminders(since: datetime, now: datetime) -> Iterator[notifications.Planned]:
    upcoming = CalendarEvent.objects.filter(remind_before__isnull=False, starts_at__gt=since)
    longest = upcoming.aggregate(longest=Max("remind_before"))["longest"]
    if longest is None:
        return
    events = [
        event
        for event in upcoming.filter(starts_at__lte=now + timedelta(minutes=longest)).order_by(
            "starts_at", "id"
        )
        if since < _event_due(event) <= now
    ]
    if not events:
        return
    people: dict[int, list[User]] = {}
    for row in EventParticipant.objects.filter(
        event__in=events, user__is_active=True
    ).select_related("user"):
        people.setdefault(row.event_id, []).append(row.user)  # type: ignore[attr-defined]
    for event in events:
        for person in people.get(event.pk, []):
            with translation.override(person.language):
                yield notifications.Planned(
                    source=f"event:{event.pk}",
                    user_id=person.pk,
                    due_at=_event_due(event),
                    kind=MEETING_REMINDER,
                    title=_("Meeting: %(title)s") % {"title": event.title},
                    body=" · ".join(
                        part
                        for part in (
                            _("Starts %(when)s") % {"when": moment_text(event.starts_at)},
                            event.location,
                        )
                        if part
                    ),
                    url=reverse("activities:event-detail", args=[event.pk]),
                )


def _event_due(event: CalendarEvent) -> datetime:
    return event.starts_at - timedelta(minutes=event.remind_before or 0)


def task_still_due(task_id: int, user_id: int, due_at: datetime) -> bool:
    """At send time: the task is still open, still its assignee's, still reminding then."""
    return Task.objects.filter(
        pk=task_id, owner_id=user_id, done_at__isnull=True, remind_at=due_at
    ).exists()


def event_still_due(event_id: int, user_id: int, due_at: datetime) -> bool:
    """At send time: the meeting still has this person and still reminds at that moment."""
    event = CalendarEvent.objects.filter(
        pk=event_id, remind_before__isnull=False, eventparticipant__user_id=user_id
    ).first()
    return event is not None and _event_due(event) == due_at
