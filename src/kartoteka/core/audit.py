"""The audit trail: who did what, when, with each field's old and new value."""

from __future__ import annotations

import datetime
import decimal
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from kartoteka.core.models import AuditEntry

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


def display_value(obj: models.Model, field_name: str) -> Any:
    """A field's value as a person would read it: choices by label, relations by name."""
    field = obj._meta.get_field(field_name)
    if isinstance(field, models.ForeignKey):
        related = getattr(obj, field_name)
        return str(related) if related is not None else None
    value = getattr(obj, field_name)
    choices = getattr(field, "choices", None)
    if choices:
        return str(dict(choices).get(value, value)) if value not in (None, "") else value
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def snapshot(obj: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: display_value(obj, name) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, list[Any]] | None = None,
    object_repr: str = "",
) -> AuditEntry:
    """Write one audit entry; services call this inside their transaction."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj._meta.model)
        if obj is not None
        else None,
        object_id=obj.pk if obj is not None else None,
        object_repr=(object_repr or str(obj))[:300] if obj is not None else object_repr[:300],
        changes=changes or {},
        version=getattr(obj, "version", None),
    )


def entries_for(obj: models.Model) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj._meta.model), object_id=obj.pk
    ).select_related("actor", "content_type")


def changes_since(obj: models.Model, version: int) -> list[dict[str, Any]]:
    """What others changed after ``version``: shown to a user whose edit collided."""
    rows = entries_for(obj).filter(version__gt=version).order_by("id")
    return [
        {
            "at": entry.at.isoformat(),
            "who": str(entry.actor) if entry.actor else "",
            "version": entry.version,
            "changes": entry.changes,
        }
        for entry in rows
    ]
