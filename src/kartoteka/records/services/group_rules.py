"""Group rules: a new or changed client matching a condition gets a tag or an owner.

Examples: city = Казань → tag "Поволжье"; industry = Розничная торговля → owner = the retail
manager. Rules run with the system's authority (an administrator set them up), inside the
transaction of the change that triggered them, and the change's audit entry names each rule.

A rule fires when a record *starts* to match: on creation, or on an edit after which it matches
and before which it did not. So a manager who takes the "Поволжье" tag off a Kazan company, or
hands a retail client to a colleague, is not overruled at their next edit of the card.

Every way a client changes applies the rules once: the card and the API (:func:`with_rules`),
a merge (the survivor), and bulk changes (:func:`bulk_follow_ups`), where the rules' effects
join the same batch and are undone with it. Rules run once, top to bottom, per change: a rule's
effect may make a *later* rule match (a tag, then an owner for that tag), but never sets off the
rules again, so two rules cannot feed each other endlessly.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company, Contact
from kartoteka.clients.models.company import CompanyStatus
from kartoteka.core import access, audit, batches, jobs
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.models import AuditEntry, Record
from kartoteka.core.text import fold
from kartoteka.records import custom_queries
from kartoteka.records.models import CustomField, GroupRule, Tag
from kartoteka.records.models.custom_fields import FieldType

Changes = dict[str, list[Any]]
CUSTOM = "custom_fields."
TAG = "tag"
#: the fields a rule may look at, besides tags and custom fields
BASE_FIELDS: dict[str, tuple[str, ...]] = {
    "companies": ("city", "industry", "region", "source", "status", "legal_form"),
    "contacts": ("address",),
}


def model_of(entity: str) -> type[Company] | type[Contact]:
    return Company if entity == "companies" else Contact


def entity_of(obj: Record) -> str:
    return "companies" if isinstance(obj, Company) else "contacts"


def verbose_name(model: type[Record], name: str) -> str:
    field = model._meta.get_field(name)
    text = str(getattr(field, "verbose_name", name))
    return text[:1].upper() + text[1:]


def field_choices(entity: str) -> list[tuple[str, str]]:
    """(value, label) of every field a rule of ``entity`` can test, for the settings form."""
    model = model_of(entity)
    choices = [(name, verbose_name(model, name)) for name in BASE_FIELDS[entity]]
    choices.append((TAG, str(gettext_lazy("Tag"))))
    choices += [
        (CUSTOM + field.code, field.label) for field in CustomField.objects.filter(entity=entity)
    ]
    return choices


# --- Matching a record in memory -----------------------------------------------------------------
def _custom_values(field: CustomField, value: Any) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, bool):
        words = custom_queries.TRUE_WORDS if value else custom_queries.FALSE_WORDS
        return sorted(words)
    if isinstance(value, list):
        return [fold(str(item)) for item in value]
    return [fold(str(value))]


def _numbers_equal(stored: Any, wanted: str) -> bool:
    try:
        return Decimal(str(stored)) == Decimal(str(custom_queries.parse_number(wanted)))
    except (InvalidOperation, custom_queries.Unmatchable):
        return False


class Matcher:
    """Tests rules against one record as it is in memory (mid-transaction, before it is saved)."""

    def __init__(
        self,
        obj: Record,
        definitions: dict[str, CustomField],
        tag_names: Iterable[str] | None = None,
    ) -> None:
        self.obj = obj
        self.definitions = definitions
        if tag_names is None:
            tag_names = [tag.name for tag in obj.tags.all()]  # type: ignore[attr-defined]
        self.tag_names = list(tag_names)

    def values(self, rule: GroupRule) -> list[str]:
        if rule.field == TAG:
            return [fold(name) for name in self.tag_names]
        if rule.field.startswith(CUSTOM):
            definition = self.definitions.get(rule.field[len(CUSTOM) :])
            if definition is None:
                return []
            stored = (getattr(self.obj, "custom_fields", None) or {}).get(definition.code)
            return _custom_values(definition, stored)
        if rule.field not in BASE_FIELDS[entity_of(self.obj)]:
            return []
        value = str(getattr(self.obj, rule.field, "") or "")
        if rule.field == "status":
            return [fold(value), fold(str(dict(CompanyStatus.choices).get(value, value)))]
        return [fold(value)]

    def matches(self, rule: GroupRule) -> bool:
        wanted = fold(rule.value)
        definition = (
            self.definitions.get(rule.field[len(CUSTOM) :])
            if rule.field.startswith(CUSTOM)
            else None
        )
        if (
            definition is not None
            and definition.type in (FieldType.NUMBER, FieldType.MONEY)
            and rule.operator == GroupRule.Operator.EQUALS
        ):
            stored = (getattr(self.obj, "custom_fields", None) or {}).get(definition.code)
            return stored not in (None, "") and _numbers_equal(stored, rule.value)
        if (
            definition is not None
            and definition.type == FieldType.DATE
            and rule.operator == GroupRule.Operator.EQUALS
        ):
            stored = (getattr(self.obj, "custom_fields", None) or {}).get(definition.code)
            try:
                return stored == custom_queries.parse_date(rule.value)
            except custom_queries.Unmatchable:
                return False
        found = self.values(rule)
        if rule.operator == GroupRule.Operator.CONTAINS:
            return any(wanted in value for value in found)
        return wanted in found


def _definitions(entity: str) -> dict[str, CustomField]:
    return {field.code: field for field in CustomField.objects.filter(entity=entity)}


def active_rules(entity: str) -> list[GroupRule]:
    return list(
        GroupRule.objects.filter(entity=entity, is_active=True)
        .select_related("tag", "owner__branch")
        .order_by("position", "id")
    )


def rules_matching(obj: Record) -> set[int]:
    """Ids of the active rules ``obj`` matches now (taken before a change, to compare after)."""
    entity = entity_of(obj)
    rules = active_rules(entity)
    if not rules:
        return set()
    matcher = Matcher(obj, _definitions(entity))
    return {rule.pk for rule in rules if matcher.matches(rule)}


# --- Effects -------------------------------------------------------------------------------------
def _owner_usable(rule: GroupRule) -> bool:
    return rule.owner is not None and rule.owner.is_active


def _tag_note(rule: GroupRule) -> str:
    return _("rule «%(rule)s» added the tag «%(tag)s»") % {"rule": rule, "tag": rule.tag}


def _owner_note(rule: GroupRule, owner: User) -> str:
    return _("rule «%(rule)s» made %(owner)s the owner") % {"rule": rule, "owner": owner}


def _effect(rule: GroupRule, obj: Record, matcher: Matcher) -> tuple[Changes, str] | None:
    """Apply one rule's effect to ``obj``; its audit changes and a line naming the rule, if any."""
    if rule.effect == GroupRule.Effect.ADD_TAG and rule.tag is not None:
        if rule.tag.name in matcher.tag_names:
            return None
        before = sorted(matcher.tag_names)
        obj.tags.add(rule.tag)  # type: ignore[attr-defined]
        matcher.tag_names.append(rule.tag.name)
        return {"tags": [before, sorted(matcher.tag_names)]}, _tag_note(rule)
    if rule.effect == GroupRule.Effect.SET_OWNER and _owner_usable(rule):
        owner: User = rule.owner  # type: ignore[assignment]
        if obj.owner_id == owner.pk and obj.branch_id == owner.branch_id:  # type: ignore[attr-defined]
            return None
        changes: Changes = {"owner": [str(obj.owner) if obj.owner else None, str(owner)]}
        if obj.branch_id != owner.branch_id:  # type: ignore[attr-defined]
            changes["branch"] = [str(obj.branch), str(owner.branch)]
        obj.owner = owner
        obj.branch = owner.branch
        type(obj).all_objects.filter(pk=obj.pk).update(owner=owner, branch=owner.branch)
        return changes, _owner_note(rule, owner)
    return None


def _merge(into: Changes, more: Changes) -> None:
    """Later changes of the same field keep the first old value and the last new one."""
    for name, (old, new) in more.items():
        into[name] = [into[name][0], new] if name in into else [old, new]


def _apply(rules: Iterable[GroupRule], obj: Record, matcher: Matcher) -> Changes:
    changes: Changes = {}
    notes: list[str] = []
    for rule in rules:
        if not matcher.matches(rule):
            continue
        result = _effect(rule, obj, matcher)
        if result is not None:
            _merge(changes, result[0])
            notes.append(result[1])
    if notes:
        changes["rules"] = [None, notes]
    return changes


def rules_apply(*, actor: User | None, obj: Record, skip: Iterable[int] = ()) -> Changes:
    """Apply every active rule of ``obj``'s entity, in order, to a new or changed record.

    Runs with the system's authority: the actor's own rights do not limit what a rule does, but
    the actor's change is what the rules' effects are recorded with. Rules in ``skip`` (those the
    record already matched before the change) do not fire again. Returns the audit changes,
    including ``rules``: a line per rule that changed something. Call inside the transaction.
    """
    entity = entity_of(obj)
    skipped = set(skip)
    rules = [rule for rule in active_rules(entity) if rule.pk not in skipped]
    if not rules:
        return {}
    return _apply(rules, obj, Matcher(obj, _definitions(entity)))


def with_rules(
    actor: User,
    writer: Callable[[Any], Changes],
    *,
    before: Record | None = None,
) -> Callable[[Any], Changes]:
    """``writer`` (a record's list writer) followed by the group rules, for create and update.

    Which rules ``before`` (the record as it was) already matched is settled now, before the
    change is written, so that only rules the record newly matches fire.
    """
    skip = rules_matching(before) if before is not None else set()
    original_owner = (
        {"owner": audit.display_value(before, "owner"), "branch": str(before.branch)}
        if before is not None
        else {}
    )

    def write(obj: Any) -> Changes:
        changes = writer(obj)
        ruled = rules_apply(actor=actor, obj=obj, skip=skip)
        for name in ("owner", "branch"):
            if name in ruled and name in original_owner:
                ruled[name][0] = original_owner[name]
        _merge(changes, ruled)
        return changes

    return write


# --- Bulk changes --------------------------------------------------------------------------------
def _tag_names(model: type[Company] | type[Contact], ids: list[int]) -> dict[int, list[str]]:
    """The tag names of each record, in one query."""
    m2m = model._meta.get_field("tags")
    source = m2m.m2m_field_name()  # type: ignore[union-attr]
    target = m2m.m2m_reverse_field_name()  # type: ignore[union-attr]
    rows = m2m.remote_field.through.objects.filter(  # type: ignore[union-attr]
        **{f"{source}_id__in": ids}
    ).values_list(f"{source}_id", f"{target}__name")
    names: dict[int, list[str]] = {}
    for pk, name in rows:
        names.setdefault(pk, []).append(name)
    return names


def _after(
    record: Record, values: dict[str, Any], tags: list[str], tag_names: dict[int, str]
) -> tuple[Record, list[str]]:
    """A copy of ``record`` and its tag names with a bulk change's ``values`` applied."""
    after = copy.copy(record)
    names = list(tags)
    for name, value in values.items():
        if name.startswith("tags."):
            tag = tag_names.get(int(name.split(".", 1)[1]))
            if tag is None:
                continue
            if value and tag not in names:
                names.append(tag)
            elif not value and tag in names:
                names.remove(tag)
        elif name.startswith(CUSTOM):
            stored = dict(getattr(after, "custom_fields", None) or {})
            code = name[len(CUSTOM) :]
            if value in (None, "", []):
                stored.pop(code, None)
            else:
                stored[code] = value
            after.custom_fields = stored  # type: ignore[attr-defined]
        elif "." not in name and name != "deleted_at":
            setattr(after, type(record)._meta.get_field(name).attname, value)  # type: ignore[union-attr]
    return after, names


def _planned_effects(
    rules: Sequence[GroupRule], after: Record, matcher: Matcher, asked: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """What the rules ``after`` newly matches do, as bulk field values, without writing them.

    A field the bulk change itself sets (``asked``) is left as the change sets it.
    """
    values: dict[str, Any] = {}
    notes: list[str] = []
    for rule in rules:
        if not matcher.matches(rule):
            continue
        if rule.effect == GroupRule.Effect.ADD_TAG and rule.tag is not None:
            name = f"tags.{rule.tag_id}"
            if rule.tag.name in matcher.tag_names or name in asked:
                continue
            values[name] = True
            matcher.tag_names.append(rule.tag.name)
            notes.append(_tag_note(rule))
        elif rule.effect == GroupRule.Effect.SET_OWNER and _owner_usable(rule):
            owner: User = rule.owner  # type: ignore[assignment]
            current = (after.owner_id, after.branch_id)  # type: ignore[attr-defined]
            if current == (owner.pk, owner.branch_id) or "owner" in asked or "branch" in asked:
                continue
            values.update(owner=owner.pk, branch=owner.branch_id)
            after.owner_id, after.branch_id = owner.pk, owner.branch_id  # type: ignore[attr-defined]
            notes.append(_owner_note(rule, owner))
    return values, notes


def bulk_follow_ups() -> batches.FollowUps:
    """The group rules as a bulk change's follow-ups (see :class:`batches.Operation`).

    Each record the change really changes gets the rules it newly matches, exactly as an edit
    on the card would; their effects are written with the change, kept in the same batch (one
    undo reverts both) and named in the record's audit entry. Rules and custom field
    definitions are read once per batch; a chunk costs two queries (the records' tags and the
    names of tags the change adds or removes), whatever its size.
    """
    loaded: dict[str, tuple[list[GroupRule], dict[str, CustomField]]] = {}

    def follow(
        model: type[Record], rows: Sequence[tuple[Record, dict[str, Any]]]
    ) -> dict[int, batches.FollowUp]:
        entity = "companies" if model is Company else "contacts"
        if entity not in loaded:
            loaded[entity] = (active_rules(entity), _definitions(entity))
        rules, definitions = loaded[entity]
        if not rules or not rows:
            return {}
        tags = _tag_names(model_of(entity), [record.pk for record, _values in rows])
        changed_tags = {
            int(name.split(".", 1)[1])
            for _record, values in rows
            for name in values
            if name.startswith("tags.")
        }
        tag_names = (
            dict(Tag.objects.filter(pk__in=changed_tags).values_list("pk", "name"))
            if changed_tags
            else {}
        )
        found: dict[int, batches.FollowUp] = {}
        for record, values in rows:
            before = tags.get(record.pk, [])
            matched = Matcher(record, definitions, tag_names=before)
            fresh = [rule for rule in rules if not matched.matches(rule)]
            if not fresh:
                continue
            after, after_tags = _after(record, values, before, tag_names)
            effects, notes = _planned_effects(
                fresh, after, Matcher(after, definitions, tag_names=after_tags), values
            )
            if effects:
                found[record.pk] = batches.FollowUp(values=effects, audit={"rules": [None, notes]})
        return found

    return follow


# --- Existing records: dry run and apply now ---------------------------------------------------
def rule_queryset(rule: GroupRule) -> QuerySet[Any]:
    """Every live record of the rule's entity matching its condition, on the database."""
    model = model_of(rule.entity)
    queryset: QuerySet[Any] = model.objects.all()
    operator = "contains" if rule.operator == GroupRule.Operator.CONTAINS else "equals"
    if rule.field == TAG:
        return custom_queries.where_tag(queryset, operator, rule.value)
    if rule.field.startswith(CUSTOM):
        definition = CustomField.objects.filter(
            entity=rule.entity, code=rule.field[len(CUSTOM) :]
        ).first()
        if definition is None:
            return queryset.none()
        try:
            return custom_queries.where_custom(queryset, definition, operator, rule.value)
        except custom_queries.Unmatchable:
            return queryset.none()
    if rule.field not in BASE_FIELDS[rule.entity]:
        return queryset.none()
    choices = {str(k): str(v) for k, v in CompanyStatus.choices} if rule.field == "status" else {}
    return custom_queries.where_base(queryset, rule.field, operator, rule.value, choices)


def _would_change(rule: GroupRule, queryset: QuerySet[Any]) -> QuerySet[Any]:
    if rule.effect == GroupRule.Effect.ADD_TAG:
        return queryset.exclude(tags=rule.tag_id) if rule.tag_id else queryset.none()
    if rule.effect == GroupRule.Effect.SET_OWNER and _owner_usable(rule):
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
    if rule.effect == GroupRule.Effect.SET_OWNER and not _owner_usable(rule):
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


def _check(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    entity = values.get("entity")
    if entity not in BASE_FIELDS:
        errors["entity"] = [_("Choose companies or contacts.")]
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
    effect = values.get("effect")
    tag, owner = None, None
    if effect == GroupRule.Effect.ADD_TAG:
        raw_tag = values.get("tag")
        if isinstance(raw_tag, Tag):
            tag = raw_tag
        elif str(raw_tag or "").strip():
            tag, _created = Tag.objects.get_or_create(name=str(raw_tag).strip()[:60])
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
