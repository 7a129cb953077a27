"""Group rules: a new or changed client matching a condition gets a tag or an owner.

Examples: city = Казань → tag "Поволжье"; industry = Розничная торговля → owner = the retail
manager. Rules run with the system's authority (an administrator set them up), inside the
transaction of the change that triggered them, and the change's audit entry names each rule.

What a condition means is :mod:`rule_conditions` (one definition for a record in memory and for
SQL); what rules do to a changing client, and when they fire, is :mod:`rule_effects` (one plan
for the card, the API, a merge and bulk changes). This module manages the rules themselves and
applies one to existing clients.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.accounts.models import User
from kartoteka.core import access, audit, batches, jobs, kinds
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.models import AuditEntry, Record
from kartoteka.records.models import CustomField, GroupRule, Tag
from kartoteka.records.models.custom_fields import FieldType
from kartoteka.records.services import rule_conditions, tags
from kartoteka.records.services.rule_conditions import CUSTOM, TAG, model_of
from kartoteka.records.services.rule_effects import bulk_follow_ups, definitions, owner_usable


def verbose_name(model: type[Record], name: str) -> str:
    field = model._meta.get_field(name)
    text = str(getattr(field, "verbose_name", name))
    return text[:1].upper() + text[1:]


def field_choices(entity: str) -> list[tuple[str, str]]:
    """(value, label) of every field a rule of ``entity`` can test, for the settings form."""
    kind = kinds.record_kind(entity)
    if kind is None:
        return []
    choices = [(item.name, kind.label_of(item)) for item in kind.fields if item.rule]
    if kind.tags:
        choices.append((TAG, str(gettext_lazy("Tag"))))
    if kind.custom_fields:
        choices += [
            (CUSTOM + field.code, field.label)
            for field in CustomField.objects.filter(entity=entity)
        ]
    return choices


# --- Existing records: dry run and apply now ---------------------------------------------------
def rule_queryset(rule: GroupRule) -> QuerySet[Any]:
    """Every live record of the rule's entity matching its condition, on the database."""
    condition = rule_conditions.condition_of(rule, definitions(rule.entity))
    return condition.filter(model_of(rule.entity).objects.all())


def _would_change(rule: GroupRule, queryset: QuerySet[Any]) -> QuerySet[Any]:
    if rule.effect == GroupRule.Effect.ADD_TAG:
        return queryset.exclude(tags=rule.tag_id) if rule.tag_id else queryset.none()
    if rule.effect == GroupRule.Effect.SET_OWNER and owner_usable(rule):
        owner: User = rule.owner  # type: ignore[assignment]
        return queryset.exclude(owner=owner, branch_id=owner.branch_id)
    return queryset.none()


def rule_dry_run(rule: GroupRule) -> dict[str, int]:
    """How many existing clients the rule matches, and how many of them it would change."""
    matching = rule_queryset(rule)
    return {"matches": matching.count(), "changes": _would_change(rule, matching).count()}


def _operation(rule: GroupRule) -> batches.Operation:
    # The other rules react to what this one does, as they would to any change.
    if rule.effect == GroupRule.Effect.ADD_TAG:
        membership = f"tags.{rule.tag_id}"
        return batches.Operation(
            kind="tag",
            fields=(membership,),
            values=lambda record, position: {membership: True},
            follow_ups=bulk_follow_ups(),
        )
    owner: User = rule.owner  # type: ignore[assignment]
    return dataclasses.replace(batches.reassign_operation([owner]), follow_ups=bulk_follow_ups())


def group_rule_apply_existing(
    *, actor: User, rule: GroupRule, progress: jobs.Progress | None = None
) -> int:
    """Apply one rule to every existing client it would change, now; returns how many changed.

    Done as named bulk changes ("Rule «Поволжье» applied to existing clients"), which undo in one
    step and write one audit entry per record naming the batch, in chunks whatever the count.
    Pages run it as a job (``group_rule_jobs.group_rule_apply_start``) whose ``progress``
    learns the number of clients to change and advances per chunk.
    """
    _require_admin(actor)
    rule = GroupRule.objects.select_related("tag", "owner__branch").get(pk=rule.pk)
    if rule.effect == GroupRule.Effect.SET_OWNER and not owner_usable(rule):
        return 0
    if rule.effect == GroupRule.Effect.ADD_TAG and rule.tag_id is None:
        return 0
    model = model_of(rule.entity)
    operation = _operation(rule)
    name = _("Rule «%(rule)s» applied to existing clients") % {"rule": rule}
    if progress is not None:
        progress.set_total(_would_change(rule, rule_queryset(rule)).count())
    changed_total = 0
    while True:
        # A batch holds at most MAX_RECORDS; records it changed no longer need changing.
        ids = list(
            _would_change(rule, rule_queryset(rule))
            .order_by("pk")
            .values_list("pk", flat=True)[: batches.MAX_RECORDS]
        )
        if not ids:
            break
        batch = batches.execute(
            actor=actor,
            kind=operation.kind,
            work=[(model, ids, operation)],
            name=lambda counts, before: name,
            progress=progress,
        )
        changed = int(batch.summary.get("changed", 0))
        changed_total += changed
        if changed < len(ids):  # the rest is out of the actor's reach: stop, do not spin
            break
    return changed_total


# --- Managing rules ------------------------------------------------------------------------------
AUDITED = ("name", "entity", "field", "operator", "value", "effect", "tag", "owner", "is_active")


def _require_admin(actor: User) -> None:
    if not access.has_any(actor, "settings", "edit"):
        raise ForbiddenError()


#: what to type for a condition on a custom field compared as a value
VALUE_HINTS = {
    FieldType.NUMBER: gettext_lazy("Enter a number."),
    FieldType.MONEY: gettext_lazy("Enter a number."),
    FieldType.DATE: gettext_lazy("Enter a date, e.g. 23.11.2026."),
    FieldType.BOOLEAN: gettext_lazy("Enter yes or no."),
}


def _condition_problems(entity: str, field: str, operator: str, value: str) -> dict[str, list[str]]:
    """A condition that could never match as meant: "contains" on a number, letters for a date."""
    known = definitions(entity) if field.startswith(CUSTOM) else {}
    definition = known.get(field[len(CUSTOM) :])
    if (
        definition is not None
        and definition.type in rule_conditions.EXACT_TYPES
        and operator == GroupRule.Operator.CONTAINS
    ):
        return {"operator": [_("Numbers, amounts and yes/no fields are compared with “equals”.")]}
    try:
        rule_conditions.build(
            entity=entity, field=field, operator=operator, value=value, definitions=known
        )
    except rule_conditions.Unmatchable:
        # Only custom fields read the value as their type (a number, a date, yes or no).
        kind = FieldType(definition.type) if definition is not None else FieldType.NUMBER
        return {"value": [str(VALUE_HINTS.get(kind) or VALUE_HINTS[FieldType.NUMBER])]}
    return {}


def _check(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    entity = str(values.get("entity") or "")
    if kinds.record_kind(entity) is None:
        errors["entity"] = [_("Choose what the rule is for.")]
        raise DomainError(fields=errors)
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    field = str(values.get("field") or "")
    if field not in dict(field_choices(entity)):
        errors["field"] = [_("Choose a field from the list.")]
    operator = values.get("operator") or GroupRule.Operator.EQUALS
    if operator not in GroupRule.Operator.values:
        errors["operator"] = [_("Choose a condition from the list.")]
    value = str(values.get("value") or "").strip()
    if not value:
        errors["value"] = [_("This field is required.")]
    elif not errors.keys() & {"field", "operator"}:
        errors.update(_condition_problems(entity, field, operator, value))
    effect = values.get("effect")
    tag, owner = None, None
    if effect == GroupRule.Effect.ADD_TAG:
        raw_tag = values.get("tag")
        if isinstance(raw_tag, Tag):
            tag = raw_tag
        elif str(raw_tag or "").strip():
            # A new name is created with the rule, once the whole rule is valid (and audited).
            named = tags.tags_named([str(raw_tag)], errors, field="tag")
            tag = named[0] if named else None
        else:
            errors["tag"] = [_("Name the tag to add.")]
    elif effect == GroupRule.Effect.SET_OWNER:
        owner = values.get("owner")
        if not isinstance(owner, User) or not owner.is_active:
            errors["owner"] = [_("Choose an active user.")]
    else:
        errors["effect"] = [_("Choose what the rule does.")]
    if errors:
        raise DomainError(fields=errors)
    return {
        "name": name,
        "entity": entity,
        "field": field,
        "operator": operator,
        "value": value,
        "effect": effect,
        "tag": tag,
        "owner": owner,
        "is_active": bool(values.get("is_active", True)),
    }


def group_rule_save(*, actor: User, rule: GroupRule | None, values: dict[str, Any]) -> GroupRule:
    """Create or change a group rule (administrators); new rules go last in their entity's order.

    ``values``: name, entity, field, operator, value, effect, tag (a Tag or a name) or owner,
    is_active. A rule only acts on clients created or changed from now on; to reach existing
    ones use :func:`group_rule_apply_existing`.
    """
    _require_admin(actor)
    if rule is not None:
        values = {"entity": rule.entity, **values}
    clean = _check(values)
    with transaction.atomic():
        if clean["tag"] is not None:
            tags.tags_create_named(actor=actor, tags=[clean["tag"]])
        if rule is None:
            last = GroupRule.objects.filter(entity=clean["entity"]).order_by("-position").first()
            rule = GroupRule.objects.create(
                **clean, position=last.position + 1 if last is not None else 0
            )
            changes = {
                name: [None, value]
                for name, value in audit.snapshot(rule, AUDITED).items()
                if value not in (None, "")
            }
            action = AuditEntry.Action.CREATE
        else:
            rule = GroupRule.objects.select_for_update().get(pk=rule.pk)
            before = audit.snapshot(rule, AUDITED)
            for name, value in clean.items():
                setattr(rule, name, value)
            rule.save()
            changes = audit.diff(before, audit.snapshot(rule, AUDITED))
            action = AuditEntry.Action.UPDATE
        if changes:
            audit.record(actor=actor, action=action, obj=rule, changes=changes)
    return rule


def group_rule_delete(*, actor: User, rule: GroupRule) -> None:
    """Delete a rule; what it already did to clients stays."""
    _require_admin(actor)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditEntry.Action.PURGE,
            obj=rule,
            changes={name: [value, None] for name, value in audit.snapshot(rule, AUDITED).items()},
        )
        rule.delete()


def group_rule_move(*, actor: User, rule: GroupRule, offset: int) -> None:
    """Move a rule up (-1) or down (+1) in its entity's order: rules run top to bottom."""
    _require_admin(actor)
    with transaction.atomic():
        rules = list(
            GroupRule.objects.select_for_update()
            .filter(entity=rule.entity)
            .order_by("position", "id")
        )
        index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        target = max(0, min(len(rules) - 1, index + offset))
        if target == index:
            return
        rules.insert(target, rules.pop(index))
        for position, item in enumerate(rules):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=rule,
            changes={"position": [index + 1, target + 1]},
        )
