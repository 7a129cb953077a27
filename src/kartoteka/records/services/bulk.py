"""Bulk changes to any record kind: which fields may be replaced, tags, one entry point.

The generic work (chunks, batches, undo, handover) is :mod:`kartoteka.core.batches`; this module
adds what records have beyond that: the fields a "global replace" may touch (the kind's field
list), custom fields, tags, and the one dispatcher pages and the API share (:func:`bulk_apply`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kartoteka.accounts.models import User
from kartoteka.core import access, batches, field_rules, kinds
from kartoteka.core.batches import (
    Counts,
    IdsOrQuerySet,
    Operation,
    batch_undo,
    bulk_reassign,
    bulk_trash,
    reassign_operation,
    trash_operation,
)
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.ids import parse_id
from kartoteka.core.models import Batch, Record
from kartoteka.core.text import fold
from kartoteka.records.models import CustomField, Tag
from kartoteka.records.services import rule_effects, tags


def settable(model: type[Record]) -> tuple[str, ...]:
    """The fields a "global replace" may set on ``model`` (its kind's field list says which);
    custom fields come on top."""
    return kinds.kind_of(model).names("bulk")


CUSTOM_PREFIX = "custom_fields."
ACTIONS = ("reassign", "set_field", "tag", "untag", "trash")


def _entity(model: type[Record]) -> str:
    return access.entity_of(model)


def settable_fields(
    model: type[Record], custom_fields: Iterable[CustomField] | None = None
) -> list[tuple[str, str]]:
    """(code, label) of the fields a bulk change may set, custom fields included (read here
    unless the caller already has the model's definitions)."""
    if custom_fields is None:
        custom_fields = (
            CustomField.objects.filter(entity=_entity(model))
            if kinds.kind_of(model).custom_fields
            else []
        )
    kind = kinds.kind_of(model)
    fields = [(item.name, kind.label_of(item)) for item in kind.fields if item.bulk]
    fields += [(CUSTOM_PREFIX + field.code, field.label) for field in custom_fields]
    return fields


def clean_value(model: type[Record], field: str, value: Any) -> tuple[Any, str, str]:
    """A value for ``field`` checked and in stored form: (stored, shown, field label).

    Checked by :func:`kartoteka.core.field_rules.clean_value`, exactly as a form or the API
    checks the same field of one record; a refusal names the ``value``.
    """
    if field.startswith(CUSTOM_PREFIX):
        code = field[len(CUSTOM_PREFIX) :]
        definition = CustomField.objects.filter(entity=_entity(model), code=code).first()
        if definition is None:
            raise DomainError(fields={"field": [_("There is no such custom field.")]})
        label = definition.label
    elif field in settable(model):
        model_field = model._meta.get_field(field)
        assert isinstance(model_field, models.Field)
        label = str(model_field.verbose_name).capitalize()
        value = "" if value is None else str(value).strip()
        if model_field.choices:
            # People type what they read ("client", "клиент"), not the stored code.
            by_label = {fold(str(text)): code for code, text in model_field.flatchoices}
            value = by_label.get(fold(value), value)
    else:
        raise DomainError(fields={"field": [_("This field cannot be changed in bulk.")]})
    try:
        stored = field_rules.clean_value(model, field, value)
    except field_rules.FieldError as error:
        raise DomainError(fields={"value": error.messages}) from None
    return stored, _shown(model, field, stored), label


def _shown(model: type[Record], field: str, stored: Any) -> str:
    if stored in (None, "", []):
        return "—"
    if isinstance(stored, bool):
        return _("yes") if stored else _("no")
    if isinstance(stored, list):
        return ", ".join(str(item) for item in stored)
    if field.startswith(CUSTOM_PREFIX):
        return str(stored)
    choices = dict(model._meta.get_field(field).choices or ())  # type: ignore[union-attr]
    return str(choices.get(stored, stored))


def _set_field_plan(
    actor: User, model: type[Record], field: str, value: Any
) -> tuple[Operation, str, str]:
    if not access.has_any(actor, _entity(model), "edit"):
        raise ForbiddenError()
    stored, shown, label = clean_value(model, field, value)
    operation = Operation(
        kind="set_field",
        fields=(field,),
        values=lambda record, position: {field: stored},
        follow_ups=rule_effects.bulk_follow_ups(),
    )
    return operation, label, shown


def bulk_preview(
    *, actor: User, model: type[Record], ids_or_queryset: IdsOrQuerySet, field: str, value: Any
) -> Counts:
    """How many records a "global replace" of ``field`` would change, and how many it skips.

    Counted exactly as :func:`bulk_set_field` counts, changing nothing.
    """
    operation, _label, _shown = _set_field_plan(actor, model, field, value)
    ids = batches.candidates(model, ids_or_queryset)
    return batches.preview(actor=actor, work=[(model, ids, operation)])


def bulk_set_field(
    *, actor: User, model: type[Record], ids_or_queryset: IdsOrQuerySet, field: str, value: Any
) -> Batch:
    """Set ``field`` (or ``custom_fields.<code>``) to ``value`` on many records, as one batch.

    Needs "edit" on each record; the others, and those that already have the value, are skipped.
    Group rules the changed records newly match act too, in the same batch (one undo).
    """
    operation, label, shown = _set_field_plan(actor, model, field, value)
    ids = batches.candidates(model, ids_or_queryset)

    def name(counts: Counts, before: Mapping[str, Any]) -> str:
        return ngettext(
            "%(field)s = %(value)s (%(count)d record)",
            "%(field)s = %(value)s (%(count)d records)",
            counts.changed,
        ) % {"field": label, "value": shown, "count": counts.changed}

    return batches.execute(actor=actor, kind="set_field", work=[(model, ids, operation)], name=name)


def _tag_named(actor: User, model: type[Record], tag: Tag | str, add: bool) -> Tag:
    """The tag a bulk tag change means (a new name: an unsaved tag); reads only."""
    if not access.has_any(actor, _entity(model), "edit"):
        raise ForbiddenError()
    if isinstance(tag, Tag):
        return tag
    errors: dict[str, list[str]] = {}
    named = tags.tags_named([tag], errors, field="tag")
    if errors:
        raise DomainError(fields=errors)
    if not named:
        raise DomainError(fields={"tag": [_("Name the tag.")]})
    if named[0].pk is None and not add:
        raise DomainError(fields={"tag": [_("There is no such tag.")]})
    return named[0]


def _tag_operation(tag: Tag, add: bool) -> Operation:
    # A tag not created yet (a preview of a new name) is on no record: id 0.
    field = f"tags.{tag.pk or 0}"
    return Operation(
        kind="tag" if add else "untag",
        fields=(field,),
        values=lambda record, position: {field: add},
        follow_ups=rule_effects.bulk_follow_ups(),
    )


def bulk_tag(
    *, actor: User, model: type[Record], ids: IdsOrQuerySet, tag: Tag | str, add: bool = True
) -> Batch:
    """Add (or remove) a tag on many records as one batch; a new tag name creates the tag.

    The tag is created (and audited) in the batch's transaction, once the change is known to be
    valid. Group rules the changed records newly match act too, in the same batch (one undo).
    """
    found = _tag_named(actor, model, tag, add)
    ids_found = batches.candidates(model, ids)

    def name(counts: Counts, before: Mapping[str, Any]) -> str:
        if add:
            text = ngettext(
                "Tag “%(tag)s” added (%(count)d record)",
                "Tag “%(tag)s” added (%(count)d records)",
                counts.changed,
            )
        else:
            text = ngettext(
                "Tag “%(tag)s” removed (%(count)d record)",
                "Tag “%(tag)s” removed (%(count)d records)",
                counts.changed,
            )
        return text % {"tag": found.name, "count": counts.changed}

    with transaction.atomic():
        tags.tags_create_named(actor=actor, tags=[found])
        operation = _tag_operation(found, add)
        return batches.execute(
            actor=actor, kind=operation.kind, work=[(model, ids_found, operation)], name=name
        )


def _owners(actor: User, raw: Sequence[Any]) -> list[User]:
    """Colleagues picked by id, in the order given; unknown or hidden ids are an error."""
    wanted = []
    for value in raw:
        if isinstance(value, User):
            wanted.append(value.pk)
        elif (pk := parse_id(value)) is not None:
            wanted.append(pk)
        else:
            raise DomainError(fields={"to_owners": [_("Choose colleagues from the list.")]})
    found = {
        user.pk: user
        for user in access.scoped(User.objects.filter(pk__in=wanted), actor).select_related(
            "branch"
        )
    }
    if not wanted or any(pk not in found for pk in wanted):
        raise DomainError(fields={"to_owners": [_("Choose colleagues from the list.")]})
    return [found[pk] for pk in dict.fromkeys(wanted)]


def bulk_apply(
    *,
    actor: User,
    model: type[Record],
    target: IdsOrQuerySet,
    action: str,
    params: Mapping[str, Any],
    preview: bool = False,
) -> Batch | Counts:
    """One entry point for pages and the API: run ``action`` (or count what it would do).

    ``params``: ``to_owners`` (ids) for reassign, ``field`` and ``value`` for set_field, ``tag``
    (a name) for tag/untag.
    """
    if action not in ACTIONS:
        raise DomainError(fields={"action": [_("Choose what to do.")]})
    if action == "set_field":
        field, value = str(params.get("field") or ""), params.get("value")
        if not field:
            raise DomainError(fields={"field": [_("Choose a field.")]})
        if preview:
            return bulk_preview(
                actor=actor, model=model, ids_or_queryset=target, field=field, value=value
            )
        return bulk_set_field(
            actor=actor, model=model, ids_or_queryset=target, field=field, value=value
        )
    if action == "reassign":
        if not access.has_any(actor, _entity(model), "assign"):
            raise ForbiddenError()
        owners = _owners(actor, list(params.get("to_owners") or []))
        if preview:
            batches.check_targets(actor, [model], owners)
            work = [(model, batches.candidates(model, target), reassign_operation(owners))]
            return batches.preview(actor=actor, work=work)
        return bulk_reassign(actor=actor, model=model, ids_or_queryset=target, to_owners=owners)
    if action in ("tag", "untag"):
        tag = str(params.get("tag") or "")
        if preview:
            add = action == "tag"
            operation = _tag_operation(_tag_named(actor, model, tag, add), add)
            work = [(model, batches.candidates(model, target), operation)]
            return batches.preview(actor=actor, work=work)
        return bulk_tag(actor=actor, model=model, ids=target, tag=tag, add=action == "tag")
    if not access.has_any(actor, _entity(model), "delete"):
        raise ForbiddenError()
    if preview:
        work = [(model, batches.candidates(model, target), trash_operation())]
        return batches.preview(actor=actor, work=work)
    return bulk_trash(actor=actor, model=model, ids=target)


__all__ = [
    "batch_undo",
    "bulk_apply",
    "bulk_preview",
    "bulk_reassign",
    "bulk_set_field",
    "bulk_tag",
    "bulk_trash",
    "clean_value",
    "settable",
    "settable_fields",
]
