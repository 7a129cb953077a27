"""Every write to companies and contacts: access check, validation, version, audit, trash."""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kartoteka.accounts.models import Branch, User
from kartoteka.clients.models import Company, Contact
from kartoteka.core import access, records
from kartoteka.core.errors import DomainError, ForbiddenError, NotFoundError
from kartoteka.core.models import Record
from kartoteka.core.phones import normalize_phone

R = TypeVar("R", bound=Record)

COMPANY_FIELDS = ("name", "inn", "phone", "email")
CONTACT_FIELDS = ("last_name", "first_name", "middle_name", "phone", "email")


def _clean_values(
    model: type[Record], values: dict[str, Any], allowed: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Trim and normalise input; returns the values and the field errors found so far."""
    unknown = set(values) - set(allowed) - {"owner", "branch", "company"}
    if unknown:
        raise DomainError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    if "phone" in cleaned:
        try:
            cleaned["phone"] = normalize_phone(cleaned["phone"] or "")
        except ValidationError as error:
            errors["phone"] = list(error.messages)
            del cleaned["phone"]
    if "inn" in cleaned:
        cleaned["inn"] = (cleaned["inn"] or "").replace(" ", "")
    return cleaned, errors


def _validate_all(obj: Record, values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Report every bad field at once, not just the first one found."""
    candidate = copy.copy(obj)
    for name, value in values.items():
        setattr(candidate, name, value)
    try:
        candidate.full_clean(exclude=list(errors), validate_unique=False)
    except ValidationError as error:
        errors = {**errors, **error.message_dict}
    if errors:
        raise DomainError(fields=errors)


def _check_placement(
    actor: User, model: type[Record], action: str, owner: User | None, branch: Branch
) -> None:
    if not access.can_place(
        actor, model, action, owner_id=owner.pk if owner else None, branch_id=branch.pk
    ):
        field = "owner" if branch.pk == actor.branch_id else "branch"
        raise DomainError(
            _("You may not put records there."),
            fields={field: [_("You may not assign records to this owner or branch.")]},
        )
    if owner is not None and owner.branch_id != branch.pk:
        raise DomainError(fields={"owner": [_("The owner must work in the record's branch.")]})


def _check_company_link(actor: User, company: Company | None) -> None:
    # A relation picker is scoped too: you cannot link a company you cannot see.
    if company is not None and not access.can(actor, "view", company):
        raise DomainError(fields={"company": [_("Choose a company from the list.")]})


def _create(actor: User, model: type[R], values: dict[str, Any], allowed: tuple[str, ...]) -> R:
    if not access.has_any(actor, access.entity_of(model), "create"):
        raise ForbiddenError()
    cleaned, errors = _clean_values(model, values, allowed)
    owner = cleaned.pop("owner", None) or actor
    branch = cleaned.pop("branch", None) or owner.branch
    _check_placement(actor, model, "create", owner, branch)
    _check_company_link(actor, cleaned.get("company"))
    _validate_all(model(), {**cleaned, "owner": owner, "branch": branch}, errors)
    try:
        return records.create_record(
            actor=actor, model=model, values={**cleaned, "owner": owner, "branch": branch}
        )
    except ValidationError as error:
        raise DomainError(fields=error.message_dict) from None


def _update(
    actor: User, obj: R, version: int, values: dict[str, Any], allowed: tuple[str, ...]
) -> R:
    if not access.can(actor, "edit", obj):
        raise NotFoundError()
    cleaned, errors = _clean_values(type(obj), values, allowed)
    owner = cleaned.get("owner", obj.owner)
    branch = cleaned.get("branch", obj.branch)
    if owner != obj.owner or branch != obj.branch:
        if not access.can(actor, "assign", obj):
            raise DomainError(fields={"owner": [_("You may not reassign this record.")]})
        _check_placement(actor, type(obj), "assign", owner, branch)
    if "company" in cleaned and cleaned["company"] != getattr(obj, "company", None):
        _check_company_link(actor, cleaned["company"])
    _validate_all(obj, cleaned, errors)
    try:
        return records.update_record(actor=actor, obj=obj, version=version, values=cleaned)
    except ValidationError as error:
        raise DomainError(fields=error.message_dict) from None


def company_create(*, actor: User, values: dict[str, Any]) -> Company:
    """Create a company; owner defaults to the actor and branch to the owner's branch."""
    return _create(actor, Company, values, COMPANY_FIELDS)


def company_update(
    *, actor: User, company: Company, version: int, values: dict[str, Any]
) -> Company:
    """Edit a company if ``version`` is current; changing owner or branch needs "assign"."""
    return _update(actor, company, version, values, COMPANY_FIELDS)


def contact_create(*, actor: User, values: dict[str, Any]) -> Contact:
    """Create a contact (a person), optionally working at a company the actor can see."""
    return _create(actor, Contact, values, CONTACT_FIELDS)


def contact_update(
    *, actor: User, contact: Contact, version: int, values: dict[str, Any]
) -> Contact:
    """Edit a contact if ``version`` is current; changing owner or branch needs "assign"."""
    return _update(actor, contact, version, values, CONTACT_FIELDS)


def record_trash(*, actor: User, obj: Record) -> None:
    """Move a company or contact to the trash, from where administrators can restore it."""
    if not access.can(actor, "delete", obj):
        raise NotFoundError()
    records.trash_record(actor=actor, obj=obj)
