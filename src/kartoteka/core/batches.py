"""Bulk changes as named batches that undo in one step.

A batch changes many records at once: reassign, replace a field's value, add or remove a tag, move
to the trash. For every record and field it keeps a :class:`BatchChange` with the old value, the
new value and the record's versions before and right after, so an undo puts back exactly the
records nobody touched since and leaves the others as they are. Undoing a later batch is not
someone else's edit: it hands the records it restored back to the batch beneath, whose own undo
then restores them too (chained batches undo newest-first all the way down).

Generic over :class:`Record` models (companies and contacts today, deals and tasks later). Apps
add what a departing employee owns with :func:`register_owned`.

SQL stays bounded: the records are read, locked and written in chunks of :data:`CHUNK`, a handful
of queries per chunk whatever the chunk's size, so ten thousand records take seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kartoteka.core import access, search
from kartoteka.core.errors import DomainError, ForbiddenError, NotFoundError
from kartoteka.core.models import AuditEntry, Batch, BatchChange, Record

if TYPE_CHECKING:
    from kartoteka.accounts.models import User

#: records read, locked and written per round trip
CHUNK = 500
#: more than this in one batch is refused: it would hold row locks for too long
MAX_RECORDS = 50_000
#: above this many distinct values a column is written with one CASE update, not one per value
_GROUPED_UPDATES = 20

IdsOrQuerySet = Iterable[int] | QuerySet[Any]

#: the grant each record needs, by kind of batch
KIND_ACTIONS = {
    "reassign": "assign",
    "handover": "assign",
    "set_field": "edit",
    "tag": "edit",
    "untag": "edit",
    "trash": "delete",
}


class AlreadyUndoneError(DomainError):
    code = "already_undone"
    status = 409

    def __init__(self) -> None:
        super().__init__(_("This bulk change has already been undone."))


@dataclass
class Counts:
    """How many records a bulk change changes, and why the others are left alone."""

    changed: int = 0
    #: the actor may not do this to them (or they are gone, or were never visible)
    skipped_forbidden: int = 0
    #: they already have the value
    skipped_unchanged: int = 0
    by_model: dict[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        return self.skipped_forbidden + self.skipped_unchanged

    def as_summary(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "skipped_forbidden": self.skipped_forbidden,
            "skipped_unchanged": self.skipped_unchanged,
            "records": dict(self.by_model),
        }


@dataclass(frozen=True)
class UndoResult:
    batch: Batch
    restored: int
    #: records changed by someone after the batch: left as they are
    kept: int

    @property
    def message(self) -> str:
        text = _("Undone: %(name)s.") % {"name": self.batch.name}
        if self.kept:
            text += " " + ngettext(
                "%(count)d record was changed after the batch and was left as it is.",
                "%(count)d records were changed after the batch and were left as they are.",
                self.kept,
            ) % {"count": self.kept}
        return text


@dataclass(frozen=True)
class FollowUp:
    """What else a change sets off on one record (a group rule adding a tag, say).

    ``values`` are more fields and their new stored values (``{"tags.7": True}``), written with
    the change, kept in the same batch and undone with it; ``audit`` adds lines to the record's
    audit entry (``{"rules": [None, [...]]}``).
    """

    values: dict[str, Any]
    audit: dict[str, list[Any]] = field(default_factory=dict)


#: (model, [(record as it was, {field: new stored value})]) -> {record id: FollowUp}; called once
#: per chunk with the records the change really changes, so it can work in a few queries
FollowUps = Callable[[type[Record], Sequence[tuple[Record, dict[str, Any]]]], dict[int, FollowUp]]


@dataclass(frozen=True)
class Operation:
    """What a bulk change does to each record: the fields it touches and their new values.

    ``values(record, position)`` gives the new stored value of every field in ``fields``;
    ``position`` counts the records the actor may change, in id order (for round robin).
    ``follow_ups``, if given, says what else the change sets off on the changed records; a field
    the operation sets itself is never overridden by a follow-up.
    """

    kind: str
    fields: tuple[str, ...]
    values: Callable[[Record, int], dict[str, Any]]
    follow_ups: FollowUps | None = None

    @property
    def action(self) -> str:
        return KIND_ACTIONS[self.kind]


# --- Fields: how a stored value is read, written back and shown -----------------------------------
class _Field:
    """One kind of changeable field; values are stored JSON-ready in :class:`BatchChange`."""

    is_column = False

    def __init__(self, model: type[Record], name: str) -> None:
        self.model = model
        self.name = name

    def prepare(self, records: Sequence[Record]) -> None:
        """Load what ``read`` needs for these records (at most one query)."""

    def read(self, record: Record) -> Any:
        raise NotImplementedError

    def write(self, rows: list[tuple[Record, Any]], actor: User) -> None:
        raise NotImplementedError

    def shown(self, values: set[Any]) -> dict[Any, Any]:
        """Stored values as people read them, for the audit trail (at most one query)."""
        return {value: value for value in values}

    def audit_changes(
        self, record: Record, old: Any, new: Any, shown: dict[Any, Any]
    ) -> dict[str, list[Any]]:
        return {self.name: [shown.get(old, old), shown.get(new, new)]}


class _Column(_Field):
    """A plain or foreign-key column; a foreign key is stored as the related id."""

    is_column = True

    def __init__(self, model: type[Record], name: str) -> None:
        super().__init__(model, name)
        self.field = model._meta.get_field(name)
        self.attname = self.field.attname  # type: ignore[union-attr]

    def read(self, record: Record) -> Any:
        return getattr(record, self.attname)

    def write(self, rows: list[tuple[Record, Any]], actor: User) -> None:
        raise NotImplementedError("columns are written together by _write_columns")

    def shown(self, values: set[Any]) -> dict[Any, Any]:
        if isinstance(self.field, models.ForeignKey):
            related = self.field.related_model._default_manager.filter(  # type: ignore[union-attr]
                pk__in=[value for value in values if value is not None]
            )
            names: dict[Any, Any] = {obj.pk: str(obj) for obj in related}
            return {value: names.get(value) for value in values}
        choices = dict(self.field.choices or ())  # type: ignore[union-attr]
        return {value: str(choices.get(value, value)) if choices else value for value in values}


class _CustomValue(_Field):
    """``custom_fields.<code>``: one value inside the record's JSON of custom field values."""

    def __init__(self, model: type[Record], name: str) -> None:
        super().__init__(model, name)
        self.code = name.split(".", 1)[1]

    def read(self, record: Record) -> Any:
        return (getattr(record, "custom_fields", None) or {}).get(self.code)

    def write(self, rows: list[tuple[Record, Any]], actor: User) -> None:
        for record, value in rows:
            values = dict(getattr(record, "custom_fields", None) or {})
            if value in (None, "", []):
                values.pop(self.code, None)
            else:
                values[self.code] = value
            record.custom_fields = values  # type: ignore[attr-defined]
        # Each record keeps its other values, so one CASE update per chunk, not one per record.
        self.model.all_objects.bulk_update(
            [record for record, _value in rows], ["custom_fields"], batch_size=CHUNK
        )

    def audit_changes(
        self, record: Record, old: Any, new: Any, shown: dict[Any, Any]
    ) -> dict[str, list[Any]]:
        values = dict(getattr(record, "custom_fields", None) or {})
        before, after = dict(values), dict(values)
        for target, value in ((before, old), (after, new)):
            if value in (None, "", []):
                target.pop(self.code, None)
            else:
                target[self.code] = value
        return {"custom_fields": [before, after]}


class _Membership(_Field):
    """``<many-to-many>.<id>``, e.g. ``tags.7``: is the record linked to that one object?"""

    def __init__(self, model: type[Record], name: str) -> None:
        super().__init__(model, name)
        relation, _dot, target = name.partition(".")
        self.relation = relation
        self.target_id = int(target)
        m2m = model._meta.get_field(relation)
        self.through = m2m.remote_field.through  # type: ignore[union-attr]
        self.source = m2m.m2m_field_name() + "_id"  # type: ignore[union-attr]
        self.target = m2m.m2m_reverse_field_name() + "_id"  # type: ignore[union-attr]
        self.related_model = m2m.related_model
        self.linked: set[int] = set()

    def prepare(self, records: Sequence[Record]) -> None:
        self.linked = set(
            self.through.objects.filter(
                **{f"{self.source}__in": [record.pk for record in records]},
                **{self.target: self.target_id},
            ).values_list(self.source, flat=True)
        )

    def read(self, record: Record) -> Any:
        return record.pk in self.linked

    def write(self, rows: list[tuple[Record, Any]], actor: User) -> None:
        add = [record.pk for record, value in rows if value]
        remove = [record.pk for record, value in rows if not value]
        if add:
            self.through.objects.bulk_create(
                [self.through(**{self.source: pk, self.target: self.target_id}) for pk in add],
                ignore_conflicts=True,
            )
        if remove:
            self.through.objects.filter(
                **{f"{self.source}__in": remove}, **{self.target: self.target_id}
            ).delete()

    def audit_changes(
        self, record: Record, old: Any, new: Any, shown: dict[Any, Any]
    ) -> dict[str, list[Any]]:
        name = shown.get("name", "")
        return {self.relation: [name if old else None, name if new else None]}

    def shown(self, values: set[Any]) -> dict[Any, Any]:
        target = self.related_model._default_manager.filter(pk=self.target_id).first()  # type: ignore[union-attr]
        return {"name": str(target) if target is not None else ""}


class _Trash(_Field):
    """``deleted_at``: in the trash (an ISO timestamp) or not (``None``)."""

    def read(self, record: Record) -> Any:
        return record.deleted_at.isoformat() if record.deleted_at else None

    def write(self, rows: list[tuple[Record, Any]], actor: User) -> None:
        trash = [record.pk for record, value in rows if value]
        restore = [record.pk for record, value in rows if not value]
        if trash:
            self.model.all_objects.filter(pk__in=trash).update(
                deleted_at=timezone.now(), deleted_by=actor
            )
        if restore:
            self.model.all_objects.filter(pk__in=restore).update(deleted_at=None, deleted_by=None)

    def audit_changes(
        self, record: Record, old: Any, new: Any, shown: dict[Any, Any]
    ) -> dict[str, list[Any]]:
        return {}


def _field(model: type[Record], name: str) -> _Field:
    if name == "deleted_at":
        return _Trash(model, name)
    if "." in name:
        base = model._meta.get_field(name.split(".", 1)[0])
        if base.many_to_many:
            return _Membership(model, name)
        return _CustomValue(model, name)
    return _Column(model, name)


def _write_columns(
    model: type[Record], columns: list[_Column], rows: list[tuple[Record, dict[str, Any]]]
) -> None:
    """Write the column values of ``rows``: one UPDATE per distinct set of values.

    A reassign to three colleagues is three UPDATEs a chunk; when values vary more (an undo of
    records that had many owners), one CASE update per chunk.
    """
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for record, values in rows:
        key = tuple(
            sorted(
                (column.attname, values[column.name]) for column in columns if column.name in values
            )
        )
        if key:
            groups.setdefault(key, []).append(record.pk)
    if len(groups) <= _GROUPED_UPDATES:
        for key, pks in groups.items():
            model.all_objects.filter(pk__in=pks).update(**dict(key))
        return
    names = [column.name for column in columns]
    changed = []
    for record, values in rows:
        for column in columns:
            if column.name in values:
                setattr(record, column.attname, values[column.name])
        changed.append(record)
    model.all_objects.bulk_update(changed, names, batch_size=CHUNK)


# --- Running a batch ------------------------------------------------------------------------------
def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    size = CHUNK
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def candidates(model: type[Record], ids_or_queryset: IdsOrQuerySet) -> list[int]:
    """The ids asked for, unique and in id order (one query for a queryset, none for ids).

    Nothing here is trusted: each chunk is scoped again to what the actor may do when it is read.
    """
    if isinstance(ids_or_queryset, QuerySet):
        if ids_or_queryset.model is not model:
            raise TypeError("the queryset is not of the model changed")
        found = ids_or_queryset.order_by().values_list("pk", flat=True).distinct()
        ids = sorted(found[: MAX_RECORDS + 1])
    else:
        try:
            ids = sorted({int(pk) for pk in ids_or_queryset})
        except (TypeError, ValueError):
            raise DomainError(fields={"ids": [_("Record ids are whole numbers.")]}) from None
    if not ids:
        raise DomainError(
            _("Select at least one record."), fields={"ids": [_("Select at least one record.")]}
        )
    if len(ids) > MAX_RECORDS:
        raise DomainError(
            _("At most %(count)d records at once; narrow the filter.") % {"count": MAX_RECORDS}
        )
    return ids


@dataclass
class _Run:
    """One batch being written: its counts, what to put in the trail and what to reindex."""

    actor: User
    batch: Batch | None
    counts: Counts = field(default_factory=Counts)
    audit_rows: list[AuditEntry] = field(default_factory=list)
    reindex: dict[type[Record], list[int]] = field(default_factory=dict)
    #: old value counts per field, e.g. who owned the records before ("from" in the batch name)
    before: dict[str, dict[Any, int]] = field(default_factory=dict)


def _apply(
    run: _Run,
    model: type[Record],
    rows: list[tuple[Record, dict[str, tuple[Any, Any]]]],
    handlers: dict[str, _Field],
    *,
    restore: bool = False,
    notes: dict[int, dict[str, list[Any]]] | None = None,
) -> None:
    """Write ``rows`` ({field: (old, new)} each), bump versions, keep changes and trail rows.

    ``notes`` adds lines to some records' audit entries (by record id).
    """
    content_type = ContentType.objects.get_for_model(model)
    columns = [h for h in handlers.values() if isinstance(h, _Column)]
    column_rows = [
        (record, {name: new for name, (_old, new) in diff.items() if handlers[name].is_column})
        for record, diff in rows
    ]
    _write_columns(model, columns, column_rows)
    for name, handler in handlers.items():
        if handler.is_column:
            continue
        wanted = [(record, diff[name][1]) for record, diff in rows if name in diff]
        if wanted:
            handler.write(wanted, run.actor)
    pks = [record.pk for record, _diff in rows]
    model.all_objects.filter(pk__in=pks).update(version=F("version") + 1, updated_at=timezone.now())
    shown = {
        name: handler.shown(
            {value for _record, diff in rows if name in diff for value in diff[name]}
        )
        for name, handler in handlers.items()
    }
    trash_field = "deleted_at" in handlers
    changes = []
    for record, diff in rows:
        record.version += 1
        entry_changes: dict[str, list[Any]] = {}
        for name, (old, new) in diff.items():
            for key, values in handlers[name].audit_changes(record, old, new, shown[name]).items():
                # Two tags in one change (the one asked for, one a rule added) share "tags".
                joined = key in entry_changes and isinstance(handlers[name], _Membership)
                entry_changes[key] = _joined(entry_changes[key], values) if joined else values
            if run.batch is not None and not restore:
                changes.append(
                    BatchChange(
                        batch=run.batch,
                        content_type=content_type,
                        object_id=record.pk,
                        field=name,
                        old_value=old,
                        new_value=new,
                        version_before=record.version - 1,
                        version_after=record.version,
                    )
                )
        entry_changes.update((notes or {}).get(record.pk, {}))
        if trash_field:
            action = AuditEntry.Action.RESTORE if restore else AuditEntry.Action.DELETE
        else:
            action = AuditEntry.Action.UPDATE
        run.audit_rows.append(
            AuditEntry(
                actor=run.actor,
                action=action,
                content_type=content_type,
                object_id=record.pk,
                object_repr=str(record)[:300],
                changes=entry_changes,
                version=record.version,
            )
        )
    BatchChange.objects.bulk_create(changes)
    run.reindex.setdefault(model, []).extend(pks)


def _joined(first: list[Any], second: list[Any]) -> list[Any]:
    """Two membership changes of one relation as one: [old names or None, new names or None]."""

    def names(value: Any) -> list[Any]:
        return [] if value is None else list(value) if isinstance(value, list) else [value]

    return [
        sorted(names(first[0]) + names(second[0])) or None,
        sorted(names(first[1]) + names(second[1])) or None,
    ]


def _follow_ups(
    model: type[Record],
    planned: list[tuple[Record, dict[str, tuple[Any, Any]]]],
    handlers: dict[str, _Field],
    follow_ups: FollowUps,
) -> tuple[dict[str, _Field], dict[int, dict[str, list[Any]]]]:
    """Fold what the change sets off into ``planned`` (in place), so it is written, kept in the
    batch and undone with the change; returns the extra fields' handlers and audit lines."""
    found = follow_ups(
        model,
        [(record, {name: new for name, (_old, new) in diff.items()}) for record, diff in planned],
    )
    if not found:
        return {}, {}
    extra: dict[str, _Field] = {}
    for follow in found.values():
        for name in follow.values:
            if name not in handlers and name not in extra:
                extra[name] = _field(model, name)
    records = [record for record, _diff in planned]
    for handler in extra.values():
        handler.prepare(records)
    notes: dict[int, dict[str, list[Any]]] = {}
    for record, diff in planned:
        wanted = found.get(record.pk)
        if wanted is None:
            continue
        for name, new in wanted.values.items():
            if name in handlers:  # what the change asked for wins over what it sets off
                continue
            old = extra[name].read(record)
            if old != new:
                diff[name] = (old, new)
        if wanted.audit:
            notes[record.pk] = wanted.audit
    return extra, notes


def _run_operation(
    run: _Run,
    model: type[Record],
    ids: Sequence[int],
    operation: Operation,
    *,
    dry_run: bool,
) -> None:
    handlers = {name: _field(model, name) for name in operation.fields}
    position = 0
    changed_here = 0
    for chunk in _chunks(ids):
        # Only live records: a record already in the trash is neither edited nor trashed again.
        queryset = model.all_objects.filter(pk__in=list(chunk), deleted_at__isnull=True)
        queryset = access.scoped(queryset, run.actor, operation.action).order_by("pk")
        if not dry_run:
            queryset = queryset.select_for_update()
        records = list(queryset)
        run.counts.skipped_forbidden += len(chunk) - len(records)
        for handler in handlers.values():
            handler.prepare(records)
        planned: list[tuple[Record, dict[str, tuple[Any, Any]]]] = []
        for record in records:
            new_values = operation.values(record, position)
            position += 1
            diff = {}
            for name, handler in handlers.items():
                old = handler.read(record)
                if old != new_values[name]:
                    diff[name] = (old, new_values[name])
            if not diff:
                run.counts.skipped_unchanged += 1
                continue
            for name, (old, _new) in diff.items():
                seen = run.before.setdefault(name, {})
                seen[old] = seen.get(old, 0) + 1
            planned.append((record, diff))
        run.counts.changed += len(planned)
        changed_here += len(planned)
        if planned and not dry_run:
            extra: dict[str, _Field] = {}
            notes: dict[int, dict[str, list[Any]]] = {}
            if operation.follow_ups is not None:
                extra, notes = _follow_ups(model, planned, handlers, operation.follow_ups)
            _apply(run, model, planned, {**handlers, **extra}, notes=notes)
    if changed_here:
        label = model._meta.label_lower
        run.counts.by_model[label] = run.counts.by_model.get(label, 0) + changed_here


def _finish(run: _Run, name: str) -> Batch:
    assert run.batch is not None
    run.batch.name = name[:300]
    run.batch.summary = run.counts.as_summary()
    run.batch.save(update_fields=["name", "summary"])
    mention = [None, run.batch.name]
    for entry in run.audit_rows:
        entry.changes["batch"] = mention
    AuditEntry.objects.bulk_create(run.audit_rows, batch_size=CHUNK)
    _reindex(run.reindex)
    return run.batch


def _reindex(changed: dict[type[Record], list[int]]) -> None:
    """Refresh the search documents of the changed records, in the batch's transaction."""
    for model, ids in changed.items():
        if ids:
            search.index_many(model, ids)


def execute(
    *,
    actor: User,
    kind: str,
    work: Sequence[tuple[type[Record], Sequence[int], Operation]],
    name: Callable[[Counts, dict[str, dict[Any, int]]], str],
) -> Batch:
    """Run ``work`` (model, ids, operation) as one batch, in one transaction.

    ``name`` builds the batch's name from the counts and the old values seen (known at the end).
    """
    with transaction.atomic():
        batch = Batch.objects.create(name=kind, kind=kind, actor=actor)
        run = _Run(actor=actor, batch=batch)
        for model, ids, operation in work:
            _run_operation(run, model, ids, operation, dry_run=False)
        return _finish(run, name(run.counts, run.before))


def preview(
    *, actor: User, work: Sequence[tuple[type[Record], Sequence[int], Operation]]
) -> Counts:
    """What :func:`execute` would change, counted the same way, changing nothing."""
    run = _Run(actor=actor, batch=None)
    for model, ids, operation in work:
        _run_operation(run, model, ids, operation, dry_run=True)
    return run.counts


# --- Reassigning and handing over -----------------------------------------------------------------
def _people(users: Sequence[User], limit: int = 3) -> str:
    names = [str(user) for user in users[:limit]]
    if len(users) > limit:
        names.append(_("%(count)d more") % {"count": len(users) - limit})
    return ", ".join(names)


def check_targets(
    actor: User, models_: Sequence[type[Record]], to_owners: Sequence[User]
) -> list[User]:
    owners = list(dict.fromkeys(to_owners))
    if not owners:
        raise DomainError(fields={"to_owners": [_("Choose at least one colleague.")]})
    for owner in owners:
        if not owner.is_active:
            raise DomainError(
                fields={"to_owners": [_("%(name)s is deactivated.") % {"name": owner}]}
            )
        for model in models_:
            if not access.can_place(
                actor, model, "assign", owner_id=owner.pk, branch_id=owner.branch_id
            ):
                raise DomainError(
                    fields={
                        "to_owners": [_("You may not give records to %(name)s.") % {"name": owner}]
                    }
                )
    return owners


def reassign_operation(to_owners: Sequence[User], kind: str = "reassign") -> Operation:
    """Owner (and the owner's branch) by round robin over ``to_owners``, in id order."""
    owners = list(to_owners)

    def values(record: Record, position: int) -> dict[str, Any]:
        owner = owners[position % len(owners)]
        return {"owner": owner.pk, "branch": owner.branch_id}

    return Operation(kind=kind, fields=("owner", "branch"), values=values)


def _previous_owners(before: dict[str, dict[Any, int]]) -> str:
    from kartoteka.accounts.models import User

    seen = before.get("owner", {})
    ids = sorted((pk for pk in seen if pk is not None), key=lambda pk: -seen[pk])
    people = list(User.objects.filter(pk__in=ids[:4]))
    people.sort(key=lambda user: ids.index(user.pk))
    shown = _people(people) if people else ""
    if None in seen:
        shown = ", ".join(part for part in (shown, _("nobody")) if part)
    return shown or "—"


def _require(actor: User, model: type[Record], action: str) -> None:
    if not access.has_any(actor, access.entity_of(model), action):
        raise ForbiddenError()


def bulk_reassign(
    *,
    actor: User,
    model: type[Record],
    ids_or_queryset: IdsOrQuerySet,
    to_owners: Sequence[User],
    name: str | None = None,
) -> Batch:
    """Give many records to one or several colleagues (spread evenly, by id), as one batch.

    Needs "assign" on each record: the others are skipped and counted. Each new owner must be
    placeable by the actor; the record moves to the new owner's branch.
    """
    _require(actor, model, "assign")
    owners = check_targets(actor, [model], to_owners)
    ids = candidates(model, ids_or_queryset)

    def batch_name(counts: Counts, before: dict[str, dict[Any, int]]) -> str:
        return name or _("Handover of %(things)s: %(from)s → %(to)s") % {
            "things": model._meta.verbose_name_plural,
            "from": _previous_owners(before),
            "to": _people(owners),
        }

    return execute(
        actor=actor,
        kind="reassign",
        work=[(model, ids, reassign_operation(owners))],
        name=batch_name,
    )


def trash_operation() -> Operation:
    now = timezone.now().isoformat()
    return Operation(
        kind="trash", fields=("deleted_at",), values=lambda record, pos: {"deleted_at": now}
    )


def bulk_trash(*, actor: User, model: type[Record], ids: IdsOrQuerySet) -> Batch:
    """Move many records to the trash as one batch; an undo brings them back."""
    _require(actor, model, "delete")
    found = candidates(model, ids)

    def batch_name(counts: Counts, before: dict[str, dict[Any, int]]) -> str:
        return ngettext(
            "Moved to the trash (%(count)d record)",
            "Moved to the trash (%(count)d records)",
            counts.changed,
        ) % {"count": counts.changed}

    return execute(
        actor=actor, kind="trash", work=[(model, found, trash_operation())], name=batch_name
    )


# --- Things a person owns: what a handover moves --------------------------------------------------
@dataclass(frozen=True)
class OwnedKind:
    """A kind of record people own, which a departing employee's handover moves."""

    model: type[Record]
    #: plural, as shown on the handover page ("companies")
    label: Any

    @property
    def entity(self) -> str:
        return access.entity_of(self.model)


_OWNED: list[OwnedKind] = []


def register_owned(model: type[Record], label: Any = None) -> None:
    """Let a departing employee's handover move ``model`` records too (call in AppConfig.ready)."""
    if any(kind.model is model for kind in _OWNED):
        return
    _OWNED.append(OwnedKind(model=model, label=label or model._meta.verbose_name_plural))


def owned_kinds() -> list[OwnedKind]:
    return list(_OWNED)


def may_hand_over(actor: User) -> bool:
    return any(access.has_any(actor, kind.entity, "assign") for kind in _OWNED)


def owned_counts(actor: User, person: User) -> list[tuple[OwnedKind, int]]:
    """How many records of each kind ``person`` owns that ``actor`` may reassign (a query each)."""
    return [
        (
            kind,
            access.scoped(kind.model.objects.filter(owner=person), actor, "assign").count(),
        )
        for kind in _OWNED
        if access.has_any(actor, kind.entity, "assign")
    ]


def handover(*, actor: User, person: User, to_owners: Sequence[User]) -> Batch:
    """Give everything ``person`` owns to one or several colleagues, spread evenly, as one batch.

    Only records the actor may assign move (an administrator or head of sales: all; a branch head:
    their branch's); the rest stay with the person.
    """
    kinds = [kind for kind in _OWNED if access.has_any(actor, kind.entity, "assign")]
    if not kinds:
        raise ForbiddenError()
    owners = [owner for owner in dict.fromkeys(to_owners)]
    if any(owner.pk == person.pk for owner in owners):
        raise DomainError(
            fields={"to_owners": [_("Choose colleagues other than the person leaving.")]}
        )
    owners = check_targets(actor, [kind.model for kind in kinds], owners)
    work = []
    for kind in kinds:
        ids = list(
            access.scoped(kind.model.objects.filter(owner=person), actor, "assign")
            .order_by("pk")
            .values_list("pk", flat=True)[: MAX_RECORDS + 1]
        )
        if len(ids) > MAX_RECORDS:
            raise DomainError(
                _("At most %(count)d records at once; narrow the filter.") % {"count": MAX_RECORDS}
            )
        if ids:
            work.append((kind.model, ids, reassign_operation(owners, kind="handover")))
    if not work:
        raise DomainError(_("%(name)s owns nothing you may hand over.") % {"name": person})

    def batch_name(counts: Counts, before: dict[str, dict[Any, int]]) -> str:
        labels = [
            str(kind.label) for kind in kinds if counts.by_model.get(kind.model._meta.label_lower)
        ]
        return _("Handover of %(things)s: %(from)s → %(to)s") % {
            "things": ", ".join(labels) or "—",
            "from": person,
            "to": _people(owners),
        }

    return execute(actor=actor, kind="handover", work=work, name=batch_name)


# --- Listing and undoing --------------------------------------------------------------------------
def may_see_all(user: User) -> bool:
    """Does the user see others' batches too (a batches grant wider than "own")?"""
    return bool(access.scopes_for(user, "batches", "view") - {"own"})


def batches_for(user: User, action: str = "view") -> QuerySet[Batch]:
    """Batches the user may see ("view") or undo ("edit"), by their batches grant's scope:
    own = made by them; team = by them or their teams' members; branch = by their branch's
    people; all = everyone's."""
    from django.db.models import Q

    from kartoteka.accounts.models import User

    queryset = Batch.objects.select_related("actor", "undone_by")
    scopes = access.scopes_for(user, "batches", action)
    if "all" in scopes:
        return queryset
    parts: list[Q] = []
    if scopes & {"own", "team"}:
        parts.append(Q(actor=user))
    if "team" in scopes:
        parts.append(Q(actor__in=User.objects.filter(teams__members=user).values("pk")))
    if "branch" in scopes:
        parts.append(Q(actor__branch_id=user.branch_id))  # type: ignore[attr-defined]
    if not parts:
        return queryset.none()
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return queryset.filter(combined)


def batch_for(user: User, pk: int) -> Batch:
    found = batches_for(user).filter(pk=pk).first()
    if found is None:
        raise NotFoundError()
    return found


def changed_count(batch: Batch) -> int:
    return int((batch.summary or {}).get("changed", 0))


def _undo_chunk(run: _Run, model: type[Record], changes: list[BatchChange]) -> tuple[int, int]:
    by_record: dict[int, list[BatchChange]] = {}
    for change in changes:
        by_record.setdefault(change.object_id, []).append(change)
    records = {
        record.pk: record
        for record in model.all_objects.select_for_update().filter(pk__in=list(by_record))
    }
    rows: list[tuple[Record, dict[str, tuple[Any, Any]]]] = []
    kept = 0
    before: dict[int, int] = {}  # record id -> its version before the batch changed it
    for pk, record_changes in by_record.items():
        record = records.get(pk)
        version_after = record_changes[0].version_after
        if record is None or version_after is None or record.version != version_after:
            kept += 1
            continue
        # The state the batches beneath left it in, which the undo puts back.
        version_before = record_changes[0].version_before
        before[pk] = version_after - 1 if version_before is None else version_before
        rows.append(
            (
                record,
                {change.field: (change.new_value, change.old_value) for change in record_changes},
            )
        )
    if rows:
        names = {name for _record, diff in rows for name in diff}
        handlers = {name: _field(model, name) for name in sorted(names)}
        _apply(run, model, rows, handlers, restore=True)
        _hand_back(run, model, before, {record.pk: record.version for record, _diff in rows})
    return len(rows), kept


def _hand_back(run: _Run, model: type[Record], before: dict[int, int], now: dict[int, int]) -> None:
    """Let the batches beneath recognise the records this undo restored as their own.

    The undo put each record back exactly as it was at version ``before[pk]``; a batch not yet
    undone that left it at that version now finds it at ``now[pk]`` (the undo's new version) in
    the same state, so its own undo restores it rather than counting it as changed by someone.
    Versions themselves only go up: an editor holding an older version still gets a conflict.
    One read and one write per chunk.
    """
    content_type = ContentType.objects.get_for_model(model)
    beneath = [
        change
        for change in BatchChange.objects.filter(
            content_type=content_type,
            object_id__in=list(before),
            version_after__in=set(before.values()),
            batch__undone_at__isnull=True,
        )
        .exclude(batch=run.batch)
        .only("pk", "object_id", "version_after")
        if before.get(change.object_id) == change.version_after
    ]
    for change in beneath:
        change.version_after = now[change.object_id]
    BatchChange.objects.bulk_update(beneath, ["version_after"], batch_size=CHUNK)


def batch_undo(*, actor: User, batch: Batch) -> UndoResult:
    """Put back every record of ``batch`` that nobody changed since; report the others.

    Only the batch's author or an administrator may undo, and only once. Records edited after
    the batch (their version moved on) are left as they are and counted in the answer.
    """
    with transaction.atomic():
        locked = (
            batches_for(actor, "edit").select_for_update(of=("self",)).filter(pk=batch.pk).first()
        )
        if locked is None:
            raise NotFoundError()
        if locked.undone_at is not None:
            raise AlreadyUndoneError()
        action = KIND_ACTIONS.get(locked.kind, "edit")
        run = _Run(actor=actor, batch=locked)
        restored = kept = 0
        content_type_ids = list(
            locked.changes.order_by("content_type_id")
            .values_list("content_type_id", flat=True)
            .distinct()
        )
        for content_type_id in content_type_ids:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            if model is None or not issubclass(model, Record):
                continue
            if not may_see_all(actor):
                _require(actor, model, action)
            last = 0
            while True:
                ids = list(
                    locked.changes.filter(content_type_id=content_type_id, object_id__gt=last)
                    .order_by("object_id")
                    .values_list("object_id", flat=True)
                    .distinct()[:CHUNK]
                )
                if not ids:
                    break
                last = ids[-1]
                changes = list(
                    locked.changes.filter(content_type_id=content_type_id, object_id__in=ids)
                )
                done, left = _undo_chunk(run, model, changes)
                restored += done
                kept += left
        locked.undone_at = timezone.now()
        locked.undone_by = actor
        locked.summary = {**(locked.summary or {}), "undo": {"restored": restored, "kept": kept}}
        locked.save(update_fields=["undone_at", "undone_by", "summary"])
        mention = [None, _("Undo of “%(name)s”") % {"name": locked.name}]
        for entry in run.audit_rows:
            entry.changes["batch"] = mention
        AuditEntry.objects.bulk_create(run.audit_rows, batch_size=CHUNK)
        _reindex(run.reindex)
    return UndoResult(batch=locked, restored=restored, kept=kept)


__all__ = [
    "CHUNK",
    "AlreadyUndoneError",
    "Counts",
    "FollowUp",
    "FollowUps",
    "Operation",
    "OwnedKind",
    "UndoResult",
    "batch_for",
    "batch_undo",
    "batches_for",
    "bulk_reassign",
    "bulk_trash",
    "candidates",
    "execute",
    "handover",
    "may_hand_over",
    "owned_counts",
    "owned_kinds",
    "preview",
    "register_owned",
]
