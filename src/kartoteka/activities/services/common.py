"""What activities, tasks and calendar events share: client links and the record write path."""

from __future__ import annotations

from typing import Any, TypeVar

from django.utils.translation import gettext as _

from kartoteka.accounts.models import Branch, User
from kartoteka.clients.models import Company, Contact
from kartoteka.core import access, field_rules, records
from kartoteka.core.errors import DomainError, ForbiddenError, NotFoundError
from kartoteka.core.models import Record

R = TypeVar("R", bound=Record)
Errors = dict[str, list[str]]

CLIENTS: dict[str, type[Company] | type[Contact]] = {"company": Company, "contact": Contact}


def resolve_clients(actor: User, values: dict[str, Any], errors: Errors) -> None:
    """Turn ``company``/``contact`` ids (or objects) in ``values`` into records ``actor`` may see.

    A client the actor may not see reads as not found, exactly like one that does not exist.
    """
    for name, model in CLIENTS.items():
        if name not in values or values[name] in (None, ""):
            if name in values:
                values[name] = None
            continue
        raw = values[name]
        pk = raw.pk if isinstance(raw, model) else raw
        try:
            values[name] = access.scoped(model.objects.all(), actor).get(pk=int(pk))
        except (model.DoesNotExist, TypeError, ValueError):
            errors[name] = [_("No such client.")]
            values.pop(name)


def resolve_user(values: dict[str, Any], name: str, errors: Errors) -> None:
    """``values[name]``, a user id or object, as an active user (or an error for ``name``)."""
    raw = values.get(name)
    if raw in (None, "") or isinstance(raw, User):
        return
    try:
        values[name] = User.objects.select_related("branch").get(pk=int(raw), is_active=True)
    except (User.DoesNotExist, TypeError, ValueError):
        errors[name] = [_("No such user.")]
        values.pop(name)


def clean(
    model: type[Record], values: dict[str, Any], allowed: tuple[str, ...], errors: Errors
) -> dict[str, Any]:
    """``values`` checked field by field; unknown names are refused by name."""
    unknown = set(values) - set(allowed)
    for name in sorted(unknown):
        errors[name] = [_("Unknown field.")]
    plain = {k: v for k, v in values.items() if k in allowed}
    cleaned, problems = field_rules.clean_values(model, plain)
    errors.update(problems)
    return cleaned


def place(actor: User, model: type[Record], owner: User, branch: Branch | None = None) -> Branch:
    """The branch a new record of ``owner`` goes to, if ``actor`` may put it there."""
    where = branch or owner.branch
    if not access.can_place(actor, model, "create", owner_id=owner.pk, branch_id=where.pk):
        raise DomainError(
            _("You may not put records there."),
            fields={"owner": [_("You may not assign records to this owner or branch.")]},
        )
    return where


def check(obj: Record, values: dict[str, Any], errors: Errors) -> None:
    """Every bad field at once: the field checks' errors plus the model's own."""
    from kartoteka.clients.services.common import validate_all

    validate_all(obj, values, errors)


def create(
    actor: User,
    model: type[R],
    values: dict[str, Any],
    errors: Errors,
    related: records.RelatedWriter | None = None,
) -> R:
    """Create a checked record owned by ``values["owner"]`` (default: the actor); ``related``
    writes its lists (a meeting's participants) in the same transaction and audit entry."""
    if not access.has_any(actor, access.entity_of(model), "create"):
        raise ForbiddenError()
    owner = values.pop("owner", None) or actor
    branch = place(actor, model, owner, values.pop("branch", None))
    values = {**values, "owner": owner, "branch": branch}
    check(model(), values, errors)
    # create_record is the transaction: an outer one here would only add a savepoint (two
    # round trips) to every call logged.
    return records.create_record(
        actor=actor, model=model, values=values, related=related, checked=True
    )


def update(
    actor: User,
    obj: R,
    version: int,
    values: dict[str, Any],
    errors: Errors,
    related: records.RelatedWriter | None = None,
) -> R:
    """Apply checked ``values`` if ``version`` is current; reassigning needs "assign"."""
    if not access.can(actor, "edit", obj):
        raise NotFoundError()
    owner = values.get("owner", obj.owner)
    if owner is not None and owner != obj.owner:
        if not access.can(actor, "assign", obj) and not access.can_place(
            actor, type(obj), "create", owner_id=owner.pk, branch_id=owner.branch_id
        ):
            raise DomainError(fields={"owner": [_("You may not reassign this record.")]})
        values["branch"] = owner.branch
    check(obj, values, errors)
    return records.update_record(
        actor=actor, obj=obj, version=version, values=values, related=related
    )


def trash(actor: User, obj: Record) -> None:
    """Move the record to the trash (restorable); only within the role's delete scope."""
    if not access.can(actor, "delete", obj):
        raise NotFoundError()
    records.trash_record(actor=actor, obj=obj)
