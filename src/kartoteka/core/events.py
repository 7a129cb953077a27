"""Typed domain events: immutable facts that services append about records, in their transaction.

Every write a person would want to see in a record's history appends one event: created,
changed (with the field changes), moved to the trash, restored, merged, shared, unshared, handed
to another owner. An event is a frozen dataclass with a stable ``type`` code; it is stored as a
:class:`~kartoteka.core.models.DomainEvent` row (actor, time, the record's content type and id,
and the event's own fields as a JSON payload) and read back as the same typed object::

    events.emit(events.RecordShared.about(company, actor=user, target="team", target_id=3))
    events.for_record(company)   # -> [RecordShared(...), RecordChanged(...), ...], newest first

Rules: :func:`emit` refuses to run outside a transaction (an event must commit or roll back with
the change it describes) and writes many events in one INSERT (a bulk change of 500 records is
one statement, not 500). Events are never updated or deleted. The audit trail stays separate:
it is for accountability; events are what the timeline reads and what later features
(notifications, automations) react to.

Field changes are kept as the audit trail shows them (``{"city": ["Москва", "Казань"]}``), and
values naming another record use :func:`kartoteka.core.audit.link`, so whoever renders events
hides the names of records the reader may not see with :func:`kartoteka.core.audit.shown_to`'s
rule (:func:`kartoteka.core.audit.shown_changes`).
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from kartoteka.core.models import DomainEvent

if TYPE_CHECKING:
    from kartoteka.accounts.models import User
    from kartoteka.core.models import Batch

#: events written per INSERT
BULK = 1_000
#: at most this many events are read for one record at a time (the timeline pages by ``before``)
MAX_READ = 200

E = TypeVar("E", bound="Event")

_TYPES: dict[str, type[Event]] = {}


@dataclass(frozen=True)
class Ref:
    """The record an event is about: its model ("clients.company") and id."""

    label: str
    id: int

    @classmethod
    def of(cls, obj: models.Model) -> Ref:
        return cls(label=obj._meta.label_lower, id=int(obj.pk))

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event. Subclasses set ``type`` (a stable code, never reused) and add fields.

    ``actor_id``, ``at`` and ``id`` are filled in when the event is written and read back.
    """

    type: ClassVar[str] = ""
    record: Ref
    actor_id: int | None = None
    at: datetime | None = None
    id: int | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        code = cls.__dict__.get("type", "")
        if code:
            if code in _TYPES:
                raise ValueError(f"event type {code!r} is taken by {_TYPES[code].__name__}")
            _TYPES[code] = cls

    @classmethod
    def about(cls: builtins.type[E], obj: models.Model, *, actor: User | None, **fields: Any) -> E:
        """This event about ``obj``, done by ``actor`` (None or anonymous: the system)."""
        return cls(record=Ref.of(obj), actor_id=_actor_id(actor), **fields)

    def payload(self) -> dict[str, Any]:
        """The event's own fields (not record, actor, time, id), as stored."""
        return {
            item.name: getattr(self, item.name)
            for item in dataclasses.fields(self)
            if item.name not in _BASE_FIELDS
        }


_BASE_FIELDS = frozenset({"record", "actor_id", "at", "id"})


# --- The events ----------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class RecordCreated(Event):
    """A record was created, with the values it was given (as the audit trail shows them)."""

    type = "record.created"
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RecordChanged(Event):
    """Fields of a record changed: ``{"field": [old, new]}``, by an edit or a bulk change."""

    type = "record.changed"
    changes: dict[str, list[Any]] = field(default_factory=dict)
    #: the bulk change it was part of (or undid, with ``undo``)
    batch_id: int | None = None
    undo: bool = False


@dataclass(frozen=True, kw_only=True)
class RecordTrashed(Event):
    """A record went to the trash (alone, in a bulk change, or merged into another)."""

    type = "record.trashed"
    batch_id: int | None = None
    undo: bool = False


@dataclass(frozen=True, kw_only=True)
class RecordRestored(Event):
    """A record came back from the trash."""

    type = "record.restored"
    batch_id: int | None = None
    undo: bool = False


@dataclass(frozen=True, kw_only=True)
class RecordsMerged(Event):
    """Another record of the same kind (``other_id``, now in the trash) was merged into this."""

    type = "record.merged"
    other_id: int


@dataclass(frozen=True, kw_only=True)
class RecordMergedInto(Event):
    """This record was merged into ``survivor_id`` and went to the trash."""

    type = "record.merged_into"
    survivor_id: int


@dataclass(frozen=True, kw_only=True)
class RecordShared(Event):
    """The record was shared with a user, a team or a branch (``target``), maybe ``until`` a
    date (ISO); sharing again with the same target changes the date."""

    type = "record.shared"
    target: str
    target_id: int
    until: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordUnshared(Event):
    """A share of the record was removed."""

    type = "record.unshared"
    target: str
    target_id: int


@dataclass(frozen=True, kw_only=True)
class OwnerChanged(Event):
    """The record was given to another owner (and their branch) by a bulk reassign or a
    departing employee's hand-over; ``changes`` has everything the change did, as the audit
    trail shows it (a group rule's tag included)."""

    type = "record.owner_changed"
    old_owner_id: int | None
    new_owner_id: int | None
    old_branch_id: int | None
    new_branch_id: int | None
    changes: dict[str, list[Any]] = field(default_factory=dict)
    handover: bool = False
    batch_id: int | None = None
    undo: bool = False


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(Event):
    """A stored event whose type this version does not know (written by a newer one)."""

    code: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def types() -> dict[str, type[Event]]:
    """Every event type by its code."""
    return dict(_TYPES)


# --- Writing -------------------------------------------------------------------------------------
def _actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None and actor.is_authenticated else None


def _content_type(label: str) -> ContentType:
    # Cached by Django after the first look-up of each model.
    return ContentType.objects.get_for_model(apps.get_model(label))


def emit(*events: Event) -> None:
    """Append ``events``, in bulk (one INSERT per :data:`BULK` events), in the caller's
    transaction: refused outside ``transaction.atomic``, so an event is never written for a
    change that then rolls back, nor lost for one that commits."""
    if not events:
        return
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError(
            "domain events are emitted inside the service's transaction.atomic()"
        )
    now = timezone.now()
    rows = []
    for event in events:
        if not event.type:
            raise TypeError(f"{type(event).__name__} has no type code")
        rows.append(
            DomainEvent(
                type=event.type,
                at=event.at or now,
                actor_id=event.actor_id,
                content_type=_content_type(event.record.label),
                object_id=event.record.id,
                payload=event.payload(),
            )
        )
    DomainEvent.objects.bulk_create(rows, batch_size=BULK)


# The write path calls these: one call per site keeps the services readable.
def created(*, actor: User | None, obj: models.Model, changes: dict[str, list[Any]]) -> None:
    """``obj`` was created; ``changes`` are its audit changes ``{field: [None, value]}``."""
    values = {name: pair[1] if isinstance(pair, list) else pair for name, pair in changes.items()}
    emit(RecordCreated.about(obj, actor=actor, values=values))


def changed(*, actor: User | None, obj: models.Model, changes: dict[str, list[Any]]) -> None:
    emit(RecordChanged.about(obj, actor=actor, changes=changes))


def trashed(*, actor: User | None, obj: models.Model) -> None:
    emit(RecordTrashed.about(obj, actor=actor))


def restored(*, actor: User | None, obj: models.Model) -> None:
    emit(RecordRestored.about(obj, actor=actor))


def merged(*, actor: User | None, survivor: models.Model, other: models.Model) -> None:
    """``other`` was merged into ``survivor``: an event on each."""
    emit(
        RecordsMerged.about(survivor, actor=actor, other_id=int(other.pk)),
        RecordMergedInto.about(other, actor=actor, survivor_id=int(survivor.pk)),
    )


def _target(share: Any) -> tuple[str, int]:
    for name in ("user", "team", "branch"):
        pk = getattr(share, f"{name}_id", None)
        if pk is not None:
            return name, int(pk)
    raise ValueError("a share has a target")


def shared(*, actor: User | None, obj: models.Model, share: Any) -> None:
    """``obj`` was shared (or its share's end date changed): ``share`` is the RecordShare."""
    target, target_id = _target(share)
    until = share.until.isoformat() if share.until else None
    emit(RecordShared.about(obj, actor=actor, target=target, target_id=target_id, until=until))


def unshared(*, actor: User | None, obj: models.Model, share: Any) -> None:
    target, target_id = _target(share)
    emit(RecordUnshared.about(obj, actor=actor, target=target, target_id=target_id))


def bulk_change(
    *,
    actor: User | None,
    record: models.Model,
    diff: dict[str, tuple[Any, Any]],
    changes: dict[str, list[Any]],
    batch: Batch | None,
    undo: bool = False,
) -> Event:
    """The event of one record changed by a bulk change (or its undo), for :func:`emit`.

    ``diff`` is {field: (old, new)} in stored values, ``changes`` the record's audit changes.
    Trash and restore, a new owner, and any other change each have their own type.
    """
    ref, actor_id = Ref.of(record), _actor_id(actor)
    batch_id = batch.pk if batch is not None else None
    if "deleted_at" in diff:
        kind: type[Event] = RecordTrashed if diff["deleted_at"][1] else RecordRestored
        return kind(record=ref, actor_id=actor_id, batch_id=batch_id, undo=undo)  # type: ignore[call-arg]
    if "owner" in diff:
        branch_id = getattr(record, "branch_id", None)
        old_branch, new_branch = diff.get("branch", (branch_id, branch_id))
        return OwnerChanged(
            record=ref,
            actor_id=actor_id,
            old_owner_id=diff["owner"][0],
            new_owner_id=diff["owner"][1],
            old_branch_id=old_branch,
            new_branch_id=new_branch,
            changes=changes,
            handover=batch is not None and batch.kind == "handover",
            batch_id=batch_id,
            undo=undo,
        )
    return RecordChanged(
        record=ref, actor_id=actor_id, changes=changes, batch_id=batch_id, undo=undo
    )


# --- Reading -------------------------------------------------------------------------------------
def load(row: DomainEvent) -> Event:
    """The typed event a stored row holds; a row of an unknown type reads as
    :class:`UnknownEvent`, and payload keys the type no longer has are left out."""
    content_type = ContentType.objects.get_for_id(row.content_type_id)
    base: dict[str, Any] = {
        "record": Ref(label=f"{content_type.app_label}.{content_type.model}", id=row.object_id),
        "actor_id": row.actor_id,
        "at": row.at,
        "id": row.pk,
    }
    kind = _TYPES.get(row.type)
    payload = dict(row.payload or {})
    if kind is None:
        return UnknownEvent(**base, code=row.type, data=payload)
    known = {item.name for item in dataclasses.fields(kind)} - _BASE_FIELDS
    return kind(**base, **{key: value for key, value in payload.items() if key in known})


def rows_for(obj: models.Model) -> models.QuerySet[DomainEvent]:
    """The stored events of one record, newest first (served by ``event_record_idx``)."""
    return DomainEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(obj._meta.model), object_id=obj.pk
    ).order_by("-id")


def for_record(obj: models.Model, *, limit: int = 50, before: int | None = None) -> list[Event]:
    """The latest ``limit`` (at most :data:`MAX_READ`) events of ``obj``, newest first; the
    next page starts ``before`` the last one's id. One indexed query.

    Not scoped: the caller has already checked that the reader may see ``obj``.
    """
    rows = rows_for(obj)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    return [load(row) for row in rows[: max(1, min(limit, MAX_READ))]]


def load_many(rows: Iterable[DomainEvent]) -> list[Event]:
    return [load(row) for row in rows]


__all__ = [
    "Event",
    "OwnerChanged",
    "RecordChanged",
    "RecordCreated",
    "RecordMergedInto",
    "RecordRestored",
    "RecordShared",
    "RecordTrashed",
    "RecordUnshared",
    "RecordsMerged",
    "Ref",
    "UnknownEvent",
    "bulk_change",
    "changed",
    "created",
    "emit",
    "for_record",
    "load",
    "load_many",
    "merged",
    "restored",
    "rows_for",
    "shared",
    "trashed",
    "types",
    "unshared",
]
