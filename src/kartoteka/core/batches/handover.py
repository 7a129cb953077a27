"""Things a person owns: what a hand-over moves to colleagues in one step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from kartoteka.core import access, kinds
from kartoteka.core.batches.engine import execute
from kartoteka.core.batches.operations import _people, check_targets, reassign_operation
from kartoteka.core.batches.types import MAX_RECORDS, Counts
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.kinds import RecordKind
from kartoteka.core.models import Batch

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


def owned_kinds() -> list[RecordKind]:
    """The record kinds a departing employee's hand-over moves (those registered to)."""
    return kinds.kinds_with("handover")


def may_hand_over(actor: User) -> bool:
    return any(access.has_any(actor, kind.entity, "assign") for kind in owned_kinds())


def owned_counts(actor: User, person: User) -> list[tuple[RecordKind, int]]:
    """How many records of each kind ``person`` owns that ``actor`` may reassign (a query each)."""
    return [
        (
            kind,
            access.scoped(kind.model.objects.filter(owner=person), actor, "assign").count(),
        )
        for kind in owned_kinds()
        if access.has_any(actor, kind.entity, "assign")
    ]


def handover(*, actor: User, person: User, to_owners: Sequence[User]) -> Batch:
    """Give everything ``person`` owns to one or several colleagues, spread evenly, as one batch.

    Only records the actor may assign move (an administrator or head of sales: all; a branch head:
    their branch's); the rest stay with the person.
    """
    movable = [kind for kind in owned_kinds() if access.has_any(actor, kind.entity, "assign")]
    if not movable:
        raise ForbiddenError()
    owners = [owner for owner in dict.fromkeys(to_owners)]
    if any(owner.pk == person.pk for owner in owners):
        raise DomainError(
            fields={"to_owners": [_("Choose colleagues other than the person leaving.")]}
        )
    owners = check_targets(actor, [kind.model for kind in movable], owners)
    work = []
    for kind in movable:
        ids = list(
            access.scoped(kind.model.objects.filter(owner=person), actor, "assign")
            .order_by("pk")
            .values_list("pk", flat=True)[: MAX_RECORDS + 1]
        )
        if len(ids) > MAX_RECORDS:
            raise DomainError(
                _("At most %(count)d records at once; narrow the filter.") % {"count": MAX_RECORDS}
            )
        if ids:
            work.append((kind.model, ids, reassign_operation(owners, kind="handover")))
    if not work:
        raise DomainError(_("%(name)s owns nothing you may hand over.") % {"name": person})

    def batch_name(counts: Counts, before: dict[str, dict[Any, int]]) -> str:
        labels = [
            str(kind.plural)
            for kind in movable
            if counts.by_model.get(kind.model._meta.label_lower)
        ]
        return _("Handover of %(things)s: %(from)s → %(to)s") % {
            "things": ", ".join(labels) or "—",
            "from": person,
            "to": _people(owners),
        }

    return execute(actor=actor, kind="handover", work=work, name=batch_name)
