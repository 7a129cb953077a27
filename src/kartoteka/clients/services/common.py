"""What companies and contacts share: access, placement, and the write path of one record.

Every change of a company or contact is checked whole before anything is written: each field
(:mod:`kartoteka.core.field_rules`, the same check a bulk change of the field runs), the lists
(phones, emails, tags...), the custom field values, then the record as a whole. Only then, in
one transaction: tags named for the first time are created (audited), the record and its lists
are written with what the group rules do (:mod:`rule_effects`), one version and one audit
entry for all of it, and the search index follows. A change refused for one field leaves no
trace: not even the new tag it named.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kartoteka.accounts.models import Branch, User
from kartoteka.clients.services import channels
from kartoteka.core import access, field_rules, records, search
from kartoteka.core.errors import DomainError, ForbiddenError, NotFoundError
from kartoteka.core.models import Record
from kartoteka.records.models import Tag
from kartoteka.records.services import custom_fields, rule_effects, tags

R = TypeVar("R", bound=Record)
Errors = dict[str, list[str]]
Changes = dict[str, list[Any]]
LIST_KEYS = ("phones", "emails", "tags", "custom_fields")


@dataclass
class Plan:
    """One record's change, checked and ready to write; building it wrote nothing.

    ``scalars`` are the record's own fields in stored form, ``lists`` its cleaned lists (tags
    as Tag objects, new ones unsaved), ``errors`` every problem found, and ``writer`` writes
    ``lists`` for a saved record, returning their audit changes.
    """

    scalars: dict[str, Any]
    lists: dict[str, Any]
    errors: Errors
    writer: Callable[[Any], Changes] = field(default=lambda record: {})

    @property
    def tags(self) -> list[Tag] | None:
        """The record's tags after the change, if it sets them."""
        return self.lists.get("tags")


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
    model: type[Record],
    values: dict[str, Any],
    scalar_fields: tuple[str, ...],
    list_keys: tuple[str, ...],
    errors: Errors,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``values`` as (the record's own fields, checked one by one, and its lists, unchecked).

    Each field goes through the same check as a bulk change of it (:mod:`core.field_rules`);
    refusals land in ``errors``.
    """
    unknown = set(values) - set(scalar_fields) - set(list_keys) - {"owner", "branch"}
    if unknown:
        raise DomainError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    scalars, problems = field_rules.clean_values(
        model, {k: v for k, v in values.items() if k not in list_keys}
    )
    errors.update(problems)
    lists = {k: v for k, v in values.items() if k in list_keys}
    return scalars, lists


def clean_common_lists(
    entity: str, lists: dict[str, Any], errors: Errors, current_custom: dict[str, Any] | None
) -> dict[str, Any]:
    """Phones, emails, tags and custom field values checked; nothing is written (a tag named
    for the first time is an unsaved Tag until the change is written)."""
    cleaned: dict[str, Any] = {}
    if "phones" in lists:
        cleaned["phones"] = channels.clean_phones(list(lists["phones"] or []), errors)
    if "emails" in lists:
        cleaned["emails"] = channels.clean_emails(list(lists["emails"] or []), errors)
    if "tags" in lists:
        raw = list(lists["tags"] or [])
        picked = [tag for tag in raw if isinstance(tag, Tag)]
        named = tags.tags_named([str(tag) for tag in raw if not isinstance(tag, Tag)], errors)
        # A tag picked and also named (an existing one) is the record's once.
        cleaned["tags"] = list({tag.pk or tag.name: tag for tag in picked + named}.values())
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


def create(actor: User, model: type[R], plan: Plan) -> R:
    """Create a ``model`` record from a checked ``plan`` (see the module's docstring)."""
    if not access.has_any(actor, access.entity_of(model), "create"):
        raise ForbiddenError()
    scalars = dict(plan.scalars)
    owner = scalars.pop("owner", None) or actor
    branch = scalars.pop("branch", None) or owner.branch
    # Someone other than the creator, or another branch than the owner's: picked on purpose.
    owner_chosen = owner != actor or branch != owner.branch
    check_placement(actor, model, "create", owner, branch)
    values = {**scalars, "owner": owner, "branch": branch}
    validate_all(model(), values, plan.errors)
    with transaction.atomic():
        tags.tags_create_named(actor=actor, tags=plan.tags or [])
        obj = records.create_record(
            actor=actor,
            model=model,
            values=values,
            related=plan.writer,
            follow=rule_effects.change_follow_up(plan.tags, owner_chosen=owner_chosen),
            checked=True,
        )
        search.index(obj, as_written=True)
    return obj


def update(actor: User, obj: R, version: int, plan: Plan) -> R:
    """Apply a checked ``plan`` to ``obj`` if ``version`` is current (see the module docstring)."""
    if not access.can(actor, "edit", obj):
        raise NotFoundError()
    owner = plan.scalars.get("owner", obj.owner)
    branch = plan.scalars.get("branch", obj.branch)
    if owner != obj.owner or branch != obj.branch:
        if not access.can(actor, "assign", obj):
            raise DomainError(fields={"owner": [_("You may not reassign this record.")]})
        check_placement(actor, type(obj), "assign", owner, branch)
    validate_all(obj, plan.scalars, plan.errors)
    with transaction.atomic():
        tags.tags_create_named(actor=actor, tags=plan.tags or [])
        updated = records.update_record(
            actor=actor,
            obj=obj,
            version=version,
            values=plan.scalars,
            related=plan.writer,
            follow=rule_effects.change_follow_up(
                plan.tags, owner_chosen=owner != obj.owner or branch != obj.branch
            ),
        )
        search.index(updated)
    return updated


def record_trash(*, actor: User, obj: Record) -> None:
    """Move a company or contact to the trash, from where administrators can restore it."""
    if not access.can(actor, "delete", obj):
        raise NotFoundError()
    records.trash_record(actor=actor, obj=obj)
