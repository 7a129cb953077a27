"""Every read of activities, tasks and calendar events, already scoped to the reader."""

from __future__ import annotations

import datetime
import hmac
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import connection
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
    CalendarFeed,
    EventParticipant,
    Task,
    TaskComment,
)
from kartoteka.core import access

#: the links an activity and a task are read with wherever they are shown
ACTIVITY_LINKS = ("owner", "company", "contact", "reason")
TASK_LINKS = ("owner", "author", "company", "contact")


def activities(user: User, action: str = "view") -> QuerySet[Activity]:
    """Activities ``user`` may ``action``: within the role's scope, on clients they may see."""
    return access.scoped(Activity.objects.all(), user, action).select_related(*ACTIVITY_LINKS)


def may_change(user: User, activities: list[Activity]) -> tuple[set[int], set[int]]:
    """Of ``activities`` (ones ``user`` sees), the ids of those they may edit, and of those they
    may delete (see :func:`kartoteka.core.access.permitted`)."""
    allowed = access.permitted_each(user, ("edit", "delete"), activities)
    return allowed["edit"], allowed["delete"]


def tasks(user: User, action: str = "view") -> QuerySet[Task]:
    """Tasks ``user`` may ``action``: the role's scope over assignees, plus those they set."""
    return access.scoped(Task.objects.all(), user, action).select_related(*TASK_LINKS)


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


#: what My day prints of a task and of who set it; the assignee is the reader, and the client's
#: name comes with the check that the reader may see it (``mark_clients``)
DAY_FIELDS = (
    *("id", "owner", "title", "priority", "version", "due_date", "due_at", "done_at"),
    *("author", "company", "contact"),
    *("author__first_name", "author__last_name", "author__username"),
)


def own_tasks(user: User) -> QuerySet[Task]:
    """The tasks assigned to ``user`` that they may see, with only what My day prints of them.
    Where the role's scope covers one's own tasks whatever their branch (own, team, all) this is
    a plain filter on the assignee, so the open tasks' (assignee, due date) index serves it; the
    full rule's OR (shares, tasks one set) would make the database walk every task the reader
    can see. Each join and unused column cost more than the rows' reading (PostgreSQL plans
    a four-join query for longer than it runs it), so only the author is joined."""
    if access.scopes_for(user, "tasks", "view") & {"own", "team", "all"}:
        mine = Task.objects.filter(owner=user)
    else:
        mine = tasks(user).filter(owner=user)
    return mine.select_related(None).select_related("author").only(*DAY_FIELDS)


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


def meetings_on(user: User, day: datetime.date, limit: int = SHOWN) -> QuerySet[CalendarEvent]:
    """The first ``limit`` calendar events on ``day`` (by start) that ``user`` organises or
    takes part in. Two queries: the day's ids, then the rows (none if it has none)."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    end = start + datetime.timedelta(days=1)
    mine = EventParticipant.objects.filter(user=user).values("event_id")
    # On the day: started during it, or before it and still running (an event never ends
    # before it starts). As these two ranges the database reads the index entries of the day's
    # events and of the unfinished ones, where "starts before tonight, ends after this morning"
    # walks every event that ever started. The ids come unordered and unsliced (a person's day
    # holds few events): asked for the first 30 by start, PostgreSQL expects them early in the
    # start-time index and walks that instead.
    visible = events(user)  # (the scoping rule is built once, for both queries)
    found = (
        visible.filter(Q(owner=user) | Q(pk__in=mine))
        .filter(
            Q(starts_at__gte=start, starts_at__lt=end) | Q(starts_at__lt=start, ends_at__gte=start)
        )
        .values_list("starts_at", "pk")
    )
    first = [pk for _starts, pk in sorted(found)[:limit]]
    if not first:
        return visible.none()
    return visible.filter(pk__in=first).order_by("starts_at", "id")


# --- The calendar ------------------------------------------------------------------------------
#: the calendars one may open: one's own, one's team's, one's branch's, everyone's
CIRCLES = ("me", "team", "branch", "all")


def calendar_circles(user: User) -> list[str]:
    """The calendars ``user`` may open, from the scope of their "events: view" grant."""
    scopes = access.scopes_for(user, "events", "view")
    if not scopes:
        return []
    if "all" in scopes:
        return list(CIRCLES)
    circles = ["me"]
    if "team" in scopes or "branch" in scopes:
        circles.append("team")
    if "branch" in scopes:
        circles.append("branch")
    return circles


def calendar_people(user: User, circle: str) -> QuerySet[User]:
    """The people whose calendars ``circle`` shows side by side, within ``user``'s reach:
    oneself; one's teammates; one's branch; everyone (active people only)."""
    people = User.objects.filter(is_active=True).select_related("branch")
    if circle not in calendar_circles(user) or circle == "me":
        people = people.filter(pk=user.pk)
    elif circle == "team":
        people = people.filter(Q(pk=user.pk) | Q(teams__members=user)).distinct()
    elif circle == "branch":
        people = people.filter(branch_id=user.branch_id)  # type: ignore[attr-defined]
    return people.order_by("last_name", "first_name", "username")


def invitable_people(user: User) -> QuerySet[User]:
    """Whom ``user`` may invite to a meeting, or hand a meeting over to: the people of the
    widest calendar they may open (nobody but themself without a calendar)."""
    circles = calendar_circles(user)
    return calendar_people(user, circles[-1] if circles else "me")


def calendar_events(
    user: User, start: datetime.datetime, end: datetime.datetime, people: list[int]
) -> list[CalendarEvent]:
    """Events ``user`` may see that overlap [start, end) and in which one of ``people`` takes
    part, each with ``participant_ids`` (who of them takes part, and everyone else),
    ``may_edit``, ``clash_with`` (ids of the participants double-booked by it) and the clients
    ``user`` may see (:func:`visible_clients`).

    Seven queries whatever the range holds: events, participants, editable ids, visible
    companies and contacts, and the overlapping events of the same participants for the clash
    marks.
    """
    taking_part = EventParticipant.objects.filter(user_id__in=people).values("event_id")
    found = list(
        events(user)
        .filter(starts_at__lt=end, ends_at__gt=start, pk__in=taking_part)
        .order_by("starts_at", "pk")
    )
    ids = [event.pk for event in found]
    who: dict[int, list[int]] = defaultdict(list)
    for event_id, user_id in EventParticipant.objects.filter(event_id__in=ids).values_list(
        "event_id", "user_id"
    ):
        who[event_id].append(user_id)
    editable = set(events(user, "edit").filter(pk__in=ids).values_list("pk", flat=True))
    visible_clients(user, found)
    clashes = _clashes(user, start, end, {pk for pks in who.values() for pk in pks})
    for event in found:
        event.participant_ids = sorted(who.get(event.pk, []))  # type: ignore[attr-defined]
        event.may_edit = event.pk in editable  # type: ignore[attr-defined]
        event.clash_with = sorted(clashes.get(event.pk, set()))  # type: ignore[attr-defined]
    return found


def visible_clients(user: User, found: Sequence[CalendarEvent | Activity]) -> None:
    """Set ``company_shown`` and ``contact_shown`` on each event (or activity): its client if
    ``user`` may see it, else None. A meeting's participants see it even where its client is
    hidden from them, so the client's name must not travel with it. Two queries for the whole
    list."""
    from kartoteka.clients.models import Company, Contact

    for name, model in (("company", Company), ("contact", Contact)):
        ids = {getattr(event, f"{name}_id") for event in found} - {None}
        seen = (
            set(access.scoped(model.objects.filter(pk__in=ids), user).values_list("pk", flat=True))
            if ids
            else set()
        )
        for event in found:
            linked = getattr(event, name) if getattr(event, f"{name}_id") in seen else None
            setattr(event, f"{name}_shown", linked)


def _clashes(
    user: User, start: datetime.datetime, end: datetime.datetime, people: set[int]
) -> dict[int, set[int]]:
    """{event id: participants it double-books} among the timed events ``user`` may see that
    overlap [start, end) (an all-day mark such as a birthday clashes with nothing)."""
    rows = (
        EventParticipant.objects.filter(
            user_id__in=people,
            event__in=events(user).filter(starts_at__lt=end, ends_at__gt=start, all_day=False),
        )
        .values_list("user_id", "event_id", "event__starts_at", "event__ends_at")
        .order_by("user_id", "event__starts_at")
    )
    by_person: dict[int, list[tuple[int, datetime.datetime, datetime.datetime]]] = defaultdict(list)
    for person, event_id, starts, ends in rows:
        by_person[person].append((event_id, starts, ends))
    found: dict[int, set[int]] = defaultdict(set)
    for person, timeline in by_person.items():
        # Sorted by start: each event clashes with those starting before it ends.
        for index, (event_id, _starts, ends) in enumerate(timeline):
            for other_id, other_starts, _other_ends in timeline[index + 1 :]:
                if other_starts >= ends:
                    break
                found[event_id].add(person)
                found[other_id].add(person)
    return found


def active_feed(user: User) -> CalendarFeed | None:
    """``user``'s current iCalendar subscription, if they made one and did not revoke it."""
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).order_by("-pk").first()


def active_feed_key_column() -> str:
    """SQL over a user's row ``u``: the key of their live subscription (``active_feed``'s), for
    reading with the rest of their own record."""
    quote = connection.ops.quote_name
    return (
        f"(SELECT f.{quote('key')} FROM {quote(CalendarFeed._meta.db_table)} f"  # noqa: S608
        " WHERE f.user_id = u.id AND f.revoked_at IS NULL ORDER BY f.id DESC LIMIT 1)"
    )


def feed_by_token(token: str) -> CalendarFeed | None:
    """The live subscription a feed address names; None for a made-up, revoked or forged one."""
    key, _, signature = token.partition(".")
    if not key or not hmac.compare_digest(signature, CalendarFeed.signature(key)):
        return None
    return (
        CalendarFeed.objects.select_related("user")
        .filter(key=key, revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def feed_events(
    user: User, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[CalendarEvent]:
    """What ``user``'s subscription shows: the events they organise or take part in."""
    mine = EventParticipant.objects.filter(user=user.pk).values("event_id")
    return (
        events(user)
        .filter(Q(owner=user.pk) | Q(pk__in=mine), starts_at__lt=end, ends_at__gt=start)
        .prefetch_related("participants")
        .order_by("starts_at", "pk")
    )
