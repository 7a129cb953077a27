"""Generic writes shared by every scoped record: create, versioned update, trash, restore.

Domain services (``company_create`` ...) check access and validate, then call these, which keep
the version, the audit trail and the trash consistent in one transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from kartoteka.core import audit, events, search
from kartoteka.core.db.prepared import planned_once
from kartoteka.core.errors import ConflictError, NotFoundError
from kartoteka.core.models import AuditEntry, Record

if TYPE_CHECKING:
    from kartoteka.accounts.models import User

R = TypeVar("R", bound=Record)


Changes = dict[str, list[Any]]
#: writes a record's lists (phones, tags...) and returns their changes as {name: [old, new]}
RelatedWriter = Callable[[Any], Changes]
#: what a change sets off (a group rule's tag or owner), planned from the record as it was
#: (``None`` when it is being created) and as the change leaves it, in memory, before anything
#: is written: more values, named as bulk changes name them (``owner``: an id, ``tags.7``: True
#: to link the record to tag 7, False to unlink it), and lines for the audit entry
FollowUp = Callable[[Any, Any], tuple[dict[str, Any], Changes]]


def merge_changes(first: Changes, then: Changes) -> Changes:
    """Two sets of audit changes as one: a field changed by both keeps the first old value and
    the last new one."""
    merged = dict(first)
    for name, (old, new) in then.items():
        merged[name] = [merged[name][0], new] if name in merged else [old, new]
    return merged


def reads_back_as_is(value: Any) -> bool:
    """Would a JSON column holding ``value`` give it back exactly, key order included?

    SQLite keeps an object's keys as written; PostgreSQL's ``jsonb`` keeps them shorter first,
    then bytewise. A value whose objects are already in that order reads back the same from
    either, so what was just written can be shown (or indexed) without reading it back.
    """
    if isinstance(value, dict):
        keys = [str(key).encode() for key in value]
        return keys == sorted(keys, key=lambda key: (len(key), key)) and all(
            reads_back_as_is(item) for item in value.values()
        )
    if isinstance(value, list):
        return all(reads_back_as_is(item) for item in value)
    return True


def _set_columns(obj: Record, values: dict[str, Any]) -> list[str]:
    """Put a follow-up's column values on ``obj`` (foreign keys as ids); returns their names."""
    names = []
    for name, value in values.items():
        if "." not in name:
            setattr(obj, obj._meta.get_field(name).attname, value)  # type: ignore[union-attr]
            names.append(name)
    return names


def _write_memberships(obj: Record, values: dict[str, Any]) -> None:
    """Link or unlink ``obj`` as a follow-up's ``<relation>.<id>`` values say."""
    for name, value in values.items():
        relation, dot, target = name.partition(".")
        if dot:
            manager = getattr(obj, relation)
            (manager.add if value else manager.remove)(int(target))


def create_record(
    *,
    actor: User | None,
    model: type[R],
    values: dict[str, Any],
    related: RelatedWriter | None = None,
    follow: FollowUp | None = None,
    checked: bool = False,
) -> R:
    """Insert a record with ``values``, its lists (``related``) and what it sets off (``follow``),
    audited as one creation.

    Every field is checked (``full_clean``) with the follow-up's values in place before the
    first write; ``checked`` says the caller has already run that check on ``values`` (the
    services' ``validate_all``), so it is run again only if the follow-up set a column. The
    audit entry shows a field a follow-up changed as asked → set (a group rule that gave the
    new client to someone else: "owner: the creator → the rule's owner").

    Inside the caller's transaction no savepoint is made (two round trips): nothing between
    here and the caller catches a failure to carry on, so the whole change rolls back.
    """
    # Inserts, and reads by key: each statement's plan is the same for every record.
    with transaction.atomic(savepoint=False), planned_once():
        obj = model(**values)
        extra, notes = follow(None, obj) if follow is not None else ({}, {})
        if _set_columns(obj, extra) or not checked:
            obj.full_clean()
        obj.save()
        changes = {
            k: [None, v]
            for k, v in audit.snapshot(obj, model.audited_fields).items()
            if v not in (None, "", [], {})
        }
        written = related(obj) if related is not None else {}
        _write_memberships(obj, extra)
        changes.update(merge_changes(written, notes))
        audit.record(actor=actor, action=AuditEntry.Action.CREATE, obj=obj, changes=changes)
        events.created(actor=actor, obj=obj, changes=changes)
    return obj


def update_record(
    *,
    actor: User,
    obj: R,
    version: int,
    values: dict[str, Any],
    related: RelatedWriter | None = None,
    follow: FollowUp | None = None,
) -> R:
    """Apply ``values`` if nobody changed ``obj`` since ``version``; else :class:`ConflictError`.

    The row is locked, checked and written in one transaction, so two concurrent edits can never
    both win. ``follow`` plans what the change sets off from the locked record as it was and as
    ``values`` leave it; every field is then checked (``full_clean``) before the first write.
    ``related`` writes the record's lists, and the follow-up's links, in the same transaction;
    all of it is one version and one audit entry.
    """
    model = type(obj)
    # Reads and writes by key: each statement's plan is the same for every record.
    with transaction.atomic(), planned_once():
        current = model.all_objects.select_for_update().filter(pk=obj.pk).first()
        if current is None or current.deleted_at is not None:
            raise NotFoundError()
        if current.version != version:
            raise ConflictError(
                current_version=current.version,
                changes=audit.changes_since(current, version, viewer=actor),
            )
        before = audit.snapshot(current, model.audited_fields)
        prior = copy.copy(current)
        for name, value in values.items():
            setattr(current, name, value)
        extra, notes = follow(prior, current) if follow is not None else ({}, {})
        columns = [*values, *(name for name in _set_columns(current, extra) if name not in values)]
        current.full_clean()
        changes = audit.diff(before, audit.snapshot(current, model.audited_fields))
        written = related(current) if related is not None else {}
        _write_memberships(current, extra)
        # The record's own fields read old → new from the snapshot; the rest is added.
        for name, pair in merge_changes(written, notes).items():
            changes.setdefault(name, pair)
        if not changes:
            return current
        current.updated_at = timezone.now()
        updated = model.all_objects.filter(pk=current.pk, version=version).update(
            **{name: getattr(current, name) for name in columns},
            updated_at=current.updated_at,
            version=F("version") + 1,
        )
        if updated != 1:  # pragma: no cover - the row lock makes this unreachable
            raise ConflictError(current_version=version + 1, changes=[])
        current.version = version + 1
        audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=current, changes=changes)
        events.changed(actor=actor, obj=current, changes=changes)
    return current


def trash_record(*, actor: User, obj: Record) -> None:
    with transaction.atomic():
        moved = (
            type(obj)
            .all_objects.filter(pk=obj.pk, deleted_at__isnull=True)
            .update(deleted_at=timezone.now(), deleted_by=actor, version=F("version") + 1)
        )
        if moved != 1:
            raise NotFoundError()
        obj.refresh_from_db()
        audit.record(actor=actor, action=AuditEntry.Action.DELETE, obj=obj)
        events.trashed(actor=actor, obj=obj)
        search.remove(obj)


def restore_record(*, actor: User, obj: Record) -> None:
    with transaction.atomic():
        restored = (
            type(obj)
            .all_objects.filter(pk=obj.pk, deleted_at__isnull=False)
            .update(deleted_at=None, deleted_by=None, version=F("version") + 1)
        )
        if restored != 1:
            raise NotFoundError()
        obj.refresh_from_db()
        audit.record(actor=actor, action=AuditEntry.Action.RESTORE, obj=obj)
        events.restored(actor=actor, obj=obj)
        search.index(obj)


def purge_record(*, actor: User | None, obj: Record) -> None:
    with transaction.atomic():
        audit.record(actor=actor, action=AuditEntry.Action.PURGE, obj=obj)
        models.Model.delete(obj)
