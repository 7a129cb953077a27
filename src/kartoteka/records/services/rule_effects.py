"""What group rules do to a client that changes: one plan, for single edits and bulk changes.

A rule fires when a record *starts* to match: on creation, or on a change after which it matches
and before which it did not. So a manager who takes the "Поволжье" tag off a Kazan company, or
hands a retail client to a colleague, is not overruled at their next edit of the card. Rules run
once, top to bottom, per change: a rule's effect may make a *later* rule match (a tag, then an
owner for that tag), but never sets off the rules again, so two rules cannot feed each other.

:func:`plan` decides, in memory and without writing, what the rules do; its answer is values
named as bulk changes name fields (``owner``/``branch``: ids, ``tags.7``: True). Those values
then go through the write path of the change that set them off, like the change's own: checked,
written in its transaction, one version, one audit entry naming each rule, re-indexed with it:

- a card, the API or a merge: :func:`change_follow_up` (``core.records`` create/update);
- a bulk change: :func:`bulk_follow_ups` (``core.batches``), where they join the batch and are
  undone with it.

A rule's owner is any active user, with the record moving to that user's branch (the owner
always works in the record's branch); rules act with the authority of the administrator who set
them up, not of the person whose change set them off.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.core import access, audit, batches, records
from kartoteka.core.models import Record
from kartoteka.records.models import CustomField, GroupRule, Tag
from kartoteka.records.services.rule_conditions import CUSTOM, Condition, condition_of

Changes = dict[str, list[Any]]


def entity_of(obj: Record | type[Record]) -> str:
    model = obj if isinstance(obj, type) else type(obj)
    return access.entity_of(model)


def active_rules(entity: str) -> list[GroupRule]:
    return list(
        GroupRule.objects.filter(entity=entity, is_active=True)
        .select_related("tag", "owner__branch")
        .order_by("position", "id")
    )


def definitions(entity: str) -> dict[str, CustomField]:
    return {field.code: field for field in CustomField.objects.filter(entity=entity)}


@dataclass(frozen=True)
class RuleSet:
    """An entity's active rules with their conditions: read once per change or per batch."""

    rules: list[GroupRule]
    conditions: dict[int, Condition]

    def matching(self, record: Record, tag_names: Sequence[str]) -> set[int]:
        """Ids of the rules ``record`` (with tags named ``tag_names``) matches, in memory."""
        return {
            rule.pk for rule in self.rules if self.conditions[rule.pk].matches(record, tag_names)
        }


def rule_set(entity: str) -> RuleSet:
    """The active rules of ``entity`` (two queries; one when there are none)."""
    rules = active_rules(entity)
    if not rules:
        return RuleSet([], {})
    known = definitions(entity) if any(r.field.startswith(CUSTOM) for r in rules) else {}
    return RuleSet(rules, {rule.pk: condition_of(rule, known) for rule in rules})


def owner_usable(rule: GroupRule) -> bool:
    return rule.owner is not None and rule.owner.is_active


def tag_note(rule: GroupRule) -> str:
    return _("rule «%(rule)s» added the tag «%(tag)s»") % {"rule": rule, "tag": rule.tag}


def owner_note(rule: GroupRule, owner: User) -> str:
    return _("rule «%(rule)s» made %(owner)s the owner") % {"rule": rule, "owner": owner}


@dataclass
class Planned:
    """What the rules do to one record: values to write (bulk names), lines naming the rules."""

    values: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tags_added: list[str] = field(default_factory=list)
    owner: User | None = None


def plan(
    rules: RuleSet,
    matched_before: Collection[int],
    after: Record,
    tag_names: Sequence[str],
    asked: Collection[str] = (),
) -> Planned:
    """What the rules ``after`` newly matches do, in order, without writing anything.

    ``after`` is the record as the change leaves it (in memory) and ``tag_names`` its tags then;
    rules in ``matched_before`` matched before the change and do not fire again. A field the
    change itself sets (``asked``, bulk names) is left as the change sets it.
    """
    planned = Planned()
    after = copy.copy(after)
    names = list(tag_names)
    for rule in rules.rules:
        if rule.pk in matched_before or not rules.conditions[rule.pk].matches(after, names):
            continue
        if rule.effect == GroupRule.Effect.ADD_TAG and rule.tag is not None:
            name = f"tags.{rule.tag_id}"
            if rule.tag.name in names or name in asked:
                continue
            planned.values[name] = True
            planned.tags_added.append(rule.tag.name)
            names.append(rule.tag.name)
            planned.notes.append(tag_note(rule))
        elif rule.effect == GroupRule.Effect.SET_OWNER and owner_usable(rule):
            owner: User = rule.owner  # type: ignore[assignment]
            current = (after.owner_id, after.branch_id)  # type: ignore[attr-defined]
            if current == (owner.pk, owner.branch_id) or "owner" in asked or "branch" in asked:
                continue
            planned.values.update(owner=owner.pk, branch=owner.branch_id)
            after.owner_id, after.branch_id = owner.pk, owner.branch_id  # type: ignore[attr-defined]
            planned.owner = owner
            planned.notes.append(owner_note(rule, owner))
    return planned


def change_follow_up(
    tags: Sequence[Tag] | None = None, *, owner_chosen: bool = False
) -> records.FollowUp:
    """The group rules as one record's follow-up, for ``core.records`` create and update.

    ``tags``: the record's tags after the change, when the change sets them (else they stay).
    Tags the change itself adds or removes are the person's choice and stay as chosen.
    ``owner_chosen``: the person picked the owner (or branch) themself in this change, so a
    rule's owner does not overrule them - as in a bulk change that sets the owner. A card's
    owner picker always sends a value: the caller says whether it is a choice (another owner
    than the record has, or on a new record than its creator) or the picker left as it was.
    """
    asked = {"owner", "branch"} if owner_chosen else set()

    def follow(before: Record | None, after: Record) -> tuple[dict[str, Any], Changes]:
        rules = rule_set(entity_of(after))
        if not rules.rules:
            return {}, {}
        had = list(before.tags.all()) if before is not None else []  # type: ignore[attr-defined]
        has = list(tags) if tags is not None else had
        before_names, after_names = [tag.name for tag in had], [tag.name for tag in has]
        flipped = {tag.pk for tag in had} ^ {tag.pk for tag in has}
        matched = rules.matching(before, before_names) if before is not None else set()
        planned = plan(rules, matched, after, after_names, {f"tags.{pk}" for pk in flipped} | asked)
        if not planned.values:
            return {}, {}
        changes: Changes = {}
        if planned.tags_added:
            changes["tags"] = [sorted(after_names), sorted(after_names + planned.tags_added)]
        if planned.owner is not None:
            owner = planned.owner
            changes["owner"] = [audit.display_value(after, "owner"), str(owner)]
            if after.branch_id != owner.branch_id:  # type: ignore[attr-defined]
                changes["branch"] = [str(after.branch), str(owner.branch)]  # type: ignore[attr-defined]
        changes["rules"] = [None, planned.notes]
        return planned.values, changes

    return follow


# --- Bulk changes --------------------------------------------------------------------------------
def _tag_names(model: type[Record], ids: list[int]) -> dict[int, list[str]]:
    """The tag names of each record, in one query."""
    m2m = model._meta.get_field("tags")  # type: ignore[misc]
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


def bulk_follow_ups() -> batches.FollowUps:
    """The group rules as a bulk change's follow-ups (see :class:`batches.Operation`).

    Each record the change really changes gets the rules it newly matches, exactly as an edit
    on the card would (:func:`plan`); their effects are written with the change, kept in the
    same batch (one undo reverts both) and named in the record's audit entry. Rules are read
    once per batch; a chunk costs two queries (the records' tags and the names of tags the
    change adds or removes), whatever its size.
    """
    loaded: dict[str, RuleSet] = {}

    def follow(
        model: type[Record], rows: Sequence[tuple[Record, dict[str, Any]]]
    ) -> dict[int, batches.FollowUp]:
        entity = entity_of(model)
        if entity not in loaded:
            loaded[entity] = rule_set(entity)
        rules = loaded[entity]
        if not rules.rules or not rows:
            return {}
        tags = _tag_names(model, [record.pk for record, _values in rows])
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
            matched = rules.matching(record, before)
            if len(matched) == len(rules.rules):
                continue
            after, after_tags = _after(record, values, before, tag_names)
            planned = plan(rules, matched, after, after_tags, values)
            if planned.values:
                found[record.pk] = batches.FollowUp(
                    values=planned.values, audit={"rules": [None, planned.notes]}
                )
        return found

    return follow
