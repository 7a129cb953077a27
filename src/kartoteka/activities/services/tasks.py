"""Tasks: setting, changing, completing and reopening them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activities.models import Task, TaskComment
from kartoteka.activities.services import common
from kartoteka.core import access, audit, records
from kartoteka.core.errors import DomainError, NotFoundError
from kartoteka.core.models import AuditEntry

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


def _prepare(actor: User, values: dict[str, Any]) -> tuple[dict[str, Any], common.Errors]:
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
    return cleaned, errors


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


def task_update(*, actor: User, task: Task, version: int, values: dict[str, Any]) -> Task:
    """Edit a task if ``version`` is current (its assignee, or whoever set it)."""
    cleaned, errors = _prepare(actor, values)
    return common.update(actor, task, version, cleaned, errors)


def task_complete(*, actor: User, task: Task, version: int | None = None) -> Task:
    """Mark a task done (``version`` None: whatever the current one is — a one-click tick)."""
    return _set_done(actor, task, version, done=True)


def task_reopen(*, actor: User, task: Task, version: int | None = None) -> Task:
    """Take back a task's "done"."""
    return _set_done(actor, task, version, done=False)


def _set_done(actor: User, task: Task, version: int | None, *, done: bool) -> Task:
    if not access.can(actor, "edit", task):
        raise NotFoundError()
    if (task.done_at is not None) == done:
        return task
    values: dict[str, Any] = (
        {"done_at": timezone.now(), "done_by": actor}
        if done
        else {"done_at": None, "done_by": None}
    )
    return records.update_record(
        actor=actor, obj=task, version=task.version if version is None else version, values=values
    )


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
