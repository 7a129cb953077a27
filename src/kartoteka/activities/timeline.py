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
from django.db.models import F, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kartoteka.activities import queries
from kartoteka.activities.models import Activity, Task
from kartoteka.clients.models import Company, Contact, Employment
from kartoteka.core import audit, audit_text
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


def _first(
    queryset: QuerySet[Any],
    client: Client,
    order: Sequence[Any],
    key: Callable[[Any], Any],
    size: int,
    links: Sequence[str],
) -> list[Any]:
    """The first ``size`` rows about ``client`` in ``order``, read with ``links`` (the ones
    ``queryset`` selects).

    With several branches (a company: its own rows, its people's), each branch gives the ids of
    its own first ``size`` (narrow rows: a company's people may have thousands of rows to sort,
    and sorting whole joined rows costs ten times more), the merge keeps the first ``size`` (a
    row about both a company and one of its people once), and one query reads those rows.
    ``key`` sorts rows in Python as ``order`` does in SQL, ascending.
    """
    branches = _client_filters(client)
    if len(branches) == 1:
        return list(queryset.filter(branches[0]).order_by(*order)[:size])
    ids: set[int] = set()
    for branch in branches:
        ids.update(queryset.filter(branch).order_by(*order).values_list("pk", flat=True)[:size])
    if not ids:
        return []
    # The ids were just chosen under ``queryset``'s conditions (the access rule): the rows are
    # read by id alone, without compiling the rule again.
    chosen = queryset.model._base_manager.filter(pk__in=ids).select_related(*links)
    return sorted(chosen, key=key)[:size]


def _newest_first(
    scoped: QuerySet[Any],
    plain: QuerySet[Any],
    client: Client,
    moment: str,
    size: int,
    links: Sequence[str],
) -> list[Any]:
    """The first ``size`` rows of ``scoped`` (a source under the access rule; ``plain``: the
    same without it) about ``client``, newest first by ``moment``."""
    if isinstance(client, Company):
        found = _first_checked(plain, scoped, client, moment, size)
        if found is not None:
            return found
    return _first(
        scoped, client, (f"-{moment}", "-id"), lambda row: _newest(row, moment), size, links
    )


def _first_checked(
    plain: QuerySet[Any], scoped: QuerySet[Any], client: Company, moment: str, size: int
) -> list[Any] | None:
    """:func:`_first`, newest first by ``moment``, asking the access rule once: each branch of
    ``plain`` (the source's conditions without the rule) gives its first rows' moments and
    ids in index order, and one query under the rule (``scoped``) reads the first ``size`` of
    them. The rule is compiled and planned once instead of once a branch, and the people's
    branch sorts narrow rows without joining their clients (on PostgreSQL at 1M clients:
    2 ms against 9 for a 5,000-activity company).

    A branch that gave all it was asked for may hold more rows, so only the rows up to its
    last one are known to be first; None when fewer than ``size`` of them pass the rule (a
    reader who sees few of a long history: two cheap index reads wasted), and the caller
    asks under the rule.
    """
    limit = 2 * size
    found: set[tuple[Any, int]] = set()
    ends: list[tuple[Any, int]] = []  # each unfinished branch's last row
    for branch in _client_filters(client):
        rows = plain.filter(branch).order_by(f"-{moment}", "-id").values_list(moment, "pk")
        first = list(rows[:limit])
        found.update(first)
        if len(first) == limit:
            ends.append(first[-1])
    # Newest first, a row is known to be among the first once it is no older than the newest
    # of the unfinished branches' last rows.
    boundary = max(ends) if ends else min(found, default=None)
    known = [pk for at, pk in found if boundary is None or (at, pk) >= boundary]
    if not known:
        return []
    chosen = list(scoped.filter(pk__in=known).order_by(f"-{moment}", "-id")[:size])
    if len(chosen) < size and ends:
        return None
    return chosen


def _newest(row: Activity | Task | AuditEntry, moment: str) -> tuple[float, int]:
    """Sort key for "newest first": ``-moment, -id``."""
    return (-getattr(row, moment).timestamp(), -row.pk)


def _soonest(task: Task) -> tuple[Any, ...]:
    """Sort key of open tasks: due date (none last), then time (none last), then id."""
    return (
        task.due_date is None,
        task.due_date or datetime.date.min,
        task.due_at is None,
        task.due_at or datetime.datetime.min.replace(tzinfo=datetime.UTC),
        task.pk,
    )


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
        for task in queries.tasks(user).filter(pk__in=ids).order_by("due_date", "id"):
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

    first = _newest_first(
        narrowed(queries.activities(user)),
        narrowed(Activity.objects.all()),
        client,
        "occurred_at",
        size + 1,
        queries.ACTIVITY_LINKS,
    )
    prefetch_related_objects(first, "participants")
    found = with_next_steps(user, first)
    return [
        Item(ACTIVITY, row.occurred_at, row.pk, row, row.owner, _via(client, row)) for row in found
    ]


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

    done = _newest_first(
        narrowed(queries.tasks(user).select_related("done_by")),
        narrowed(Task.objects.all()),
        client,
        "done_at",
        size + 1,
        (*queries.TASK_LINKS, "done_by"),
    )
    return [
        Item(TASK, row.done_at or timezone.now(), row.pk, row, row.done_by, _via(client, row))
        for row in done
    ]


def _changes(
    user: User, client: Client, filters: Filters, cursor: Cursor | None, size: int
) -> list[Item]:
    if not filters.wants("change"):
        return []
    rows = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(type(client)), object_id=client.pk
    ).select_related("actor", "content_type")
    rows = rows.filter(_after(cursor, RANK[CHANGE], "at"))
    if filters.person is not None:
        rows = rows.filter(actor_id=filters.person)
    entries = list(rows.order_by("-at", "-id")[: size + 1])
    return [Item(CHANGE, entry.at, entry.pk, entry, entry.actor) for entry in entries]


def _via(client: Client, row: Activity | Task) -> Contact | None:
    """On a company's timeline, the person it was with (rolled up, or named on it)."""
    return row.contact if isinstance(client, Company) else None


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
    entries = [item.obj for item in shown if item.source == CHANGE]
    if entries:
        # Names of records the reader may not see read as "hidden record"; then in words.
        audit_text.describe(audit.shown_to(user, entries))
    next_cursor = None
    if more and shown:
        last = shown[-1]
        next_cursor = Cursor(at=last.at, rank=RANK[last.source], id=last.id).encode()
    result = Page(items=shown, next=next_cursor)
    if planned and after is None:
        result.planned = _first(
            queries.tasks(user).filter(done_at__isnull=True),
            client,
            (F("due_date").asc(nulls_last=True), F("due_at").asc(nulls_last=True), "id"),
            _soonest,
            PLANNED,
            queries.TASK_LINKS,
        )
    return result
