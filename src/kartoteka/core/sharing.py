"""Sharing one record beyond its scope with a user, a team or a branch, optionally until a date."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.core import access, audit
from kartoteka.core.errors import DomainError, NotFoundError
from kartoteka.core.models import AuditEntry, Record, RecordShare

if TYPE_CHECKING:
    from kartoteka.accounts.models import Branch, Team, User


def shares_of(obj: Record) -> QuerySet[RecordShare]:
    return RecordShare.objects.filter(
        content_type=ContentType.objects.get_for_model(obj._meta.model), object_id=obj.pk
    ).select_related("user", "team", "branch")


def share_create(
    *,
    actor: User,
    obj: Record,
    user: User | None = None,
    team: Team | None = None,
    branch: Branch | None = None,
    until: date | None = None,
) -> RecordShare:
    """Share ``obj`` (view and edit) with exactly one target; audited on the record."""
    if not access.can(actor, "edit", obj):
        raise NotFoundError()
    if sum(target is not None for target in (user, team, branch)) != 1:
        raise DomainError(fields={"user": [_("Choose exactly one: a user, a team or a branch.")]})
    if until is not None and until < timezone.localdate():
        raise DomainError(fields={"until": [_("The date has already passed.")]})
    with transaction.atomic():
        share = RecordShare.objects.create(
            content_type=ContentType.objects.get_for_model(obj._meta.model),
            object_id=obj.pk,
            user=user,
            team=team,
            branch=branch,
            until=until,
            created_by=actor,
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.SHARE,
            obj=obj,
            changes={
                "shared_with": [None, str(share.target)],
                "until": [None, until.isoformat() if until else None],
            },
        )
    return share


def share_remove(*, actor: User, obj: Record, share_id: int) -> None:
    if not access.can(actor, "edit", obj):
        raise NotFoundError()
    share = shares_of(obj).filter(pk=share_id).first()
    if share is None:
        raise NotFoundError()
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UNSHARE,
            obj=obj,
            changes={"shared_with": [str(share.target), None]},
        )
        share.delete()
