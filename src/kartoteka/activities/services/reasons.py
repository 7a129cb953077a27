"""The administered list of refusal reasons: add, rename, deactivate, reorder (audited)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activities.models import RefusalReason
from kartoteka.core import access, audit
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.models import AuditEntry
from kartoteka.core.text import fold

NAME_LIMIT = 200


def _require_admin(actor: User) -> None:
    # Like tags and custom fields: company settings, changed by those who may edit settings.
    if not access.has_any(actor, "settings", "edit"):
        raise ForbiddenError()


def _clean_name(name: str, current: RefusalReason | None) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise DomainError(fields={"name": [_("This field is required.")]})
    if len(text) > NAME_LIMIT:
        raise DomainError(fields={"name": [_("At most 200 characters.")]})
    # A short list: compared here, where case folding knows Cyrillic (SQLite's does not).
    others = RefusalReason.objects.all()
    if current is not None:
        others = others.exclude(pk=current.pk)
    if any(fold(name) == fold(text) for name in others.values_list("name", flat=True)):
        raise DomainError(fields={"name": [_("There is such a reason already.")]})
    return text


def reason_create(*, actor: User, name: str) -> RefusalReason:
    """Add a reason at the end of the list."""
    _require_admin(actor)
    text = _clean_name(name, None)
    with transaction.atomic():
        last = RefusalReason.objects.aggregate(last=Max("position"))["last"] or 0
        reason = RefusalReason.objects.create(name=text, position=last + 10)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.CREATE,
            obj=reason,
            changes={"name": [None, text], "active": [None, True]},
        )
    return reason


def reason_update(*, actor: User, reason: RefusalReason, name: str, active: bool) -> RefusalReason:
    """Rename a reason or (de)activate it. A deactivated reason stays on the inquiries that
    have it and is no longer offered."""
    _require_admin(actor)
    text = _clean_name(name, reason)
    with transaction.atomic():
        current = RefusalReason.objects.select_for_update().get(pk=reason.pk)
        changes: dict[str, list[Any]] = {}
        if current.name != text:
            changes["name"] = [current.name, text]
        if current.active != active:
            changes["active"] = [current.active, active]
        if not changes:
            return current
        current.name, current.active = text, active
        current.save(update_fields=["name", "active"])
        audit.record(actor=actor, action=AuditEntry.Action.UPDATE, obj=current, changes=changes)
    return current


def reason_move(*, actor: User, reason: RefusalReason, offset: int) -> None:
    """Move a reason one place up (``offset`` -1) or down (+1) in the list."""
    _require_admin(actor)
    with transaction.atomic():
        ordered = list(RefusalReason.objects.select_for_update().order_by("position", "name"))
        index = next((i for i, r in enumerate(ordered) if r.pk == reason.pk), None)
        if index is None:
            return
        target = index + offset
        if not 0 <= target < len(ordered):
            return
        ordered[index], ordered[target] = ordered[target], ordered[index]
        for position, item in enumerate(ordered, start=1):
            if item.position != position * 10:
                item.position = position * 10
                item.save(update_fields=["position"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=reason,
            changes={"position": [index + 1, target + 1]},
        )
