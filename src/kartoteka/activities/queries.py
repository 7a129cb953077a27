"""Every read of activities, tasks and calendar events, already scoped to the reader."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kartoteka.accounts.models import User
from kartoteka.activities.models import Activity, CalendarEvent, Task
from kartoteka.core import access


def activities(user: User, action: str = "view") -> QuerySet[Activity]:
    """Activities ``user`` may ``action``: within the role's scope, on clients they may see."""
    return access.scoped(Activity.objects.all(), user, action).select_related(
        "owner", "company", "contact", "reason"
    )


def tasks(user: User, action: str = "view") -> QuerySet[Task]:
    """Tasks ``user`` may ``action``: the role's scope over assignees, plus those they set."""
    return access.scoped(Task.objects.all(), user, action).select_related(
        "owner", "author", "company", "contact"
    )


def events(user: User, action: str = "view") -> QuerySet[CalendarEvent]:
    """Calendar events ``user`` may ``action``: the role's scope, plus those they take part in."""
    return access.scoped(CalendarEvent.objects.all(), user, action).select_related(
        "owner", "company", "contact"
    )


def one(queryset: QuerySet[Any], pk: int) -> Any:
    """One record of an already scoped queryset, or NotFoundError."""
    return access.one_or_404(queryset, pk=pk)
