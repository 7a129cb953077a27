"""Activities, tasks and calendar events: record kinds on the platform's registry."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.activities import fields
from kartoteka.activities.models import Activity, CalendarEvent, Task
from kartoteka.core import kinds

ALL = dict.fromkeys(kinds.ACTIONS, "all")
#: An activity also needs its client to be visible, so "view: all" means "everything logged on
#: the clients I can see": a manager who takes over a client reads its whole history.
ACTIVITY_GRANTS = {
    "head_of_sales": ALL,
    "branch_head": {
        "view": "all",
        "create": "branch",
        "edit": "branch",
        "delete": "branch",
        "export": "branch",
        "assign": "branch",
    },
    "sales_manager": {
        "view": "all",
        "create": "own",
        "edit": "own",
        "delete": "own",
        "export": "own",
    },
    "service_agent": {"view": "all", "create": "own", "edit": "own", "delete": "own"},
    "marketer": {"view": "all", "export": "all"},
    "auditor": {"view": "all"},
}
#: Tasks: one's own (plus those one set); managers may set tasks for colleagues of their branch.
TASK_GRANTS = {
    "head_of_sales": ALL,
    "branch_head": dict.fromkeys(kinds.ACTIONS, "branch"),
    "sales_manager": {
        "view": "own",
        "create": "branch",
        "edit": "own",
        "delete": "own",
        "export": "own",
    },
    "service_agent": {"view": "own", "create": "branch", "edit": "own", "delete": "own"},
    "marketer": {"view": "own", "create": "own", "edit": "own", "delete": "own"},
    "auditor": {"view": "all"},
}
#: Calendars: colleagues of one's branch side by side; one's own meetings to change.
EVENT_GRANTS = {
    "head_of_sales": ALL,
    "branch_head": dict.fromkeys(kinds.ACTIONS, "branch"),
    "sales_manager": {"view": "branch", "create": "own", "edit": "own", "delete": "own"},
    "service_agent": {"view": "branch", "create": "own", "edit": "own", "delete": "own"},
    "marketer": {"view": "branch", "create": "own", "edit": "own", "delete": "own"},
    "auditor": {"view": "all"},
}


def activity_kind() -> kinds.RecordKind:
    return kinds.RecordKind(
        model=Activity,
        entity="activities",
        code="activity",
        label=Activity._meta.verbose_name,
        plural=Activity._meta.verbose_name_plural,
        list_url="activities:activity-list",
        detail_url="activities:activity-detail",
        fields=fields.ACTIVITY_FIELDS,
        columns=fields.ACTIVITY_COLUMNS,
        default_columns=fields.ACTIVITY_DEFAULT_COLUMNS,
        custom_fields=False,
        tags=False,
        # History stays with whoever made it.
        handover=False,
        builtin_grants=ACTIVITY_GRANTS,
        position=30,
    )


def task_kind() -> kinds.RecordKind:
    return kinds.RecordKind(
        model=Task,
        entity="tasks",
        code="task",
        label=Task._meta.verbose_name,
        plural=Task._meta.verbose_name_plural,
        list_url="activities:task-list",
        detail_url="activities:task-detail",
        create_url="activities:task-create",
        create_label=_("New task"),
        fields=fields.TASK_FIELDS,
        columns=fields.TASK_COLUMNS,
        default_columns=fields.TASK_DEFAULT_COLUMNS,
        custom_fields=False,
        tags=False,
        builtin_grants=TASK_GRANTS,
        position=40,
    )


def event_kind() -> kinds.RecordKind:
    return kinds.RecordKind(
        model=CalendarEvent,
        entity="events",
        code="event",
        label=CalendarEvent._meta.verbose_name,
        plural=CalendarEvent._meta.verbose_name_plural,
        list_url="activities:calendar",
        detail_url="activities:event-detail",
        create_url="activities:event-create",
        create_label=pgettext_lazy("calendar", "New meeting"),
        fields=fields.EVENT_FIELDS,
        columns=fields.EVENT_COLUMNS,
        default_columns=fields.EVENT_DEFAULT_COLUMNS,
        custom_fields=False,
        tags=False,
        builtin_grants=EVENT_GRANTS,
        position=45,
    )


def register() -> None:
    kinds.register_kind(activity_kind())
    kinds.register_kind(task_kind())
    kinds.register_kind(event_kind())
