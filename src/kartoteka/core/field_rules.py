"""One check per field, whichever way a value is written: a form, the API or a bulk change.

Fields are named as bulk changes name them: a column (``city``), or a prefix and a key
(``custom_fields.discount``). :func:`clean_value` turns what a person or program sent into the
stored form, or raises :class:`FieldError` with messages for people, so a single edit and a bulk
change of the same field accept and refuse exactly the same values.

A column is trimmed, passed through its app's normaliser if it has one (an INN typed with
spaces), then checked by the model field itself (length, choices, validators). Apps register a
checker per prefix (``custom_fields.``: a value against its definition). Owner and branch are not
checked here: where a record may be placed is the access rule's (``core.access.can_place``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext as _

#: (raw value, already trimmed) -> value for the model field to check
Normaliser = Callable[[Any], Any]
#: (model, the name after the prefix, raw value) -> stored value; raises ValidationError
PrefixChecker = Callable[[type[models.Model], str, Any], Any]

_NORMALISERS: dict[tuple[type[models.Model], str], Normaliser] = {}
_PREFIXES: dict[tuple[type[models.Model] | None, str], PrefixChecker] = {}


class FieldError(ValueError):
    """A value refused for one field: ``name`` as above, ``messages`` for people."""

    def __init__(self, name: str, messages: list[str]) -> None:
        super().__init__(f"{name}: {'; '.join(messages)}")
        self.name = name
        self.messages = messages


def register_normaliser(model: type[models.Model], name: str, normalise: Normaliser) -> None:
    """Have ``normalise`` prepare every value of ``model.name`` before it is checked."""
    _NORMALISERS[(model, name)] = normalise


def register_prefix(model: type[models.Model], prefix: str, check: PrefixChecker) -> None:
    """Have ``check`` clean the values named ``<prefix>.<key>`` of ``model`` (call in ready())."""
    _PREFIXES[(model, prefix)] = check


def register_any_prefix(prefix: str, check: PrefixChecker) -> None:
    """Have ``check`` clean ``<prefix>.<key>`` of every model without a checker of its own
    (custom field values: every record kind keeps them the same way)."""
    _PREFIXES[(None, prefix)] = check


def clean_value(model: type[models.Model], name: str, raw: Any) -> Any:
    """``raw`` in the stored form of field ``name`` of ``model``, or :class:`FieldError`."""
    prefix, dot, key = name.partition(".")
    if dot:
        check = _PREFIXES.get((model, prefix)) or _PREFIXES.get((None, prefix))
        if check is None:
            raise FieldError(name, [_("Unknown field.")])
        try:
            return check(model, key, raw)
        except ValidationError as error:
            raise FieldError(name, list(error.messages)) from None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        raise FieldError(name, [_("Unknown field.")]) from None
    value = raw.strip() if isinstance(raw, str) else raw
    normalise = _NORMALISERS.get((model, name))
    if normalise is not None:
        value = normalise(value)
    if field.is_relation or not isinstance(field, models.Field):
        return value
    if field.blank and value in field.empty_values:
        return value  # as Model.full_clean: an optional field left empty is not checked
    try:
        return field.clean(value, None)
    except ValidationError as error:
        raise FieldError(name, list(error.messages)) from None


def clean_values(
    model: type[models.Model], values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Every value of ``values`` cleaned by :func:`clean_value`: (clean values, errors by field).

    A refused value is left out of the clean ones; every refusal is reported, not just the first.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, raw in values.items():
        try:
            cleaned[name] = clean_value(model, name, raw)
        except FieldError as error:
            errors[name] = error.messages
    return cleaned, errors
