"""What companies and contacts share: access, placement, validation of every field at once."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kartoteka.accounts.models import Branch, User
from kartoteka.clients.services import channels
from kartoteka.core import access, records, search
from kartoteka.core.errors import DomainError, ForbiddenError, NotFoundError
from kartoteka.core.models import Record
from kartoteka.records.models import Tag
from kartoteka.records.services import custom_fields, group_rules

R = TypeVar("R", bound=Record)
Errors = dict[str, list[str]]
LIST_KEYS = ("phones", "emails", "tags", "custom_fields")


def check_placement(
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


def split(
    values: dict[str, Any], scalar_fields: tuple[str, ...], list_keys: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    unknown = set(values) - set(scalar_fields) - set(list_keys) - {"owner", "branch"}
    if unknown:
        raise DomainError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    scalars = {
        k: (v.strip() if isinstance(v, str) else v) for k, v in values.items() if k not in list_keys
    }
    lists = {k: v for k, v in values.items() if k in list_keys}
    return scalars, lists


def clean_common_lists(
    entity: str, lists: dict[str, Any], errors: Errors, current_custom: dict[str, Any] | None
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "phones" in lists:
        cleaned["phones"] = channels.clean_phones(list(lists["phones"] or []), errors)
    if "emails" in lists:
        cleaned["emails"] = channels.clean_emails(list(lists["emails"] or []), errors)
    if "tags" in lists:
        raw = list(lists["tags"] or [])
        cleaned["tags"] = [t for t in raw if isinstance(t, Tag)] + channels.tags_by_name(
            [str(t) for t in raw if not isinstance(t, Tag)]
        )
    if "custom_fields" in lists or current_custom is None:
        values, custom_errors = custom_fields.clean_values(
            entity, dict(lists.get("custom_fields") or {}), current=current_custom
        )
        cleaned["custom_fields"] = values
        errors.update(custom_errors)
    return cleaned


def validate_all(obj: Record, values: dict[str, Any], errors: Errors) -> None:
    """Report every bad field at once, not just the first found."""
    candidate = copy.copy(obj)
    for name, value in values.items():
        setattr(candidate, name, value)
    try:
        candidate.full_clean(exclude=[name.split(".")[0] for name in errors], validate_unique=False)
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if errors:
        raise DomainError(fields=errors)


def create(
    actor: User,
    model: type[R],
    scalars: dict[str, Any],
    writer: Callable[[R], dict[str, list[Any]]],
    errors: Errors,
) -> R:
    if not access.has_any(actor, access.entity_of(model), "create"):
        raise ForbiddenError()
    owner = scalars.pop("owner", None) or actor
    branch = scalars.pop("branch", None) or owner.branch
    check_placement(actor, model, "create", owner, branch)
    values = {**scalars, "owner": owner, "branch": branch}
    validate_all(model(), values, errors)
    # Group rules act inside the same transaction and land in the same audit entry.
    related = group_rules.with_rules(actor, writer)
    obj = records.create_record(actor=actor, model=model, values=values, related=related)
    search.index(obj)
    return obj


def update(
    actor: User,
    obj: R,
    version: int,
    scalars: dict[str, Any],
    writer: Callable[[R], dict[str, list[Any]]],
    errors: Errors,
) -> R:
    if not access.can(actor, "edit", obj):
        raise NotFoundError()
    owner = scalars.get("owner", obj.owner)
    branch = scalars.get("branch", obj.branch)
    if owner != obj.owner or branch != obj.branch:
        if not access.can(actor, "assign", obj):
            raise DomainError(fields={"owner": [_("You may not reassign this record.")]})
        check_placement(actor, type(obj), "assign", owner, branch)
    validate_all(obj, scalars, errors)
    related = group_rules.with_rules(actor, writer, before=obj)
    updated = records.update_record(
        actor=actor, obj=obj, version=version, values=scalars, related=related
    )
    search.index(updated)
    return updated


def record_trash(*, actor: User, obj: Record) -> None:
    """Move a company or contact to the trash, from where administrators can restore it."""
    if not access.can(actor, "delete", obj):
        raise NotFoundError()
    records.trash_record(actor=actor, obj=obj)
