"""A client's timeline: every source merged, newest first, one page at a time.

Sources: the activities logged about the client, the tasks done about it, and the client's own
audit trail (field changes, sharing, trash). A company's timeline also holds what was logged
and done about the people who work there (only those the reader may see: the access rule of
activities and tasks already requires their client to be visible).

Paging is keyset over (time, source, id), newest first: each source is asked for the page
size plus one row after the cursor, in its own index order, and the answers are merged here.
So a page costs the same few queries on the first page and on the thousandth, whatever the
length of the history (no OFFSET, no COUNT).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kartoteka.activities import queries
from kartoteka.activities.models import Activity, Task
from kartoteka.clients.models import Company, Contact, Employment
from kartoteka.core import access, audit, audit_text
from kartoteka.core.ids import parse_id
from kartoteka.core.models import AuditEntry

if TYPE_CHECKING:
    from kartoteka.accounts.models import User

#: the sources, in their order among items of the same moment
ACTIVITY, TASK, CHANGE = "activity", "task", "change"
RANK = {ACTIVITY: 0, TASK: 1, CHANGE: 2}
#: what the type filter offers: each activity type, done tasks, changes of the record
TYPES = (*Activity.Type.values, "task", "change")
PAGE = 20
MAX_PAGE = 200
#: open tasks shown above the history ("planned")
PLANNED = 10
#: the links each source's statement joins; the people and clients rows name come from one
#: read a page instead (:func:`_attach_links`)
ACTIVITY_JOINS = ("reason",)
#: the links :func:`_attach_links` sets, by the kind of row
LINKS: dict[type[Any], tuple[str, ...]] = {
    Activity: ("owner", "company", "contact"),
    Task: ("owner", "author", "done_by", "company", "contact"),
    AuditEntry: ("actor",),
}
#: the model of an activity's participants
PARTICIPANT: type[Any] = Activity._meta.get_field("participants").related_model  # type: ignore[assignment]
#: who an entry's person is, by its source
PERSON = {ACTIVITY: "owner", TASK: "done_by", CHANGE: "actor"}

Client = Company | Contact


class BadCursor(ValueError):
    """A cursor this timeline did not give."""


@dataclass(frozen=True)
class Cursor:
    at: datetime.datetime
    rank: int
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.rank, self.id]).encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            at, rank, pk = json.loads(raw.decode("utf-8"))
            moment = parse_datetime(at) if isinstance(at, str) else None
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
            raise BadCursor(token) from None
        if moment is None or rank not in RANK.values() or parse_id(pk) is None:
            raise BadCursor(token)
        if timezone.is_naive(moment):
            raise BadCursor(token)
        return cls(at=moment, rank=rank, id=int(pk))


@dataclass
class Item:
    """One entry of the timeline: an activity, a task done, or an audit entry."""

    source: str
    at: datetime.datetime
    id: int
    obj: Any
    #: who did it: the activity's author, who did the task, who changed the record
    person: Any = None
    #: on a company's timeline: the person an activity or task was with
    via: Contact | None = None

    @property
    def key(self) -> tuple[datetime.datetime, int, int]:
        return (self.at, RANK[self.source], self.id)

    @property
    def type(self) -> str:
        """The filter's word for it: the activity's type, "task" or "change"."""
        if self.source == ACTIVITY:
            return str(self.obj.type)
        return self.source


@dataclass
class Filters:
    types: frozenset[str] = frozenset()
    person: int | None = None

    @classmethod
    def read(cls, types: Iterable[str], person: str | None) -> Filters:
        wanted = frozenset(t for t in types if t in TYPES)
        return cls(types=wanted, person=parse_id(person or ""))

    def wants(self, *types: str) -> bool:
        return not self.types or bool(self.types & set(types))


@dataclass
class Page:
    items: list[Item]
    next: str | None
    planned: list[Task] = field(default_factory=list)


def _client_filters(client: Client) -> list[Q]:
    """Rows about ``client``, as conditions each served by an index of its own: the contact's;
    for a company, the company's and its people's.

    A company's two are never ORed into one query: PostgreSQL cannot walk two indexes in time
    order for ``company = X OR contact IN (...)`` and reads the whole table in parallel instead
    (250 ms for a 5,000-activity company at 100k clients, against a few ms per branch).
    """
    if isinstance(client, Company):
        people = Employment.objects.filter(company=client).values("contact_id")
        return [Q(company=client.pk), Q(contact__in=people)]
    return [Q(contact=client.pk)]


@dataclass(frozen=True)
class Order:
    """An order of a source's rows: in SQL, and as an ascending Python sort key of a row's
    ``fields`` and id (to merge what several queries found)."""

    sql: tuple[Any, ...]
    fields: tuple[str, ...]
    #: the sort key of ``(*fields, id)``
    key: Callable[[tuple[Any, ...]], tuple[Any, ...]]

    def of(self, row: Any) -> tuple[Any, ...]:
        return self.key((*(getattr(row, name) for name in self.fields), row.pk))


def newest_by(moment: str) -> Order:
    """Newest first by ``moment``, then the highest id."""
    return Order((f"-{moment}", "-id"), (moment,), lambda v: (-v[0].timestamp(), -v[1]))


#: open tasks: due date (none last), then time (none last), then id
SOONEST = Order(
    (F("due_date").asc(nulls_last=True), F("due_at").asc(nulls_last=True), "id"),
    ("due_date", "due_at"),
    lambda v: (
        v[0] is None,
        v[0] or datetime.date.min,
        v[1] is None,
        v[1] or datetime.datetime.min.replace(tzinfo=datetime.UTC),
        v[2],
    ),
)


def _first(
    queryset: QuerySet[Any], client: Client, order: Order, size: int, links: Sequence[str]
) -> list[Any]:
    """The first ``size`` rows about ``client`` in ``order``, read with ``links`` (the ones
    ``queryset`` selects).

    With several branches (a company: its own rows, its people's), each branch gives the ids of
    its own first ``size`` (narrow rows: a company's people may have thousands of rows to sort,
    and sorting whole joined rows costs ten times more), the merge keeps the first ``size`` (a
    row about both a company and one of its people once), and one query reads those rows.
    """
    branches = _client_filters(client)
    if len(branches) == 1:
        return list(queryset.filter(branches[0]).order_by(*order.sql)[:size])
    ids: set[int] = set()
    for branch in branches:
        ids.update(queryset.filter(branch).order_by(*order.sql).values_list("pk", flat=True)[:size])
    if not ids:
        return []
    # The ids were just chosen under ``queryset``'s conditions (the access rule): the rows are
    # read by id alone, without compiling the rule again.
    chosen = queryset.model._base_manager.filter(pk__in=ids).select_related(*links)
    return sorted(chosen, key=order.of)[:size]


def _first_rows(
    scoped: QuerySet[Any],
    plain: QuerySet[Any],
    client: Client,
    order: Order,
    size: int,
    links: Sequence[str],
) -> list[Any]:
    """The first ``size`` rows of ``scoped`` (a source under the access rule; ``plain``: the
    same without it) about ``client`` in ``order``."""
    if isinstance(client, Company):
        found = _first_checked(plain, scoped, client, order, size)
        if found is not None:
            return found
    return _first(scoped, client, order, size, links)


def _first_checked(
    plain: QuerySet[Any], scoped: QuerySet[Any], client: Company, order: Order, size: int
) -> list[Any] | None:
    """:func:`_first`, asking the access rule once: each branch of ``plain`` (the source's
    conditions without the rule) gives its first rows' sort values and ids in index order,
    and one query under the rule (``scoped``) reads the first ``size`` of them. The rule is
    compiled and planned once instead of once a branch, and the people's branch sorts narrow
    rows without joining their clients (on PostgreSQL at 1M clients: 2 ms against 9 for a
    5,000-activity company).

    A branch that gave all it was asked for may hold more rows, so only the rows up to its
    last one are known to be first; None when fewer than ``size`` of them pass the rule (a
    reader who sees few of a long history: two cheap index reads wasted), and the caller
    asks under the rule.
    """
    limit = 2 * size
    found: dict[int, tuple[Any, ...]] = {}  # id: sort key
    ends: list[tuple[Any, ...]] = []  # each unfinished branch's last row's sort key
    for branch in _client_filters(client):
        rows = plain.filter(branch).order_by(*order.sql).values_list(*order.fields, "pk")
        first = list(rows[:limit])
        found.update((values[-1], order.key(values)) for values in first)
        if len(first) == limit:
            ends.append(order.key(first[-1]))
    # A row is known to be among the first once it comes no later than the earliest of the
    # unfinished branches' last rows.
    boundary = min(ends) if ends else None
    known = [pk for pk, key in found.items() if boundary is None or key <= boundary]
    if not known:
        return []
    chosen = list(scoped.filter(pk__in=known).order_by(*order.sql)[:size])
    if len(chosen) < size and ends:
        return None
    return chosen


def _after(cursor: Cursor | None, rank: int, time_field: str) -> Q:
    """Rows of the source ranked ``rank`` that come after ``cursor``, newest first."""
    if cursor is None:
        return Q()
    older = Q(**{f"{time_field}__lt": cursor.at})
    if rank < cursor.rank:
        return older | Q(**{time_field: cursor.at})
    if rank == cursor.rank:
        return older | Q(**{time_field: cursor.at, "pk__lt": cursor.id})
    return older


def with_next_steps(user: User, rows: list[Activity]) -> list[Activity]:
    """Set ``visible_next_steps`` on each activity: its follow-up tasks ``user`` may see.

    Two short queries: the follow-ups' ids through the activity index, then those tasks under
    the access rule. One scoped query with ``activity_id IN (...)`` lets the planner walk the
    reader's own tasks instead (the rule is an OR over owner, author and shares): 90 ms for a
    manager with tens of thousands of tasks, against 2 ms this way.
    """
    by_activity: dict[int, list[Task]] = {row.pk: [] for row in rows}
    ids = (
        list(Task.objects.filter(activity_id__in=list(by_activity)).values_list("pk", flat=True))
        if by_activity
        else []
    )
    if ids:
        # Their people and clients are read with the page's (see :func:`_attach_links`).
        steps = queries.tasks(user).select_related(None).filter(pk__in=ids)
        for task in steps.order_by("due_date", "id"):
            by_activity[task.activity_id].append(task)  # type: ignore[index]
    for row in rows:
        row.visible_next_steps = by_activity[row.pk]  # type: ignore[attr-defined]
    return rows


def _activities(
    user: User, client: Client, filters: Filters, cursor: Cursor | None, size: int
) -> list[Item]:
    kinds = [t for t in filters.types if t in Activity.Type.values]
    if filters.types and not kinds:
        return []

    def narrowed(rows: QuerySet[Activity]) -> QuerySet[Activity]:
        rows = rows.filter(_after(cursor, RANK[ACTIVITY], "occurred_at"))
        if kinds:
            rows = rows.filter(type__in=kinds)
        if filters.person is not None:
            rows = rows.filter(owner_id=filters.person)
        return rows

    first = _first_rows(
        narrowed(queries.activities(user).select_related(*ACTIVITY_JOINS)),
        narrowed(Activity.objects.all()),
        client,
        newest_by("occurred_at"),
        size + 1,
        ACTIVITY_JOINS,
    )
    found = with_next_steps(user, first)
    return [Item(ACTIVITY, row.occurred_at, row.pk, row) for row in found]


def _tasks(
    user: User, client: Client, filters: Filters, cursor: Cursor | None, size: int
) -> list[Item]:
    if not filters.wants("task"):
        return []

    def narrowed(rows: QuerySet[Task]) -> QuerySet[Task]:
        rows = rows.filter(done_at__isnull=False).filter(_after(cursor, RANK[TASK], "done_at"))
        if filters.person is not None:
            rows = rows.filter(done_by_id=filters.person)
        return rows

    done = _first_rows(
        narrowed(queries.tasks(user).select_related(None)),
        narrowed(Task.objects.all()),
        client,
        newest_by("done_at"),
        size + 1,
        (),
    )
    return [Item(TASK, row.done_at or timezone.now(), row.pk, row) for row in done]


def _changes(
    user: User, client: Client, filters: Filters, cursor: Cursor | None, size: int
) -> list[Item]:
    if not filters.wants("change"):
        return []
    rows = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(type(client)), object_id=client.pk
    ).select_related("content_type")
    rows = rows.filter(_after(cursor, RANK[CHANGE], "at"))
    if filters.person is not None:
        rows = rows.filter(actor_id=filters.person)
    entries = list(rows.order_by("-at", "-id")[: size + 1])
    return [Item(CHANGE, entry.at, entry.pk, entry) for entry in entries]


def _attach_links(user: User, client: Client, rows: Sequence[Any]) -> None:
    """Set the people and clients ``rows`` name (see :data:`LINKS`), and each activity's
    ``participant_list``: the client itself, and one read for each kind of what is still
    missing (users, companies, contacts).

    Companies and contacts are read under ``user``'s access rule: a link to one they may not
    see (a task someone set them about a hidden person) is cleared, id and all, so it is named
    nowhere. Activities need their clients visible anyway; tasks do not.

    Joined into each source's statement instead, the same few people and clients came back
    on every row, and every join widened the statement to compile, plan and read (a tenth of
    the page's time at a 5,000-event company).
    """
    known: dict[type[Any], dict[int, Any]] = {type(client): {client.pk: client}}
    wanted: dict[type[Any], set[int]] = {}
    missing: list[tuple[Any, Any, type[Any], int]] = []
    participants: dict[int, list[int]] = {row.pk: [] for row in rows if type(row) is Activity}
    if participants:
        users = wanted.setdefault(PARTICIPANT, set())
        pairs = Activity.participants.through.objects.filter(activity_id__in=list(participants))
        for activity, person in pairs.order_by("pk").values_list("activity_id", "user_id"):
            participants[activity].append(person)
            users.add(person)
    for row in rows:
        for name in LINKS.get(type(row), ()):
            link = row._meta.get_field(name)
            pk = getattr(row, link.attname)
            if pk is None or link.is_cached(row):
                continue
            model = link.related_model
            missing.append((row, link, model, pk))
            if pk not in known.get(model, {}):
                wanted.setdefault(model, set()).add(pk)
    for model, ids in wanted.items():
        found = known.setdefault(model, {})
        source = model._base_manager
        if model in (Company, Contact):
            source = access.scoped(model.objects.all(), user)
        found.update((obj.pk, obj) for obj in source.filter(pk__in=ids))
    for row, link, model, pk in missing:
        if pk in known[model]:
            link.set_cached_value(row, known[model][pk])
        elif model in (Company, Contact):
            setattr(row, link.attname, None)
            link.set_cached_value(row, None)
    people = known.get(PARTICIPANT, {})
    for row in rows:
        if type(row) is Activity:
            listed = participants[row.pk]
            row.participant_list = [people[pk] for pk in listed if pk in people]  # type: ignore[attr-defined]


def page(
    user: User,
    client: Client,
    *,
    filters: Filters | None = None,
    cursor: str = "",
    size: int = PAGE,
    planned: bool = False,
) -> Page:
    """One page of ``client``'s timeline as ``user`` may see it (the caller has checked that
    ``user`` sees ``client``), after ``cursor`` (a page's ``next``), newest first.

    Raises :class:`BadCursor` for a cursor the timeline did not give. With ``planned``, also
    the open tasks about the client, soonest first.
    """
    filters = filters or Filters()
    size = max(1, min(size, MAX_PAGE))
    after = Cursor.decode(cursor) if cursor else None
    found = [
        *_activities(user, client, filters, after, size),
        *_tasks(user, client, filters, after, size),
        *_changes(user, client, filters, after, size),
    ]
    found.sort(key=lambda item: item.key, reverse=True)
    shown, more = found[:size], len(found) > size
    planned_tasks: list[Task] = []
    if planned and after is None:
        open_tasks = Q(done_at__isnull=True)
        planned_tasks = _first_rows(
            queries.tasks(user).select_related(None).filter(open_tasks),
            Task.objects.filter(open_tasks),
            client,
            SOONEST,
            PLANNED,
            (),
        )
    steps = [
        task for item in shown if item.source == ACTIVITY for task in item.obj.visible_next_steps
    ]
    _attach_links(user, client, [*(item.obj for item in shown), *steps, *planned_tasks])
    for item in shown:
        item.person = getattr(item.obj, PERSON[item.source])
        if item.source != CHANGE and isinstance(client, Company):
            item.via = item.obj.contact
    entries = [item.obj for item in shown if item.source == CHANGE]
    if entries:
        # Names of records the reader may not see read as "hidden record"; then in words.
        audit_text.describe(audit.shown_to(user, entries))
    next_cursor = None
    if more and shown:
        last = shown[-1]
        next_cursor = Cursor(at=last.at, rank=RANK[last.source], id=last.id).encode()
    return Page(items=shown, next=next_cursor, planned=planned_tasks)
