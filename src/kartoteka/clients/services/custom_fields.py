"""Custom fields: definitions administrators manage, and the checking of values against them."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.clients.models import CustomField
from kartoteka.clients.models.custom_fields import FieldType
from kartoteka.core import access, audit
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.models import AuditEntry


def definitions(entity: str) -> list[CustomField]:
    return list(CustomField.objects.filter(entity=entity))


def _convert(field: CustomField, raw: Any) -> Any:
    """One value in its stored JSON form, or ValueError with a message for people."""
    kind = field.type
    if kind == FieldType.TEXT:
        return str(raw).strip()
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        try:
            number = Decimal(str(raw).replace(" ", "").replace("\\u00a0", "").replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        if kind == FieldType.MONEY:
            return str(number.quantize(Decimal("0.01")))
        return int(number) if number == number.to_integral_value() else float(number)
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
        if value in (None, "", []):
            values.pop(code, None)
            continue
        try:
            values[code] = _convert(field, value)
        except ValueError as error:
            errors[f"custom_fields.{code}"] = [str(error)]
    for code, field in fields.items():
        if (
            field.is_required
            and values.get(code) in (None, "", [])
            and f"custom_fields.{code}" not in errors
        ):
            errors[f"custom_fields.{code}"] = [_("This field is required.")]
    values = {code: value for code, value in values.items() if code in fields}
    return values, errors


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
) -> CustomField:
    """Define or change a custom field (administrators: "edit" on roles, like other settings)."""
    if not access.has_any(actor, "roles", "edit"):
        raise ForbiddenError()
    if type not in FieldType.values:
        raise DomainError(fields={"type": [_("Unknown field type.")]})
    choices = [choice.strip() for choice in choices if choice.strip()]
    if type in (FieldType.CHOICE, FieldType.MULTIPLE) and not choices:
        raise DomainError(fields={"choices": [_("List the choices, one per line.")]})
    with transaction.atomic():
        if field is None:
            if CustomField.objects.filter(entity=entity, code=code).exists():
                raise DomainError(fields={"code": [_("This code is taken.")]})
            field = CustomField.objects.create(
                entity=entity,
                code=code,
                label=label,
                type=type,
                choices=choices,
                is_required=is_required,
            )
            action = AuditEntry.Action.CREATE
        else:
            field.label, field.type, field.choices, field.is_required = (
                label,
                type,
                choices,
                is_required,
            )
            field.save()
            action = AuditEntry.Action.UPDATE
        audit.record(
            actor=actor,
            action=action,
            obj=field,
            changes={"label": [None, label], "type": [None, type], "choices": [None, choices]},
        )
    return field
