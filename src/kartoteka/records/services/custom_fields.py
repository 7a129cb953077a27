"""Custom fields: definitions administrators manage, and the checking of values against them."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.core import access, audit, events, kinds
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.models import AuditEntry, Record
from kartoteka.core.search.background import index_many_later
from kartoteka.records.models import CustomField
from kartoteka.records.models.custom_fields import FieldType


def definitions(entity: str) -> list[CustomField]:
    return list(CustomField.objects.filter(entity=entity))


#: numbers are stored and compared as doubles, which keep 15 significant digits exactly
NUMBER_DIGITS = 15
#: a double's range, kept clear of its ends (1.8e308 overflows, below 2.2e-308 precision fades)
NUMBER_LARGEST_EXPONENT = 307
NUMBER_SMALLEST_EXPONENT = -307
#: money is stored as text with kopecks and compared as a double: 15 digits, 2 after the point
MONEY_LIMIT = Decimal("1e13")
CENT = Decimal("0.01")


def _decimal(raw: Any) -> Decimal:
    """The number as typed: "1 500,5" as people write it, or a JSON number's own digits (the
    API's parser keeps them as ``literal``: 1e-400 must not arrive here as 0.0)."""
    if isinstance(raw, bool):
        raise ValueError(_("Enter a number."))
    text = str(getattr(raw, "literal", raw))
    try:
        number = Decimal(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        raise ValueError(_("Enter a number.")) from None
    if not number.is_finite():
        raise ValueError(_("Enter a number."))
    return number


def _number(number: Decimal) -> int | float:
    """A number stored exactly as typed, or ValueError: nothing is rounded on the way in."""
    if number.is_zero():
        return 0
    if len(number.normalize().as_tuple().digits) > NUMBER_DIGITS:
        raise ValueError(
            _("Enter at most %(digits)d significant digits: a longer number would be rounded.")
            % {"digits": NUMBER_DIGITS}
        )
    if number.adjusted() > NUMBER_LARGEST_EXPONENT:
        raise ValueError(_("This number is too large: enter less than 1e308."))
    if number.adjusted() < NUMBER_SMALLEST_EXPONENT:
        raise ValueError(_("This number is too small to store: it would become 0."))
    if number == number.to_integral_value() and abs(number) < 2**53:
        return int(number)
    # Fifteen digits survive the double exactly: it prints back as typed.
    return float(number)


def _money(number: Decimal) -> str:
    """An amount as text with kopecks ("1500.00"), or ValueError: never rounded."""
    if abs(number) >= MONEY_LIMIT:
        raise ValueError(_("Enter an amount below 10 000 000 000 000."))
    cents = number.quantize(CENT)
    if cents != number:
        raise ValueError(_("Enter at most 2 digits after the decimal point."))
    # -0.00 is 0.00: the sign of nothing is not worth keeping.
    return str(abs(cents) if cents.is_zero() else cents)


def _convert(field: CustomField, raw: Any) -> Any:
    """One value in its stored JSON form, or ValueError with a message for people."""
    kind = field.type
    if kind == FieldType.TEXT:
        return str(raw).strip()
    if kind == FieldType.NUMBER:
        return _number(_decimal(raw))
    if kind == FieldType.MONEY:
        return _money(_decimal(raw))
    if kind == FieldType.DATE:
        if isinstance(raw, datetime.date):
            return raw.isoformat()
        text = str(raw).strip()
        for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.datetime.strptime(text, pattern).date().isoformat()  # noqa: DTZ007
            except ValueError:
                continue
        raise ValueError(_("Enter a date, e.g. 23.11.2026."))
    if kind == FieldType.CHOICE:
        if str(raw) not in field.choices:
            raise ValueError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(field.choices)}
            )
        return str(raw)
    if kind == FieldType.MULTIPLE:
        values = (
            raw
            if isinstance(raw, list)
            else [part.strip() for part in str(raw).split(",") if part.strip()]
        )
        unknown = [str(value) for value in values if str(value) not in field.choices]
        if unknown:
            raise ValueError(
                _("Not among the choices: %(values)s.") % {"values": ", ".join(unknown)}
            )
        return [str(value) for value in values]
    if kind == FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on", "да"}:
            return True
        if text in {"0", "false", "no", "off", "нет"}:
            return False
        raise ValueError(_("Enter yes or no."))
    if kind == FieldType.LINK:
        try:
            URLValidator()(str(raw))
        except ValidationError:
            raise ValueError(_("Enter a web address, e.g. https://example.ru.")) from None
        return str(raw)
    raise ValueError(_("Unknown field type."))  # pragma: no cover


def is_empty(value: Any) -> bool:
    """An empty value removes the field's value (and is refused for a required field)."""
    return value is None or value == "" or value == []


def check_value(field: CustomField, raw: Any) -> Any:
    """One value of ``field`` in its stored JSON form (``None``: no value), or ValidationError.

    The one check of a custom field value: forms, the API (:func:`clean_values`) and bulk
    changes (through :mod:`kartoteka.core.field_rules`) all use it.
    """
    if is_empty(raw):
        if field.is_required:
            raise ValidationError(_("This field is required."))
        return None
    try:
        return _convert(field, raw)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def check_named_value(model: type[models.Model], code: str, raw: Any) -> Any:
    """:func:`check_value` for ``custom_fields.<code>`` of ``model`` (see core.field_rules)."""
    field = CustomField.objects.filter(entity=access.entity_of(model), code=code).first()
    if field is None:
        raise ValidationError(_("There is no such custom field."))
    return check_value(field, raw)


def clean_values(
    entity: str, raw: dict[str, Any], *, current: dict[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Merge ``raw`` into ``current`` values, checked by type; returns (values, field errors).

    An empty value removes the field's value. Errors are keyed ``custom_fields.<code>``.
    """
    fields = {field.code: field for field in definitions(entity)}
    values = dict(current or {})
    errors: dict[str, list[str]] = {}
    for code, value in raw.items():
        field = fields.get(code)
        if field is None:
            errors[f"custom_fields.{code}"] = [_("There is no such custom field.")]
            continue
        numeric = field.type in (FieldType.NUMBER, FieldType.MONEY)
        if numeric and code in values and _unchanged(values[code], value):
            # A form sends every value back: a number stored before numbers were checked (17
            # digits, -0.00) must not stop the record from being saved when nobody touched it.
            continue
        try:
            # Required is checked below, once every value is merged in.
            stored = check_value(field, value) if not is_empty(value) else None
        except ValidationError as error:
            errors[f"custom_fields.{code}"] = list(error.messages)
            continue
        if stored is None:
            values.pop(code, None)
        else:
            values[code] = stored
    for code, field in fields.items():
        name = f"custom_fields.{code}"
        if field.is_required and is_empty(values.get(code)) and name not in errors:
            errors[name] = [_("This field is required.")]
    values = {code: value for code, value in values.items() if code in fields}
    return values, errors


def _unchanged(stored: Any, raw: Any) -> bool:
    """Is ``raw`` the stored number sent back as it was (as JSON or as the form shows it)?"""
    if isinstance(stored, bool | list | dict) or isinstance(raw, bool | list | dict):
        return False
    return bool(stored == raw or str(stored) == str(raw))


CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def entities() -> list[str]:
    """The record kinds administrators may define custom fields for (the registry says which)."""
    return [kind.entity for kind in kinds.kinds_with("custom_fields")]


def _model(entity: str) -> type[Record]:
    kind = kinds.record_kind(entity)
    if kind is None or not kind.custom_fields:
        raise LookupError(f"{entity!r} has no custom fields.")
    return kind.model


def custom_field_usage(field: CustomField) -> int:
    """How many records (the trash included) hold a value of ``field``."""
    return _model(field.entity).all_objects.filter(**{"custom_fields__has_key": field.code}).count()


def _require_admin(actor: User) -> None:
    if not access.has_any(actor, "settings", "edit"):
        raise ForbiddenError()


def custom_field_save(
    *,
    actor: User,
    field: CustomField | None,
    entity: str,
    code: str,
    label: str,
    type: str,
    choices: list[str],
    is_required: bool = False,
    position: int | None = None,
) -> CustomField:
    """Define or change a custom field (administrators: "edit" on roles, like other settings).

    The code names the value in the API, filters and exports, so it is fixed at creation; the type
    is fixed while records hold values, which could no longer be read as the new type.
    """
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    label = label.strip()
    choices = list(dict.fromkeys(choice.strip() for choice in choices if choice.strip()))
    if field is None:
        code = code.strip()
        if entity not in entities():
            errors["entity"] = [_("Choose what the field is for.")]
        if not CODE_PATTERN.match(code):
            errors["code"] = [
                _("Latin lowercase letters, digits and _, starting with a letter: discount_rate.")
            ]
        elif CustomField.objects.filter(entity=entity, code=code).exists():
            errors["code"] = [_("This code is taken.")]
    elif code and code != field.code:
        errors["code"] = [_("The code cannot be changed after the field is created.")]
    if not label:
        errors["label"] = [_("This field is required.")]
    if type not in FieldType.values:
        errors["type"] = [_("Unknown field type.")]
    elif field is not None and type != field.type and custom_field_usage(field):
        errors["type"] = [
            _("The type cannot change while %(count)d records hold a value.")
            % {"count": custom_field_usage(field)}
        ]
    if type in (FieldType.CHOICE, FieldType.MULTIPLE) and not choices:
        errors["choices"] = [_("List the choices, one per line.")]
    if type not in (FieldType.CHOICE, FieldType.MULTIPLE):
        choices = []
    if errors:
        raise DomainError(fields=errors)
    with transaction.atomic():
        if field is None:
            if position is None:
                last = CustomField.objects.filter(entity=entity).order_by("-position").first()
                position = last.position + 1 if last else 0
            try:
                with transaction.atomic():
                    field = CustomField.objects.create(
                        entity=entity,
                        code=code,
                        label=label,
                        type=type,
                        choices=choices,
                        is_required=is_required,
                        position=position,
                    )
            except IntegrityError:
                # Another request took the code between the check above and this insert; the
                # unique constraint has the last word, and the answer names the code all the same.
                raise DomainError(fields={"code": [_("This code is taken.")]}) from None
            changes = {
                name: [None, value]
                for name, value in audit.snapshot(field, AUDITED).items()
                if value not in (None, "", [])
            }
            action = AuditEntry.Action.CREATE
        else:
            field = CustomField.objects.select_for_update().get(pk=field.pk)
            before = audit.snapshot(field, AUDITED)
            field.label, field.type, field.choices, field.is_required = (
                label,
                type,
                choices,
                is_required,
            )
            if position is not None:
                field.position = position
            field.save()
            changes = audit.diff(before, audit.snapshot(field, AUDITED))
            action = AuditEntry.Action.UPDATE
        if changes:
            audit.record(actor=actor, action=action, obj=field, changes=changes)
    return field


AUDITED = ("entity", "code", "label", "type", "choices", "is_required", "position")


#: records read, changed and written per round trip when a field's values are removed
VALUES_CHUNK = 1000


def _remove_values(actor: User, field: CustomField) -> list[int]:
    """Take ``field``'s value off every record holding one (the trash too); returns their ids.

    Each is a change of the record like any other: its version moves on (an edit form opened
    before gets a conflict rather than putting the value back, an undo of an older bulk change
    leaves it alone), its audit trail shows the value going and a domain event says so. Chunks
    by id keep memory and the number of queries flat: one read, one write and one insert each of
    audit rows and events per chunk, whatever the number of records.
    """
    model = _model(field.entity)
    content_type = ContentType.objects.get_for_model(model)
    removed: list[int] = []
    last = 0
    while True:
        chunk = list(
            model.all_objects.select_for_update()
            .filter(custom_fields__has_key=field.code, pk__gt=last)
            .order_by("pk")[:VALUES_CHUNK]
        )
        if not chunk:
            return removed
        now = timezone.now()
        entries, changed = [], []
        for record in chunk:
            before = dict(record.custom_fields or {})
            record.custom_fields = {k: v for k, v in before.items() if k != field.code}
            record.version += 1
            record.updated_at = now
            entries.append(
                AuditEntry(
                    actor=actor,
                    action=AuditEntry.Action.UPDATE,
                    content_type=content_type,
                    object_id=record.pk,
                    object_repr=str(record)[:300],
                    changes={
                        "custom_fields": [before, record.custom_fields],
                        "custom_field": [field.label, None],
                    },
                    version=record.version,
                )
            )
            changed.append(
                events.RecordChanged.about(record, actor=actor, changes=entries[-1].changes)
            )
        model.all_objects.bulk_update(chunk, ["custom_fields", "version", "updated_at"])
        AuditEntry.objects.bulk_create(entries)
        events.emit(*changed)
        removed.extend(record.pk for record in chunk)
        last = chunk[-1].pk


def custom_field_delete(*, actor: User, field: CustomField, confirmed: bool = False) -> int:
    """Delete a custom field and every value of it; returns how many records lost a value.

    Values are data people typed in, so a field that has any is deleted only when ``confirmed``.
    Every record that held a value changes as by an edit: a new version, an audit entry, an
    event, and a search document without the value (re-indexed now when few, else by a
    background job after the commit).
    """
    _require_admin(actor)
    affected = custom_field_usage(field)
    if affected and not confirmed:
        raise DomainError(
            _("%(count)d records hold a value of this field; confirm to delete them too.")
            % {"count": affected},
            fields={"confirm": [_("Confirm that the values will be deleted.")]},
        )
    with transaction.atomic():
        removed = _remove_values(actor, field)
        index_many_later(_model(field.entity), removed, actor=actor)
        affected = len(removed)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.PURGE,
            obj=field,
            changes={
                **{name: [value, None] for name, value in audit.snapshot(field, AUDITED).items()},
                "records_affected": [None, affected],
            },
        )
        field.delete()
    return affected


def custom_field_move(*, actor: User, field: CustomField, offset: int) -> None:
    """Move a field up (-1) or down (+1) among its entity's fields, renumbering them."""
    _require_admin(actor)
    with transaction.atomic():
        fields = list(CustomField.objects.select_for_update().filter(entity=field.entity))
        index = next(i for i, f in enumerate(fields) if f.pk == field.pk)
        target = max(0, min(len(fields) - 1, index + offset))
        if target == index:
            return
        fields.insert(target, fields.pop(index))
        for position, item in enumerate(fields):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=field,
            changes={"position": [index, target]},
        )
