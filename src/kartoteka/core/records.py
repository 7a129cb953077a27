"""Generic writes shared by every scoped record: create, versioned update, trash, restore.

Domain services (``company_create`` ...) check access and validate, then call these, which keep
the version, the audit trail and the trash consistent in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from kartoteka.core import audit, events, search
from kartoteka.core.errors import ConflictError, NotFoundError
from kartoteka.core.models import AuditEntry, Record

if TYPE_CHECKING:
    from kartoteka.accounts.models import User

R = TypeVar("R", bound=Record)


#: writes a record's lists (phones, tags...) and returns their changes as {name: [old, new]}
RelatedWriter = Callable[[Any], dict[str, list[Any]]]


def create_record(
    *, actor: User, model: type[R], values: dict[str, Any], related: RelatedWriter | None = None
) -> R:
    with transaction.atomic():
        obj = model(**values)
        obj.full_clean()
        obj.save()
        changes = {
            k: [None, v]
            for k, v in audit.snapshot(obj, model.audited_fields).items()
            if v not in (None, "", [], {})
        }
        if related is not None:
            changes.update(related(obj))
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
) -> R:
    """Apply ``values`` if nobody changed ``obj`` since ``version``; else :class:`ConflictError`.

    The row is locked, checked and written in one transaction, so two concurrent edits can never
    both win. ``related`` writes the record's lists inside the same transaction.
    """
    model = type(obj)
    with transaction.atomic():
        current = model.all_objects.select_for_update().filter(pk=obj.pk).first()
        if current is None or current.deleted_at is not None:
            raise NotFoundError()
        if current.version != version:
            raise ConflictError(
                current_version=current.version,
                changes=audit.changes_since(current, version, viewer=actor),
            )
        before = audit.snapshot(current, model.audited_fields)
        for name, value in values.items():
            setattr(current, name, value)
        current.full_clean()
        changes = audit.diff(before, audit.snapshot(current, model.audited_fields))
        if related is not None:
            changes.update(related(current))
        if not changes:
            return current
        current.updated_at = timezone.now()
        updated = model.all_objects.filter(pk=current.pk, version=version).update(
            **{name: getattr(current, name) for name in values},
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
