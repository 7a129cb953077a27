"""Saved list views: a name for a list's filters, sort and columns, private or shared."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.db import transaction
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.core import access, audit, kinds
from kartoteka.core.errors import ConflictError, DomainError, NotFoundError, NothingToUndoError
from kartoteka.core.models import AuditEntry
from kartoteka.records.models import SavedView

# Paging and one-off search text are not part of a view.
NOT_SAVED = {"after", "csrfmiddlewaretoken", "view"}


def clean_query(query: str) -> str:
    pairs = [
        (k, v)
        for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=False)
        if k not in NOT_SAVED
    ]
    return urlencode(pairs)


def saved_view_create(
    *,
    actor: User,
    entity: str,
    name: str,
    query: str,
    is_shared: bool = False,
    columns: list[str] | None = None,
) -> SavedView:
    """Save the list's current filters and sort under a name (shared ones show for everyone;
    each person still sees only the records their role allows)."""
    if kinds.record_kind(entity) is None or not access.has_any(actor, entity, "view"):
        raise NotFoundError()
    name = name.strip()
    if not name:
        raise DomainError(fields={"name": [_("Give the view a name.")]})
    with transaction.atomic():
        view = SavedView.objects.create(
            name=name[:100],
            entity=entity,
            owner=actor,
            is_shared=is_shared,
            query=clean_query(query),
            columns=columns or [],
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=view,
            changes={
                "name": [None, view.name],
                "query": [None, view.query],
                "is_shared": [None, is_shared],
            },
        )
    return view


def saved_view_delete(*, actor: User, view: SavedView) -> None:
    """Only the author removes a view; those who edit settings may remove shared ones too."""
    if view.owner_id != actor.pk and not (
        view.is_shared and access.has_any(actor, "settings", "edit")
    ):
        raise NotFoundError()
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DELETE,
            obj=view,
            changes={"name": [view.name, None]},
        )
        view.delete()


def saved_view_snapshot(view: SavedView) -> dict[str, Any]:
    """What :func:`saved_view_restore` needs to put ``view`` back after it was removed."""
    return {
        "pk": view.pk,
        "name": view.name,
        "entity": view.entity,
        "owner": view.owner_id,
        "is_shared": view.is_shared,
        "query": view.query,
        "columns": list(view.columns or []),
    }


def saved_view_restore(*, actor: User, snapshot: dict[str, Any]) -> SavedView:
    """Put back a removed view as it was (same author, same number when it is free), for the
    one who removed it or someone else who may remove it. A view of the same name saved since
    by its author is a conflict: nothing is written."""
    owner_id = snapshot["owner"]
    if owner_id != actor.pk and not (
        snapshot["is_shared"] and access.has_any(actor, "settings", "edit")
    ):
        raise NotFoundError()
    if SavedView.objects.filter(pk=snapshot["pk"]).exists():
        raise NothingToUndoError(_("The view is already back."))
    entity, name = str(snapshot["entity"]), str(snapshot["name"])
    if SavedView.objects.filter(owner_id=owner_id, entity=entity, name=name).exists():
        raise ConflictError(
            current_version=0,
            changes=[],
            message=_("A view named “%(name)s” was saved since; nothing was changed.")
            % {"name": name},
        )
    with transaction.atomic():
        view = SavedView.objects.create(
            pk=snapshot["pk"],
            name=name,
            entity=entity,
            owner_id=owner_id,
            is_shared=bool(snapshot["is_shared"]),
            query=str(snapshot["query"]),
            columns=list(snapshot["columns"] or []),
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.RESTORE,
            obj=view,
            changes={"name": [None, view.name]},
        )
    return view
