"""The field lists of activities, tasks and calendar events (see :class:`core.kinds.Field`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kartoteka.core.kinds import BRANCH, CHOICE, DATE, DATETIME, PERSON, TEXT, Field


def _name(value: Any) -> str:
    return str(value) if value is not None else ""


def _company(record: Any) -> str:
    return _name(record.company)


def _contact(record: Any) -> str:
    return _name(record.contact)


_CLIENT = (
    Field("company", type=TEXT, api=True, filter="company_id", column="company", export=_company),
    Field("contact", type=TEXT, api=True, filter="contact_id", column="contact", export=_contact),
)
_PLACE = (
    Field("branch", type=BRANCH, filter="branch_id", column="branch", export=True),
    Field("created_at", _("Added"), type=DATETIME, sort="created", export=True),
    Field("updated_at", _("Changed"), type=DATETIME, sort="updated", export=True),
)

ACTIVITY_FIELDS = (
    Field("id", "ID", export=True),
    Field("type", type=CHOICE, api=True, filter="type", column="type", export=True, rule=True),
    Field("occurred_at", type=DATETIME, api=True, sort="occurred", column="occurred", export=True),
    Field("subject", api=True, sort="subject", column="subject", export=True),
    Field("body", api=True, export=True),
    *_CLIENT,
    Field("direction", type=CHOICE, api=True, filter="direction", export=True),
    Field("duration", api=True, export=True),
    Field("outcome", type=CHOICE, api=True, filter="outcome", column="outcome", export=True),
    Field("result", api=True, export=True),
    Field("reason", api=True, filter="reason_id", export=lambda a: _name(a.reason)),
    Field("product_text", api=True, column="product", export=True),
    Field("place", api=True, export=True),
    Field("recording_url", api=True, export=True),
    Field("owner", _("Author"), type=PERSON, filter="owner_id", column="owner", export=True),
    *_PLACE,
)
ACTIVITY_COLUMNS = ("occurred", "type", "subject", "company", "contact", "outcome", "owner")
ACTIVITY_DEFAULT_COLUMNS = ("occurred", "type", "subject", "company", "contact", "owner")

TASK_FIELDS = (
    Field("id", "ID", export=True),
    Field("title", api=True, form=True, sort="title", column="title", export=True, rule=True),
    Field("description", api=True, form=True, export=True),
    Field("due_date", type=DATE, api=True, form=True, sort="due", column="due", export=True),
    Field("due_at", type=DATETIME, api=True, form=True, export=True),
    Field("remind_at", type=DATETIME, api=True, form=True, export=True),
    Field(
        "priority",
        type=CHOICE,
        api=True,
        form=True,
        bulk=True,
        filter="priority",
        sort="priority",
        column="priority",
        export=True,
        rule=True,
    ),
    Field("done_at", type=DATETIME, api=True, column="done", export=True),
    *_CLIENT,
    Field("recurrence", api=True, form=True, export=True),
    Field(
        "owner",
        _("Assignee"),
        type=PERSON,
        form=True,
        bulk=True,
        filter="owner_id",
        column="owner",
        export=True,
        rule=True,
    ),
    Field("author", _("Set by"), type=PERSON, filter="author_id", column="author", export=True),
    *_PLACE,
)
TASK_COLUMNS = ("due", "title", "priority", "company", "contact", "owner", "author", "done")
TASK_DEFAULT_COLUMNS = ("due", "title", "priority", "company", "contact", "owner")

EVENT_FIELDS = (
    Field("id", "ID", export=True),
    Field("title", api=True, form=True, sort="title", column="title", export=True),
    Field(
        "starts_at", type=DATETIME, api=True, form=True, sort="starts", column="starts", export=True
    ),
    Field("ends_at", type=DATETIME, api=True, form=True, column="ends", export=True),
    Field("all_day", api=True, form=True, export=True),
    Field("location", api=True, form=True, column="location", export=True),
    Field("description", api=True, form=True, export=True),
    *_CLIENT,
    Field(
        "owner",
        _("Organiser"),
        type=PERSON,
        form=True,
        filter="owner_id",
        column="owner",
        export=True,
    ),
    *_PLACE,
)
EVENT_COLUMNS = ("starts", "ends", "title", "location", "company", "contact", "owner")
EVENT_DEFAULT_COLUMNS = ("starts", "title", "location", "company", "owner")
