"""Undoing a merge: the merged-away record comes back from the trash with its links, and the
survivor gets back its values and lists as they were before.

Right before the merge, in the merge's own transaction and under the same row locks,
:func:`merge_with_undo` takes a snapshot of both records (their columns and tags) and of every
row that points at either of them (phones, emails, employments, related persons... whatever the
kinds register, found through the models' foreign keys) plus the other record's shares. The undo
puts exactly that back, but only while neither record changed since the merge (both versions
are compared, as bulk undo does); otherwise it refuses with a conflict and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.db import models, transaction
from django.utils.translation import gettext as _

from kartoteka.core import access, audit, records, search, trash
from kartoteka.core.errors import ConflictError, NotFoundError, NothingToUndoError
from kartoteka.core.models import Record, RecordShare
from kartoteka.records.services import undo

if TYPE_CHECKING:
    from kartoteka.accounts.models import User

#: a merge touching more rows than this is not offered an undo (its snapshot would be too big
#: to keep in the session); the merged-away record can still be restored from the trash
MAX_ROWS = 300
#: columns an undo never writes back: the record's identity and bookkeeping
_BOOKKEEPING = {"id", "created_at", "updated_at", "version", "deleted_at", "deleted_by"}


def _links(model: type[Record]) -> list[models.ForeignObjectRel]:
    """Relations of rows that point at a ``model`` record and go with it (phones, employments)."""
    return [
        relation
        for relation in model._meta.related_objects
        if relation.one_to_many and relation.on_delete is models.CASCADE
    ]


def _rows(model: type[Record], pks: list[int]) -> list[models.Model]:
    found: list[models.Model] = []
    for relation in _links(model):
        name = relation.field.name
        related = relation.related_model
        assert not isinstance(related, str)  # resolved once the apps are loaded
        found.extend(related._default_manager.filter(**{f"{name}__in": pks}))
    return found


def _snapshot(model: type[Record], survivor_pk: int, other_pk: int) -> dict[str, Any] | None:
    records_ = list(model.all_objects.filter(pk__in=[survivor_pk, other_pk]))
    rows = _rows(model, [survivor_pk, other_pk])
    if len(rows) > MAX_ROWS:
        return None
    content_type = ContentType.objects.get_for_model(model)
    shares = RecordShare.objects.filter(content_type=content_type, object_id=other_pk)
    return {
        "records": serializers.serialize("json", records_),
        "rows": serializers.serialize("json", rows),
        "shares": list(shares.values_list("pk", flat=True)),
    }


def merge_with_undo(
    merge: Callable[..., Any], *, survivor: Record, other: Record, **arguments: Any
) -> tuple[Any, undo.Undo | None]:
    """Run ``merge(survivor=..., other=..., **arguments)`` and describe how to undo it (``None``
    when the merge touched too many rows to keep a snapshot)."""
    model = type(survivor)
    with transaction.atomic():
        # The merge locks the same rows in the same order; here they are locked first, so the
        # snapshot is exactly what the merge starts from.
        list(
            model.all_objects.select_for_update()
            .filter(pk__in=[survivor.pk, other.pk])
            .order_by("pk")
        )
        before = _snapshot(model, survivor.pk, other.pk)
        merged = merge(survivor=survivor, other=other, **arguments)
        if before is None:
            return merged, None
        versions = dict(
            model.all_objects.filter(pk__in=[survivor.pk, other.pk]).values_list("pk", "version")
        )
    data = {
        "label": model._meta.label_lower,
        "survivor": survivor.pk,
        "other": other.pk,
        "survivor_version": versions[survivor.pk],
        "other_version": versions[other.pk],
        **before,
    }
    return merged, undo.Undo("merge", data)


def _restore_links(data: dict[str, Any], survivor: Record, other: Record) -> None:
    model = type(survivor)
    for item in serializers.deserialize("json", data["rows"]):
        # Each row as it was: moved ones point back, a row the merge folded away (an employment
        # both had) comes back under its own id.
        item.save()
    content_type = ContentType.objects.get_for_model(model)
    RecordShare.objects.filter(
        content_type=content_type, object_id=survivor.pk, pk__in=data["shares"]
    ).update(object_id=other.pk)


def _undo_merge(actor: User, data: dict[str, Any]) -> str:
    model = trash.model_by_label(str(data["label"]))
    with transaction.atomic():
        locked = {
            row.pk: row
            for row in model.all_objects.select_for_update()
            .filter(pk__in=[data["survivor"], data["other"]])
            .order_by("pk")
        }
        survivor, other = locked.get(data["survivor"]), locked.get(data["other"])
        if survivor is None or other is None or survivor.deleted_at is not None:
            raise NotFoundError()
        if not (access.can(actor, "edit", survivor) and trash.may_restore(actor, other)):
            raise NotFoundError()
        if other.deleted_at is None:
            raise NothingToUndoError(_("“%(name)s” is already back.") % {"name": other})
        if (survivor.version, other.version) != (data["survivor_version"], data["other_version"]):
            raise ConflictError(
                current_version=survivor.version,
                changes=[],
                message=_(
                    "“%(name)s” was changed after the merge, so the merge cannot be undone; "
                    "restore the other record from the trash instead."
                )
                % {"name": survivor},
            )
        old = {item.object.pk: item for item in serializers.deserialize("json", data["records"])}
        before = old[survivor.pk]
        values = {
            field.attname: getattr(before.object, field.attname)
            for field in model._meta.concrete_fields
            if field.name not in _BOOKKEEPING
            and getattr(before.object, field.attname) != getattr(survivor, field.attname)
        }

        def put_back(target: Any) -> dict[str, list[Any]]:
            changes: dict[str, list[Any]] = {}
            for name, ids in (before.m2m_data or {}).items():
                now = sorted(getattr(target, name).values_list("pk", flat=True))
                if now != sorted(ids):
                    getattr(target, name).set(ids)
                    changes[name] = [now, sorted(ids)]
            for name, ids in (old[other.pk].m2m_data or {}).items():
                getattr(other, name).set(ids)
            _restore_links(data, target, other)
            changes["merged_with"] = [audit.link(other, f"#{other.pk} «{other}»"), None]
            return changes

        restored = records.update_record(
            actor=actor, obj=survivor, version=survivor.version, values=values, related=put_back
        )
        records.restore_record(actor=actor, obj=other)
        search.index(restored)
    return _("Merge undone: “%(name)s” is back.") % {"name": other}


def register() -> None:
    undo.register("merge", _undo_merge)
