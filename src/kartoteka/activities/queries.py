"""Every read of activities, tasks and calendar events, already scoped to the reader."""

from __future__ import annotations

from typing import Any

from django.db.models import BigIntegerField, Case, F, Prefetch, Q, QuerySet, Value, When

from kartoteka.accounts.models import User
from kartoteka.activities.models import Activity, CalendarEvent, EventParticipant, Task
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


def _seen_link(user: User, model: type[Any], name: str) -> Any:
    """The ``name`` link's id where ``user`` may see that record (and it is not in the trash),
    else NULL: one expression in the same query, no query per row."""
    condition = access.visible(user, model, through=f"{name}__")
    if condition is None:
        return Value(None, output_field=BigIntegerField())
    shown = Q(**{f"{name}__deleted_at__isnull": True})
    if condition != Q():  # (an empty Q is "every record"; When() refuses it)
        shown &= condition
    return Case(When(shown, then=F(f"{name}_id")), default=None, output_field=BigIntegerField())


def api_rows(user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``queryset`` (one of the three kinds, already scoped) loading what the API prints: links
    as ids without joins, and for tasks and events the client links only as far as ``user`` may
    see them (a task delegated by someone who sees more may name a company the assignee cannot
    see; an activity exists only while its clients are visible, so its links always are)."""
    from kartoteka.clients.models import Company, Contact

    rows = queryset.select_related(None)
    if queryset.model is not Activity:
        rows = rows.annotate(
            seen_company_id=_seen_link(user, Company, "company"),
            seen_contact_id=_seen_link(user, Contact, "contact"),
        )
    if queryset.model is CalendarEvent:
        rows = rows.prefetch_related(
            Prefetch(
                "eventparticipant_set",
                queryset=EventParticipant.objects.only("event_id", "user_id").order_by("user_id"),
            )
        )
    return rows
