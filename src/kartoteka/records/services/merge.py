"""Merging two records of one kind into one: the survivor keeps chosen values and every link,
the other goes to the trash (restorable, its own audit trail intact).

Links are moved by "link movers", one per kind of link: each record kind names its own
(``RecordKind.link_movers``), and apps that link to another app's records later (deals to
companies) add theirs with :func:`kartoteka.core.kinds.register_link_mover`, so a merge never
leaves their rows pointing at a record in the trash. Tags and shares, which every record kind
has, move with :func:`move_tags` and :func:`move_shares`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.core import access, audit, events, kinds, records, search
from kartoteka.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from kartoteka.core.models import AuditEntry, Record, RecordShare
from kartoteka.records import sharing
from kartoteka.records.services import rule_effects

Changes = dict[str, list[Any]]
KEEP_SURVIVOR, KEEP_OTHER = "survivor", "other"


def default_choices(survivor: Record, other: Record) -> dict[str, str]:
    """The survivor's value, unless it is empty and the other record has one."""
    choices = {}
    for name in kinds.kind_of(type(survivor)).merged_fields:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        empty = mine in (None, "")
        choices[name] = KEEP_OTHER if empty and theirs not in (None, "") else KEEP_SURVIVOR
    return choices


def check_may_merge(actor: User, survivor: Record, other: Record) -> None:
    """May ``actor`` merge ``other`` into ``survivor``? Raise if not.

    Merging edits the survivor and sends the other record to the trash, so it takes "edit" on
    both and "delete" on the other. A record the actor may not edit is :class:`NotFoundError`
    (as everywhere a write is out of scope); one they see and edit but may not delete is
    :class:`ForbiddenError` with the reason. The other record's shares move to the survivor, so
    if it has any, the actor must also be allowed to share the survivor (its owner or an
    assigner): a share recipient does not pass shares on to a record they only borrow.
    """
    if not (access.can(actor, "edit", survivor) and access.can(actor, "edit", other)):
        raise NotFoundError()
    if not access.can(actor, "delete", other):
        raise ForbiddenError(
            _("Merging moves “%(name)s” to the trash, and you may not delete it.") % {"name": other}
        )
    if not sharing.may_share(actor, survivor) and _moving_shares(survivor, other):
        raise ForbiddenError(
            _(
                "“%(other)s” is shared with others; only the owner of “%(survivor)s” or someone "
                "who may reassign it can pass those shares on to it."
            )
            % {"other": other, "survivor": survivor}
        )


def _clean_choices(entity: str, choices: dict[str, str]) -> dict[str, str]:
    fields = kinds.record_kind(entity).merged_fields  # type: ignore[union-attr]
    problems = [
        _("%(field)s: unknown field.") % {"field": name} for name in choices if name not in fields
    ]
    problems += [
        _("%(field)s: choose “survivor” or “other”.") % {"field": name}
        for name, side in choices.items()
        if name in fields and side not in (KEEP_SURVIVOR, KEEP_OTHER)
    ]
    if problems:
        raise DomainError(fields={"keep": problems})
    return choices


def record_merge(
    *,
    actor: User,
    survivor: Any,
    other: Any,
    version: int,
    other_version: int,
    choices: dict[str, str] | None = None,
) -> Any:
    """Merge ``other`` into ``survivor`` (two records of one kind): chosen values, united lists,
    every link the kind's movers move; ``other`` goes to the trash, from where it can be restored.

    ``choices`` maps a field to "survivor" or "other"; unnamed fields follow
    :func:`default_choices`. Who may merge is :func:`check_may_merge`'s rule (404 or 403); each
    version must be current (else 409). Group rules the survivor newly matches act too.
    """
    choices = choices or {}
    model = type(survivor)
    entity = access.entity_of(model)
    if type(other) is not model or survivor.pk == other.pk:
        raise DomainError(fields={"other": [_("Choose another record to merge with.")]})
    check_may_merge(actor, survivor, other)
    choices = _clean_choices(entity, choices)
    with transaction.atomic():
        # Lock both rows in id order, so two merges of the same pair cannot deadlock.
        locked = {
            row.pk: row
            for row in model.all_objects.select_for_update()
            .filter(pk__in=[survivor.pk, other.pk])
            .order_by("pk")
        }
        current_other = locked.get(other.pk)
        if current_other is None or current_other.deleted_at is not None:
            raise NotFoundError()
        if current_other.version != other_version:
            raise ConflictError(
                current_version=current_other.version,
                changes=audit.changes_since(current_other, other_version, viewer=actor),
                message=_("The record to merge in was changed since you loaded it."),
            )
        picked = {**default_choices(locked.get(survivor.pk, survivor), current_other), **choices}
        values = {
            name: getattr(current_other, name)
            for name, side in picked.items()
            if side == KEEP_OTHER
        }
        values.update(_united_values(entity, locked.get(survivor.pk, survivor), current_other))
        label = f"#{current_other.pk} «{current_other}»"

        def move_links(target: Any) -> Changes:
            changes: Changes = {}
            for _name, mover in kinds.link_movers(entity):
                changes.update(mover(actor=actor, survivor=target, other=current_other))
            # Named only to those who may see it (in the trash now: those who see the trash).
            changes["merged_with"] = [None, audit.link(current_other, label)]
            return changes

        # The survivor changed: group rules it newly matches act, in this audit entry. Its tags
        # after the merge are both records' (the tags mover unites them).
        fresh = locked.get(survivor.pk, survivor)
        united_tags = (
            {tag.pk: tag for tag in [*fresh.tags.all(), *current_other.tags.all()]}
            if kinds.kind_of(type(survivor)).tags
            else {}
        )
        merged = records.update_record(
            actor=actor,
            obj=survivor,
            version=version,
            values=values,
            related=move_links,
            follow=rule_effects.change_follow_up(list(united_tags.values())),
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=current_other,
            changes={"merged_into": [None, audit.link(merged, f"#{merged.pk} «{merged}»")]},
        )
        records.trash_record(actor=actor, obj=current_other)  # also takes it out of search
        events.merged(actor=actor, survivor=merged, other=current_other)
        search.index(merged)  # with what quotes it: people now at the merged company
    return merged


def _united_values(entity: str, survivor: Any, other: Any) -> dict[str, Any]:
    """Custom field values and the kind's united lists (a contact's messengers) of both; the
    survivor's values win where both have one."""
    kind = kinds.record_kind(entity)
    values: dict[str, Any] = {}
    if kind is None or kind.custom_fields:
        custom = {**(other.custom_fields or {}), **(survivor.custom_fields or {})}
        if custom != survivor.custom_fields:
            values["custom_fields"] = custom
    for name in kind.united_fields if kind is not None else ():
        united = list(getattr(survivor, name) or [])
        for item in getattr(other, name) or []:
            if item not in united:
                united.append(item)
        if united != getattr(survivor, name):
            values[name] = united
    return values


# --- links every record kind has -------------------------------------------------------------


def move_tags(*, actor: User, survivor: Any, other: Any) -> Changes:
    before = sorted(survivor.tags.values_list("name", flat=True))
    survivor.tags.add(*other.tags.all())
    other.tags.clear()
    after = sorted(survivor.tags.values_list("name", flat=True))
    return {"tags": [before, after]} if before != after else {}


def _moving_shares(survivor: Record, other: Record) -> list[RecordShare]:
    """The other record's shares whose target the survivor is not yet shared with (2 queries)."""
    content_type = ContentType.objects.get_for_model(type(survivor))
    shares = RecordShare.objects.filter(content_type=content_type)
    have = set(shares.filter(object_id=survivor.pk).values_list("user_id", "team_id", "branch_id"))
    return [
        share
        for share in shares.filter(object_id=other.pk).select_related("user", "team", "branch")
        if (share.user_id, share.team_id, share.branch_id) not in have
    ]


def move_shares(*, actor: User, survivor: Record, other: Record) -> Changes:
    """Whoever the other record was shared with now sees the survivor (same target once)."""
    moving = _moving_shares(survivor, other)
    if not moving:
        return {}
    RecordShare.objects.filter(pk__in=[share.pk for share in moving]).update(object_id=survivor.pk)
    return {"shared_with": [None, [str(share.target) for share in moving]]}
