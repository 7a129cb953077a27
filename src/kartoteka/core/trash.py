"""The trash: soft-deleted records of every kind, restorable by administrators."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from kartoteka.core import access, kinds, records
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


def trash_list(user: User, limit: int = 200) -> list[Record]:
    """Deleted records the user may see, newest deletion first (bounded: one query per kind)."""
    if not access.has_any(user, "trash", "view"):
        return []
    found: list[Record] = []
    for model in trashable_models():
        queryset = access.scoped(
            model.all_objects.filter(deleted_at__isnull=False), user, "view"
        ).select_related("deleted_by", "owner", "branch")
        found.extend(queryset.order_by("-deleted_at")[:limit])
    found.sort(key=lambda record: record.deleted_at or timezone.now(), reverse=True)
    return found[:limit]


def trash_restore(*, actor: User, label: str, pk: int) -> Record:
    """Bring a deleted record back, as it was, with a new version and an audit entry."""
    if not access.has_any(actor, "trash", "edit"):
        raise NotFoundError()
    model = model_by_label(label)
    obj = access.get_for_user_or_404(
        model.all_objects.filter(deleted_at__isnull=False), actor, "view", pk=pk
    )
    records.restore_record(actor=actor, obj=obj)
    return obj


def purge_expired() -> int:
    """Delete for good what has been in the trash longer than KARTOTEKA_TRASH_RETENTION_DAYS."""
    cutoff = timezone.now() - timedelta(days=settings.TRASH_RETENTION_DAYS)
    purged = 0
    for model in trashable_models():
        for obj in model.all_objects.filter(deleted_at__lt=cutoff).iterator():
            records.purge_record(actor=None, obj=obj)
            purged += 1
    return purged
