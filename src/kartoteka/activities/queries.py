"""Every read of activities, tasks and calendar events, already scoped to the reader."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.activities.models import (
    Activity,
    CalendarEvent,
    EventParticipant,
    Task,
    TaskComment,
)
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


# --- Tasks: lists, "My day" and the people one works with -------------------------------------
#: "upcoming" on My day: the next this many days after today
UPCOMING_DAYS = 7
#: rows of one bucket or list page (the rest is one click away, in the task list)
SHOWN = 100
TABS = ("mine", "delegated", "overdue", "today", "upcoming", "done")
#: the task view scopes that make someone a head: they see others' tasks
HEAD_SCOPES = frozenset({"team", "branch", "all"})


def open_tasks(queryset: QuerySet[Task]) -> QuerySet[Task]:
    return queryset.filter(done_at__isnull=True)


def by_due(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """Soonest first; tasks with a time before the day's others; no date last."""
    return queryset.order_by(
        F("due_date").asc(nulls_last=True), F("due_at").asc(nulls_first=True), "id"
    )


def overdue(queryset: QuerySet[Task], today: datetime.date) -> QuerySet[Task]:
    return open_tasks(queryset).filter(due_date__lt=today)


def due_today(queryset: QuerySet[Task], today: datetime.date) -> QuerySet[Task]:
    return open_tasks(queryset).filter(due_date=today)


def upcoming(queryset: QuerySet[Task], today: datetime.date) -> QuerySet[Task]:
    last = today + datetime.timedelta(days=UPCOMING_DAYS)
    return open_tasks(queryset).filter(due_date__gt=today, due_date__lte=last)


def sees_others_tasks(user: User) -> bool:
    """A head: their role shows them the tasks of a team, a branch or everyone."""
    return bool(access.scopes_for(user, "tasks", "view") & HEAD_SCOPES)


def _people(user: User, scopes: set[str]) -> QuerySet[User]:
    people = User.objects.filter(is_active=True)
    if "all" in scopes:
        return people
    condition = Q(pk=user.pk) if scopes else Q(pk__in=[])
    if "branch" in scopes:
        condition |= Q(branch_id=user.branch_id)
    if "team" in scopes:
        condition |= Q(teams__members=user)
    return people.filter(condition).distinct()


def task_people(user: User) -> QuerySet[User]:
    """People whose tasks ``user`` may see (the list's assignee filter): their role's scope."""
    return _people(user, access.scopes_for(user, "tasks", "view")).order_by(
        "last_name", "first_name", "id"
    )


def assignable_people(user: User) -> QuerySet[User]:
    """People ``user`` may set a task for: the create scope (own: oneself; team: teammates of
    one's branch; branch: one's branch; all: everyone)."""
    scopes = access.scopes_for(user, "tasks", "create")
    people = _people(user, scopes)
    if "team" in scopes and not scopes & {"branch", "all"}:
        people = people.filter(branch_id=user.branch_id)
    return people.select_related("branch").order_by("last_name", "first_name", "id")


def task_list(
    user: User, *, tab: str, today: datetime.date, assignee: int | None
) -> QuerySet[Task]:
    """The task list's rows: ``tab`` of :data:`TABS`, for one assignee (None: anyone in scope;
    "delegated" ignores it: tasks ``user`` set for others)."""
    queryset = tasks(user)
    if tab == "delegated":
        return by_due(open_tasks(queryset.filter(author=user).exclude(owner=user)))
    if assignee is not None:
        queryset = queryset.filter(owner_id=assignee)
    if tab == "overdue":
        return by_due(overdue(queryset, today))
    if tab == "today":
        return by_due(due_today(queryset, today))
    if tab == "upcoming":
        return by_due(open_tasks(queryset).filter(due_date__gt=today))
    if tab == "done":
        return queryset.filter(done_at__isnull=False).order_by("-done_at", "-id")
    return by_due(open_tasks(queryset))


def task_card(user: User, pk: int) -> Task:
    """One task for its card, with its checklist and comment authors read in one go."""
    found: Task = one(
        tasks(user)
        .select_related("done_by", "branch")
        .prefetch_related(
            Prefetch("comments", queryset=TaskComment.objects.select_related("author"))
        ),
        pk,
    )
    return found


def team_overdue(user: User, today: datetime.date) -> list[tuple[User, int, datetime.date]]:
    """Open overdue tasks of the people ``user`` sees, per assignee: (person, count, oldest due),
    most first; two queries whatever the numbers."""
    rows = list(
        overdue(tasks(user), today)
        .order_by()
        .values("owner_id")
        .annotate(count=Count("id"), oldest=Min("due_date"))
        .order_by("-count", "owner_id")[:SHOWN]
    )
    people = User.objects.in_bulk([row["owner_id"] for row in rows if row["owner_id"]])
    return [
        (people[row["owner_id"]], row["count"], row["oldest"])
        for row in rows
        if row["owner_id"] in people
    ]


def meetings_on(user: User, day: datetime.date) -> QuerySet[CalendarEvent]:
    """Calendar events on ``day`` that ``user`` organises or takes part in."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    end = start + datetime.timedelta(days=1)
    mine = EventParticipant.objects.filter(user=user).values("event_id")
    return (
        events(user)
        .filter(Q(owner=user) | Q(pk__in=mine), starts_at__lt=end, ends_at__gte=start)
        .order_by("starts_at", "id")
    )
