"""The trash: soft-deleted records of every kind.

Administrators (the "trash" grant) see and restore every deleted record within their view of each
kind. Everyone else sees the records they deleted themselves or own, and restores those: the one
they deleted, or their own one if their role lets them delete such records.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kartoteka.core import access, clock, kinds, records
from kartoteka.core.errors import NotFoundError
from kartoteka.core.models import Record

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


def trashable_models() -> list[type[Record]]:
    """Every registered record kind's model (kartoteka.core.kinds)."""
    return [kind.model for kind in kinds.record_kinds()]


def model_by_label(label: str) -> type[Record]:
    for model in trashable_models():
        if model._meta.label_lower == label:
            return model
    raise NotFoundError()


def sees_everyones(user: User) -> bool:
    """Does ``user`` hold the trash grant (everyone's deleted records, within their view)?"""
    return access.has_any(user, "trash", "view")


def may_use(user: User) -> bool:
    """Is there a trash for ``user`` at all: the grant, or records of some kind they could
    have deleted or own (a role that creates or deletes records of a kind)?"""
    if sees_everyones(user):
        return True
    return any(
        access.has_any(user, kind.entity, action)
        for kind in kinds.record_kinds()
        for action in ("create", "delete")
    )


def _own_part(user: User, model: type[Record]) -> Q:
    return Q(deleted_by=user.pk) | Q(**{f"{getattr(model, 'owner_field', 'owner')}": user.pk})


def _in_trash(user: User, model: type[Record]) -> QuerySet[Record]:
    queryset: QuerySet[Record] = model.all_objects.filter(deleted_at__isnull=False)
    if sees_everyones(user):
        return access.scoped(queryset, user, "view")
    if not access.has_any(user, access.entity_of(model), "view"):
        return queryset.none()
    return queryset.filter(_own_part(user, model))


def trash_list(user: User, limit: int = 200) -> list[Record]:
    """Deleted records the user may see, newest deletion first (bounded: one query per kind)."""
    if not may_use(user):
        return []
    found: list[Record] = []
    for model in trashable_models():
        queryset = _in_trash(user, model).select_related("deleted_by", "owner", "branch")
        found.extend(queryset.order_by("-deleted_at")[:limit])
    found.sort(key=lambda record: record.deleted_at or timezone.now(), reverse=True)
    return found[:limit]


def may_restore(user: User, obj: Record) -> bool:
    """May ``user`` bring ``obj`` (in the trash) back? The trash grant within their view; else
    the one who deleted it, or its owner if their role deletes such records."""
    if access.has_any(user, "trash", "edit"):
        return access.can(user, "view", obj)
    if not access.has_any(user, access.entity_of(type(obj)), "view"):
        return False
    if getattr(obj, "deleted_by_id", None) == user.pk:
        return True
    owner_id = getattr(obj, f"{getattr(type(obj), 'owner_field', 'owner')}_id", None)
    return owner_id == user.pk and access.has_any(user, access.entity_of(type(obj)), "delete")


def trash_restore(*, actor: User, label: str, pk: int) -> Record:
    """Bring a deleted record back, as it was, with a new version and an audit entry.

    Outside what :func:`may_restore` allows the record does not exist for ``actor`` (404).
    """
    model = model_by_label(label)
    with transaction.atomic():
        obj = model.all_objects.select_for_update().filter(pk=pk, deleted_at__isnull=False).first()
        if obj is None or not may_restore(actor, obj):
            raise NotFoundError()
        records.restore_record(actor=actor, obj=obj)
    return obj


def purge_expired() -> int:
    """Delete for good what has been in the trash longer than KARTOTEKA_TRASH_RETENTION_DAYS."""
    cutoff = clock.now() - timedelta(days=settings.TRASH_RETENTION_DAYS)
    purged = 0
    for model in trashable_models():
        for obj in model.all_objects.filter(deleted_at__lt=cutoff).iterator():
            records.purge_record(actor=None, obj=obj)
            purged += 1
    return purged
