"""Things a person owns: what a hand-over moves to colleagues in one step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
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


def eligible_owners(queryset: QuerySet[Any], entities: Sequence[str]) -> QuerySet[Any]:
    """The users of ``queryset`` who may own records of every kind in ``entities``: their role
    edits such records (a marketer or an auditor only reads them, and gets none)."""
    people = get_user_model().objects
    for entity in entities:
        holders = people.filter(
            Q(is_superuser=True) | Q(roles__grants__entity=entity, roles__grants__action="edit")
        )
        queryset = queryset.filter(pk__in=holders.values("pk"))
    return queryset


def handed_entities(counts: Sequence[tuple[RecordKind, int]]) -> list[str]:
    """The kinds a hand-over with these :func:`owned_counts` moves (those with records; every
    kind counted if there are none)."""
    return [kind.entity for kind, count in counts if count] or [kind.entity for kind, _n in counts]


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
    work: list[Any] = []
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
    for owner in owners:
        for model, _ids, _operation in work:
            if not (owner.is_superuser or access.has_any(owner, access.entity_of(model), "edit")):
                raise DomainError(
                    fields={
                        "to_owners": [
                            _("%(name)s may not own %(things)s.")
                            % {"name": owner, "things": model._meta.verbose_name_plural}
                        ]
                    }
                )

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
