"""Running a batch: chunked reads, locks and writes, the batch rows, the audit and re-index."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.core import access, events, search
from kartoteka.core.batches.checks import ValueChecks
from kartoteka.core.batches.fields import _Column, _Field, _field, _Membership, _write_columns
from kartoteka.core.batches.types import (
    CHUNK,
    MAX_RECORDS,
    Counts,
    FollowUps,
    IdsOrQuerySet,
    Operation,
)
from kartoteka.core.errors import DomainError
from kartoteka.core.models import AuditEntry, Batch, BatchChange, Record

if TYPE_CHECKING:
    from kartoteka.accounts.models import User
    from kartoteka.core.jobs import Progress


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
    #: a background job's counter, advanced per chunk read
    progress: Progress | None = None


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
    emitted: list[events.Event] = []
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
        emitted.append(
            events.bulk_change(
                actor=run.actor,
                record=record,
                diff=diff,
                changes=entry_changes,
                batch=run.batch,
                undo=restore,
            )
        )
    BatchChange.objects.bulk_create(changes)
    events.emit(*emitted)  # one INSERT for the chunk
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
    checks: ValueChecks,
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
        for name, new in checks.clean(wanted.values).items():
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
    checks = ValueChecks(model)  # every value checked as a single edit checks it
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
            new_values = checks.clean(operation.values(record, position))
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
                extra, notes = _follow_ups(model, planned, handlers, operation.follow_ups, checks)
            _apply(run, model, planned, {**handlers, **extra}, notes=notes)
        if run.progress is not None:
            run.progress.advance(len(chunk))
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
    progress: Progress | None = None,
) -> Batch:
    """Run ``work`` (model, ids, operation) as one batch, in one transaction.

    ``name`` builds the batch's name from the counts and the old values seen (known at the end);
    ``progress``, a background job's counter, advances by each chunk of ids read.
    """
    with transaction.atomic():
        batch = Batch.objects.create(name=kind, kind=kind, actor=actor)
        run = _Run(actor=actor, batch=batch, progress=progress)
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
