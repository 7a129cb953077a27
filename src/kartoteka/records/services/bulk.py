"""Bulk changes to any record kind: which fields may be replaced, tags, one entry point.

The generic work (chunks, batches, undo, handover) is :mod:`kartoteka.core.batches`; this module
adds what records have beyond that: the fields a "global replace" may touch (the kind's field
list), custom fields, tags, and the one dispatcher pages and the API share (:func:`bulk_apply`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kartoteka.accounts.models import User
from kartoteka.core import access, batches, kinds
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
from kartoteka.records.services import custom_fields, group_rules


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
    """A value for ``field`` checked and in stored form: (stored, shown, field label)."""
    if field.startswith(CUSTOM_PREFIX):
        code = field[len(CUSTOM_PREFIX) :]
        definition = CustomField.objects.filter(entity=_entity(model), code=code).first()
        if definition is None:
            raise DomainError(fields={"field": [_("There is no such custom field.")]})
        if value in (None, "", []):
            if definition.is_required:
                raise DomainError(fields={"value": [_("This field is required.")]})
            return None, "—", definition.label
        values, errors = custom_fields.clean_values(_entity(model), {code: value}, current={})
        if field in errors:
            raise DomainError(fields={"value": errors[field]})
        stored = values[code]
        shown = ", ".join(stored) if isinstance(stored, list) else str(stored)
        if isinstance(stored, bool):
            shown = _("yes") if stored else _("no")
        return stored, shown, definition.label
    if field not in settable(model):
        raise DomainError(fields={"field": [_("This field cannot be changed in bulk.")]})
    model_field = model._meta.get_field(field)
    assert isinstance(model_field, models.Field)
    text = "" if value is None else str(value).strip()
    if model_field.choices:
        # People type what they read ("client", "клиент"), not the stored code.
        by_label = {fold(str(label)): code for code, label in model_field.flatchoices}
        text = by_label.get(fold(text), text)
    try:
        stored = model_field.clean(text, None)
    except ValidationError as error:
        raise DomainError(fields={"value": list(error.messages)}) from None
    choices = dict(model_field.choices or ())
    shown = str(choices.get(stored, stored)) if stored else "—"
    return stored, shown, str(model_field.verbose_name).capitalize()


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
        follow_ups=group_rules.bulk_follow_ups(),
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


def _tag_plan(
    actor: User, model: type[Record], tag: Tag | str, add: bool, *, create: bool = True
) -> tuple[Operation, Tag]:
    if not access.has_any(actor, _entity(model), "edit"):
        raise ForbiddenError()
    if isinstance(tag, str):
        name = tag.strip()
        if not name:
            raise DomainError(fields={"tag": [_("Name the tag.")]})
        found = Tag.objects.filter(name=name[:60]).first()
        if found is None:
            if not add:
                raise DomainError(fields={"tag": [_("There is no such tag.")]})
            # A preview creates nothing: a tag that does not exist yet is on no record (id 0).
            found = Tag.objects.get_or_create(name=name[:60])[0] if create else Tag(pk=0, name=name)
        tag = found
    field = f"tags.{tag.pk}"
    operation = Operation(
        kind="tag" if add else "untag",
        fields=(field,),
        values=lambda record, position: {field: add},
        follow_ups=group_rules.bulk_follow_ups(),
    )
    return operation, tag


def bulk_tag(
    *, actor: User, model: type[Record], ids: IdsOrQuerySet, tag: Tag | str, add: bool = True
) -> Batch:
    """Add (or remove) a tag on many records as one batch; a new tag name creates the tag.

    Group rules the changed records newly match act too, in the same batch (one undo).
    """
    operation, found = _tag_plan(actor, model, tag, add)
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
            operation, _found = _tag_plan(actor, model, tag, action == "tag", create=False)
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
