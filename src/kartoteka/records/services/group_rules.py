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
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kartoteka.accounts.models import User
from kartoteka.core import access, audit, batches, kinds
from kartoteka.core.models import Record
from kartoteka.core.text import fold
from kartoteka.records import custom_queries
from kartoteka.records.models import CustomField, GroupRule, Tag
from kartoteka.records.models.custom_fields import FieldType

Changes = dict[str, list[Any]]
CUSTOM = "custom_fields."
TAG = "tag"


def base_fields(entity: str) -> tuple[str, ...]:
    """The fields a rule of ``entity`` may look at, besides tags and custom fields (the kind's
    field list says which); nothing for an entity that is not a record kind."""
    kind = kinds.record_kind(entity)
    return kind.names("rule") if kind is not None else ()


def model_of(entity: str) -> type[Record]:
    kind = kinds.record_kind(entity)
    if kind is None:
        raise LookupError(f"{entity!r} is not a registered record kind.")
    return kind.model


def entity_of(obj: Record) -> str:
    return access.entity_of(type(obj))


def verbose_name(model: type[Record], name: str) -> str:
    field = model._meta.get_field(name)
    text = str(getattr(field, "verbose_name", name))
    return text[:1].upper() + text[1:]


def choices_of(model: type[Record], name: str) -> dict[str, str]:
    """A choice field's codes and labels ({} for a free field): rules match either."""
    field = model._meta.get_field(name)
    return {str(code): str(label) for code, label in getattr(field, "flatchoices", ()) or ()}


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
            tags = obj.tags.all() if kinds.kind_of(type(obj)).tags else []  # type: ignore[attr-defined]
            tag_names = [tag.name for tag in tags]
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
        if rule.field not in base_fields(entity_of(self.obj)):
            return []
        value = str(getattr(self.obj, rule.field, "") or "")
        choices = choices_of(type(self.obj), rule.field)
        if choices:
            # A choice matches by its code or by the label people read.
            return [fold(value), fold(choices.get(value, value))]
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
def _tag_names(model: type[Record], ids: list[int]) -> dict[int, list[str]]:
    """The tag names of each record, in one query."""
    options: Any = model._meta  # any record kind with tags
    m2m = options.get_field("tags")
    source = m2m.m2m_field_name()
    target = m2m.m2m_reverse_field_name()
    rows = m2m.remote_field.through.objects.filter(**{f"{source}_id__in": ids}).values_list(
        f"{source}_id", f"{target}__name"
    )
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
        entity = access.entity_of(model)
        if entity not in loaded:
            loaded[entity] = (active_rules(entity), _definitions(entity))
        rules, definitions = loaded[entity]
        if not rules or not rows:
            return {}
        ids = [record.pk for record, _values in rows]
        tags = _tag_names(model, ids) if kinds.kind_of(model).tags else {}
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
