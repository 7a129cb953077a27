"""Bulk reassigning and bulk trashing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kartoteka.core import access
from kartoteka.core.batches.engine import candidates, execute
from kartoteka.core.batches.types import Counts, IdsOrQuerySet, Operation
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.models import Batch, Record

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


def _people(users: Sequence[User], limit: int = 3) -> str:
    names = [str(user) for user in users[:limit]]
    if len(users) > limit:
        names.append(_("%(count)d more") % {"count": len(users) - limit})
    return ", ".join(names)


def check_targets(
    actor: User, models_: Sequence[type[Record]], to_owners: Sequence[User]
) -> list[User]:
    owners = list(dict.fromkeys(to_owners))
    if not owners:
        raise DomainError(fields={"to_owners": [_("Choose at least one colleague.")]})
    for owner in owners:
        if not owner.is_active:
            raise DomainError(
                fields={"to_owners": [_("%(name)s is deactivated.") % {"name": owner}]}
            )
        for model in models_:
            if not access.can_place(
                actor, model, "assign", owner_id=owner.pk, branch_id=owner.branch_id
            ):
                raise DomainError(
                    fields={
                        "to_owners": [_("You may not give records to %(name)s.") % {"name": owner}]
                    }
                )
    return owners


def reassign_operation(to_owners: Sequence[User], kind: str = "reassign") -> Operation:
    """Owner (and the owner's branch) by round robin over ``to_owners``, in id order."""
    owners = list(to_owners)

    def values(record: Record, position: int) -> dict[str, Any]:
        owner = owners[position % len(owners)]
        return {"owner": owner.pk, "branch": owner.branch_id}

    return Operation(kind=kind, fields=("owner", "branch"), values=values)


def _previous_owners(before: dict[str, dict[Any, int]]) -> str:
    seen = before.get("owner", {})
    ids = sorted((pk for pk in seen if pk is not None), key=lambda pk: -seen[pk])
    people = list(get_user_model().objects.filter(pk__in=ids[:4]))
    people.sort(key=lambda user: ids.index(user.pk))
    shown = _people(people) if people else ""
    if None in seen:
        shown = ", ".join(part for part in (shown, _("nobody")) if part)
    return shown or "—"


def _require(actor: User, model: type[Record], action: str) -> None:
    if not access.has_any(actor, access.entity_of(model), action):
        raise ForbiddenError()


def bulk_reassign(
    *,
    actor: User,
    model: type[Record],
    ids_or_queryset: IdsOrQuerySet,
    to_owners: Sequence[User],
    name: str | None = None,
) -> Batch:
    """Give many records to one or several colleagues (spread evenly, by id), as one batch.

    Needs "assign" on each record: the others are skipped and counted. Each new owner must be
    placeable by the actor; the record moves to the new owner's branch.
    """
    _require(actor, model, "assign")
    owners = check_targets(actor, [model], to_owners)
    ids = candidates(model, ids_or_queryset)

    def batch_name(counts: Counts, before: dict[str, dict[Any, int]]) -> str:
        return name or _("Handover of %(things)s: %(from)s → %(to)s") % {
            "things": model._meta.verbose_name_plural,
            "from": _previous_owners(before),
            "to": _people(owners),
        }

    return execute(
        actor=actor,
        kind="reassign",
        work=[(model, ids, reassign_operation(owners))],
        name=batch_name,
    )


def trash_operation() -> Operation:
    now = timezone.now().isoformat()
    return Operation(
        kind="trash", fields=("deleted_at",), values=lambda record, pos: {"deleted_at": now}
    )


def bulk_trash(*, actor: User, model: type[Record], ids: IdsOrQuerySet) -> Batch:
    """Move many records to the trash as one batch; an undo brings them back."""
    _require(actor, model, "delete")
    found = candidates(model, ids)

    def batch_name(counts: Counts, before: dict[str, dict[Any, int]]) -> str:
        return ngettext(
            "Moved to the trash (%(count)d record)",
            "Moved to the trash (%(count)d records)",
            counts.changed,
        ) % {"count": counts.changed}

    return execute(
        actor=actor, kind="trash", work=[(model, found, trash_operation())], name=batch_name
    )
