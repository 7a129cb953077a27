"""Tasks: setting, changing, snoozing, completing (a repeating one sets its next occurrence)
and reopening them; the checklist and comments."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activities import recurrence
from kartoteka.activities.models import Task, TaskComment
from kartoteka.activities.services import common
from kartoteka.core import access, audit, records
from kartoteka.core.errors import ConflictError, DomainError, NotFoundError, NothingToUndoError
from kartoteka.core.models import AuditEntry
from kartoteka.records.services.undo import Undo

MIDNIGHT = datetime.time()
FIELDS = (
    "title",
    "description",
    "due_at",
    "due_date",
    "remind_at",
    "priority",
    "company",
    "contact",
    "recurrence",
    "checklist",
    "activity",
    "owner",
)


def _prepare(
    actor: User, values: dict[str, Any], task: Task | None = None
) -> tuple[dict[str, Any], common.Errors]:
    errors: common.Errors = {}
    values = dict(values)
    if "assignee" in values:
        values["owner"] = values.pop("assignee")
    common.resolve_clients(actor, values, errors)
    common.resolve_user(values, "owner", errors)
    if values.get("owner") in ("", None):
        values.pop("owner", None)
    cleaned = common.clean(Task, values, FIELDS, errors)
    if cleaned.get("due_at"):
        # A task with a time is also due on that day, in the company's time zone: lists and
        # "My day" sort and group by the date alone.
        cleaned["due_date"] = timezone.localdate(cleaned["due_at"])
    elif "due_date" in cleaned and "due_at" not in cleaned:
        cleaned["due_at"] = None
    checklist = cleaned.get("checklist")
    if checklist is not None:
        cleaned["checklist"] = _checklist(checklist, errors)
    if "recurrence" in cleaned:
        _recurrence(cleaned, task, errors)
    return cleaned, errors


def _recurrence(cleaned: dict[str, Any], task: Task | None, errors: common.Errors) -> None:
    """A preset ("daily", "weekly", "monthly") or a raw RRULE, as the rule to store."""
    rule = str(cleaned["recurrence"] or "").strip()
    if not rule:
        cleaned["recurrence"] = ""
        return
    due = cleaned.get("due_date", task.due_date if task is not None else None)
    if due is None:
        errors["recurrence"] = [_("A repeating task needs a due date.")]
        return
    try:
        if rule.lower() in recurrence.PRESETS:
            rule = recurrence.preset_rule(rule.lower(), due)
        else:
            rule = recurrence.normalise(rule)
            recurrence.check(rule)
    except recurrence.RuleError as error:
        errors["recurrence"] = [str(error)]
        return
    cleaned["recurrence"] = rule


def _checklist(items: Any, errors: common.Errors) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        errors["checklist"] = [_("A checklist is a list of items.")]
        return []
    clean: list[dict[str, Any]] = []
    for item in items:
        text = item.get("text", "") if isinstance(item, dict) else item
        if not isinstance(text, str) or not text.strip():
            errors["checklist"] = [_("Every checklist item needs text.")]
            continue
        done = bool(item.get("done")) if isinstance(item, dict) else False
        clean.append({"text": text.strip()[:300], "done": done})
    return clean


def task_create(*, actor: User, values: dict[str, Any]) -> Task:
    """Set a task for ``values["owner"]`` (default: the actor); ``actor`` is its author.

    Assigning to someone else needs a create scope that reaches them (branch, team or all).
    """
    cleaned, errors = _prepare(actor, values)
    if not cleaned.get("title") and "title" not in errors:
        errors["title"] = [_("This field is required.")]
    cleaned["author"] = actor
    return common.create(actor, Task, cleaned, errors)


def _base(
    due_date: datetime.date | None, due_at: datetime.datetime | None
) -> datetime.datetime | None:
    """The moment a due date stands for: its time, or the start of its day."""
    if due_at is not None:
        return due_at
    if due_date is not None:
        return timezone.make_aware(datetime.datetime.combine(due_date, MIDNIGHT))
    return None


def _shifted_reminder(
    task: Task, cleaned: dict[str, Any], now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """``task``'s reminder moved as far as ``cleaned`` moves its due date (a reminder is set
    relative to the due moment: moved without a word about it, it keeps its distance).

    A moment that has already passed becomes now: the reminders' sweep then rings it at once
    instead of never (it looks back only a day).
    """
    assert task.remind_at is not None
    old = _base(task.due_date, task.due_at)
    new = _base(cleaned.get("due_date", task.due_date), cleaned.get("due_at", task.due_at))
    if old is None or new is None:
        return task.remind_at
    return max(task.remind_at + (new - old), now or timezone.now())


def task_update(*, actor: User, task: Task, version: int, values: dict[str, Any]) -> Task:
    """Edit a task if ``version`` is current (its assignee, or whoever set it).

    Moving the due date without saying when to remind (an API PATCH of ``due_at`` or
    ``due_date`` alone, a snooze) moves the reminder by the same shift, so it rings again before
    the new due moment: the reminders' sweep plans each moment once.
    """
    cleaned, errors = _prepare(actor, values, task)
    moves_due = "due_date" in cleaned or "due_at" in cleaned
    if moves_due and "remind_at" not in cleaned and task.remind_at is not None:
        cleaned["remind_at"] = _shifted_reminder(task, cleaned)
    if "recurrence" not in cleaned and "due_date" in cleaned and task.recurrence:
        if cleaned["due_date"] is None:
            errors["due_date"] = [_("A repeating task needs a due date.")]
        elif recurrence.preset_of(task.recurrence) in ("weekly", "monthly"):
            # A preset follows the due day it was set on: moved, the task repeats from there.
            preset = recurrence.preset_of(task.recurrence)
            cleaned["recurrence"] = recurrence.preset_rule(preset, cleaned["due_date"])
    return common.update(actor, task, version, cleaned, errors)


#: what "Snooze" offers: in an hour and in three (a task with a time, still today), tomorrow,
#: next Monday
SNOOZES = ("hour", "three_hours", "tomorrow", "monday")


def snooze_choices(
    task: Task, now: datetime.datetime
) -> dict[str, tuple[datetime.date, datetime.datetime | None]]:
    """Where "Snooze" may move ``task`` as of ``now``: {choice: (due date, due time or None)}.

    "In an hour" and "in three hours" count from now (an overdue task is due again soon) and
    only while that is still today; tomorrow and next Monday keep the task's time of day.
    """
    today = timezone.localdate(now)
    choices: dict[str, tuple[datetime.date, datetime.datetime | None]] = {}
    if task.due_at is not None:
        for key, hours in (("hour", 1), ("three_hours", 3)):
            moment = (now + datetime.timedelta(hours=hours)).replace(second=0, microsecond=0)
            if timezone.localdate(moment) == today:
                choices[key] = (today, moment)
    tomorrow = today + datetime.timedelta(days=1)
    monday = today + datetime.timedelta(days=7 - today.weekday())
    for key, day in (("tomorrow", tomorrow), ("monday", monday)):
        if key == "monday" and day == tomorrow:
            continue  # on a Sunday "tomorrow" says it
        at = None
        if task.due_at is not None:
            clock_time = timezone.localtime(task.due_at).time()
            at = timezone.make_aware(datetime.datetime.combine(day, clock_time))
        choices[key] = (day, at)
    return choices


def task_snooze(
    *,
    actor: User,
    task: Task,
    version: int,
    choice: str,
    now: datetime.datetime | None = None,
) -> Task:
    """Move an open task's due date as ``choice`` (one of :data:`SNOOZES`) says, if
    ``version`` is current; its reminder moves by the same shift (see :func:`task_update`)."""
    if not access.can(actor, "edit", task):
        raise NotFoundError()
    if task.done_at is not None:
        raise DomainError(_("“%(name)s” is already done.") % {"name": task})
    found = snooze_choices(task, now or timezone.now()).get(choice)
    if found is None:
        raise DomainError(_("Choose when to do it."), fields={"due_date": [_("Choose when.")]})
    due_date, due_at = found
    values: dict[str, Any] = {"due_date": due_date, "due_at": due_at}
    if task.remind_at is not None:
        values["remind_at"] = _shifted_reminder(task, values, now)
    return task_update(actor=actor, task=task, version=version, values=values)


def for_snooze(before: Task, after: Task) -> Undo:
    """The undo of a snooze: ``after``'s due date and reminder back as ``before`` had them."""
    return Undo(
        "task_snooze",
        {
            "pk": after.pk,
            "version": after.version,
            "due_date": before.due_date.isoformat() if before.due_date else None,
            "due_at": before.due_at.isoformat() if before.due_at else None,
            "remind_at": before.remind_at.isoformat() if before.remind_at else None,
        },
    )


def undo_snooze(actor: User, data: dict[str, Any]) -> str:
    """Put a snoozed task back where it was, unless someone changed it since."""
    task = Task.objects.filter(pk=data.get("pk")).first()
    if task is None or not access.can(actor, "edit", task):
        raise NotFoundError()
    if task.version != data.get("version"):
        raise ConflictError(
            current_version=task.version,
            changes=[],
            message=_("“%(name)s” was changed since; it stays where it is.") % {"name": task},
        )

    def moment(name: str) -> Any:
        return datetime.datetime.fromisoformat(data[name]) if data.get(name) else None

    due_date = datetime.date.fromisoformat(data["due_date"]) if data.get("due_date") else None
    task_update(
        actor=actor,
        task=task,
        version=task.version,
        values={"due_date": due_date, "due_at": moment("due_at"), "remind_at": moment("remind_at")},
    )
    return _("“%(name)s” is back on its date.") % {"name": task}


def task_complete(*, actor: User, task: Task, version: int | None = None) -> Task:
    """Mark a task done (``version`` None: whatever the current one is — a one-click tick).

    A repeating task's next occurrence is created in the same transaction, exactly once: a
    second completion (a double click, a completion after an undo that kept a changed next
    occurrence) finds it and creates none; the one-to-one link makes a race fail, not duplicate.
    """
    with transaction.atomic():
        done, changed = _set_done(actor, task, version, done=True)
        if changed and done.recurrence:
            _create_next(actor, done)
    return done


def task_reopen(*, actor: User, task: Task, version: int | None = None) -> Task:
    """Take back a task's "done"; a next occurrence its completion created and nobody has
    touched since goes with it (a changed one stays: someone is working on it)."""
    with transaction.atomic():
        reopened, changed = _set_done(actor, task, version, done=False)
        if changed:
            following = Task.all_objects.filter(follows=reopened).first()
            if (
                following is not None
                and following.version == 1
                and following.done_at is None
                and following.deleted_at is None
            ):
                records.purge_record(actor=actor, obj=following)
    return reopened


def _set_done(actor: User, task: Task, version: int | None, *, done: bool) -> tuple[Task, bool]:
    """The task with "done" set as asked, and whether that changed anything."""
    if not access.can(actor, "edit", task):
        raise NotFoundError()
    current = Task.objects.select_for_update().filter(pk=task.pk).first()
    if current is None:
        raise NotFoundError()
    if version is not None and current.version != version:
        raise ConflictError(current_version=current.version, changes=[])
    if (current.done_at is not None) == done:
        return current, False
    values: dict[str, Any] = (
        {"done_at": timezone.now(), "done_by": actor}
        if done
        else {"done_at": None, "done_by": None}
    )
    updated = records.update_record(
        actor=actor, obj=current, version=current.version, values=values
    )
    return updated, True


def next_occurrence_values(task: Task) -> dict[str, Any] | None:
    """What the occurrence after ``task`` is (None: the series is over, or has no due date)."""
    rule = recurrence.following_rule(task.recurrence)
    if rule is None or task.due_date is None:
        return None
    try:
        found = recurrence.next_due(task.recurrence, due_date=task.due_date, due_at=task.due_at)
    except recurrence.RuleError:
        return None  # a rule written before it was checked: the series just stops
    if found is None:
        return None
    due_date, due_at = found
    remind_at = None
    if task.remind_at is not None:
        # The reminder keeps its distance from the due moment (or from the due day's start).
        base = task.due_at or timezone.make_aware(
            datetime.datetime.combine(task.due_date, MIDNIGHT)
        )
        new_base = due_at or timezone.make_aware(datetime.datetime.combine(due_date, MIDNIGHT))
        remind_at = new_base - (base - task.remind_at)
    return {
        "title": task.title,
        "description": task.description,
        "priority": task.priority,
        "company": task.company,
        "contact": task.contact,
        "owner": task.owner,
        "branch": task.branch,
        "author": task.author,
        "recurrence": rule,
        "checklist": [{"text": item["text"], "done": False} for item in task.checklist or []],
        "due_date": due_date,
        "due_at": due_at,
        "remind_at": remind_at,
        "follows": task,
    }


def _create_next(actor: User, task: Task) -> Task | None:
    # Exactly once: the link to the done occurrence is unique, and checked first.
    if Task.all_objects.filter(follows=task).exists():
        return None
    values = next_occurrence_values(task)
    if values is None:
        return None
    # The series was allowed when it was set: its next occurrence needs no new placing right.
    return records.create_record(actor=actor, model=Task, values=values)


def for_done(task: Task) -> Undo:
    """The undo of a tick: reopen ``task`` if nobody changed it since."""
    return Undo("task_done", {"pk": task.pk, "version": task.version})


def undo_done(actor: User, data: dict[str, Any]) -> str:
    """Reopen a task ticked done a moment ago (the handler of :func:`for_done`)."""
    task = Task.objects.filter(pk=data.get("pk")).first()
    if task is None or not access.can(actor, "edit", task):
        raise NotFoundError()
    if task.done_at is None:
        raise NothingToUndoError(_("“%(name)s” is already open.") % {"name": task})
    if task.version != data.get("version"):
        raise ConflictError(
            current_version=task.version,
            changes=[],
            message=_("“%(name)s” was changed since it was ticked; reopen it on its page.")
            % {"name": task},
        )
    task_reopen(actor=actor, task=task, version=task.version)
    return _("“%(name)s” is open again.") % {"name": task}


def checklist_change(
    *, actor: User, task: Task, version: int, op: str, index: int = -1, text: str = ""
) -> Task:
    """Add an item (``op`` "add"), tick or untick one ("toggle") or remove one ("remove")."""
    items = [dict(item) for item in task.checklist or []]
    if op == "add":
        items.append({"text": text, "done": False})
    elif op in ("toggle", "remove") and 0 <= index < len(items):
        if op == "toggle":
            items[index]["done"] = not items[index].get("done")
        else:
            items.pop(index)
    else:
        raise DomainError(fields={"checklist": [_("No such checklist item.")]})
    return task_update(actor=actor, task=task, version=version, values={"checklist": items})


def task_trash(*, actor: User, task: Task) -> None:
    """Move a task to the trash."""
    common.trash(actor, task)


def comment_add(*, actor: User, task: Task, body: str) -> TaskComment:
    """Comment on a task one may see; the comment is audited on the task."""
    if not access.can(actor, "view", task):
        raise NotFoundError()
    text = (body or "").strip()
    if not text:
        raise DomainError(fields={"body": [_("Write something first.")]})
    with transaction.atomic():
        comment = TaskComment.objects.create(task=task, author=actor, body=text[:5000])
        audit.record(
            actor=actor, action=AuditEntry.Action.UPDATE, obj=task, changes={"comment": ["", text]}
        )
    return comment
