"""Listing the batches a user may see, and undoing one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.core import access
from kartoteka.core.batches.engine import _apply, _reindex, _Run
from kartoteka.core.batches.fields import _field
from kartoteka.core.batches.operations import _require
from kartoteka.core.batches.types import CHUNK, KIND_ACTIONS, AlreadyUndoneError, UndoResult
from kartoteka.core.errors import NotFoundError
from kartoteka.core.models import AuditEntry, Batch, BatchChange, Record

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


def may_see_all(user: User) -> bool:
    """Does the user see others' batches too (a batches grant wider than "own")?"""
    return bool(access.scopes_for(user, "batches", "view") - {"own"})


def batches_for(user: User, action: str = "view") -> QuerySet[Batch]:
    """Batches the user may see ("view") or undo ("edit"), by their batches grant's scope:
    own = made by them; team = by them or their teams' members; branch = by their branch's
    people; all = everyone's."""
    from django.db.models import Q

    queryset = Batch.objects.select_related("actor", "undone_by")
    scopes = access.scopes_for(user, "batches", action)
    if "all" in scopes:
        return queryset
    parts: list[Q] = []
    if scopes & {"own", "team"}:
        parts.append(Q(actor=user))
    if "team" in scopes:
        parts.append(Q(actor__in=get_user_model().objects.filter(teams__members=user).values("pk")))
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
