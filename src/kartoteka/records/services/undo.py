"""Undo of a single act: a record moved to the trash, a share removed, a saved view removed, a
merge.

Each act that can be undone describes itself as an :class:`Undo` (an operation name and plain
JSON data: ids, versions, a snapshot) right after it is done. The page keeps that description for
the one who acted and offers "Undo" in a toast; :func:`undo` then checks access again, as for any
write, and refuses cleanly (:class:`ConflictError`) when the record changed since, or
(:class:`NothingToUndoError`) when it has already been put back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from kartoteka.core import access, records, trash
from kartoteka.core.errors import ConflictError, NotFoundError, NothingToUndoError
from kartoteka.core.models import Record
from kartoteka.records import sharing
from kartoteka.records.services import saved_views

if TYPE_CHECKING:
    from kartoteka.accounts.models import User
    from kartoteka.core.models import RecordShare
    from kartoteka.records.models import SavedView


@dataclass(frozen=True)
class Undo:
    """How to take one act back: ``operation`` names the handler, ``data`` is JSON."""

    operation: str
    data: dict[str, Any]


def for_trash(obj: Record) -> Undo:
    """``obj`` has just gone to the trash (its version is the one it has there)."""
    return Undo("trash", {"label": obj._meta.label_lower, "pk": obj.pk, "version": obj.version})


def for_unshare(obj: Record, share: RecordShare) -> Undo:
    return Undo(
        "unshare",
        {"label": obj._meta.label_lower, "pk": obj.pk, "share": sharing.share_snapshot(share)},
    )


def for_view_delete(snapshot: dict[str, Any]) -> Undo:
    return Undo("view_delete", dict(snapshot))


def _record(label: str, pk: int) -> Record:
    model = trash.model_by_label(label)
    found = model.all_objects.filter(pk=pk).first()
    if found is None:
        raise NotFoundError()
    return found


def _undo_trash(actor: User, data: dict[str, Any]) -> str:
    model = trash.model_by_label(str(data["label"]))
    with transaction.atomic():
        obj = model.all_objects.select_for_update().filter(pk=data["pk"]).first()
        if obj is None:
            raise NotFoundError()
        if obj.deleted_at is None:
            raise NothingToUndoError(_("“%(name)s” is already back.") % {"name": obj})
        if obj.version != data["version"]:
            raise ConflictError(
                current_version=obj.version,
                changes=[],
                message=_("“%(name)s” was changed since it was deleted; restore it from the trash.")
                % {"name": obj},
            )
        if not trash.may_restore(actor, obj):
            raise NotFoundError()
        records.restore_record(actor=actor, obj=obj)
    return _("“%(name)s” is back.") % {"name": obj}


def _undo_unshare(actor: User, data: dict[str, Any]) -> str:
    obj = _record(str(data["label"]), int(data["pk"]))
    if obj.deleted_at is not None or not access.can(actor, "view", obj):
        raise NotFoundError()
    sharing.share_restore(actor=actor, obj=obj, snapshot=data["share"])
    return _("Access restored.")


def _undo_view_delete(actor: User, data: dict[str, Any]) -> str:
    view: SavedView = saved_views.saved_view_restore(actor=actor, snapshot=data)
    return _("View “%(name)s” is back.") % {"name": view.name}


HANDLERS: dict[str, Callable[[User, dict[str, Any]], str]] = {
    "trash": _undo_trash,
    "unshare": _undo_unshare,
    "view_delete": _undo_view_delete,
}


def register(operation: str, handler: Callable[[User, dict[str, Any]], str]) -> None:
    """Another act that can be undone (``handler(actor, data)`` returns the toast's text)."""
    HANDLERS[operation] = handler


def undo(*, actor: User, operation: str, data: dict[str, Any]) -> str:
    """Take back the act ``operation``/``data`` describe, if ``actor`` may; returns what to say.

    Raises :class:`NotFoundError` when the act is unknown or out of ``actor``'s reach,
    :class:`ConflictError` when the record changed since, :class:`NothingToUndoError` when it
    has already been undone.
    """
    handler = HANDLERS.get(operation)
    if handler is None:
        raise NotFoundError()
    return handler(actor, data)
