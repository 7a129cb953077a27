"""Conditions on custom field values (stored as JSON), built to behave the same on both databases.

List filters (``cf_<code>``, ``cf_<code>__from``/``__to``) and group rules use these, so a rule's
dry-run count and a filtered list agree with each other on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    F,
    FloatField,
    OuterRef,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Lower, Replace, Trim

from kartoteka.core.text import fold
from kartoteka.records.models import CustomField, Tag
from kartoteka.records.models.custom_fields import FieldType

TRUE_WORDS = frozenset({"1", "true", "yes", "on", "да"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "нет"})
RANGED_TYPES = (FieldType.NUMBER, FieldType.MONEY, FieldType.DATE)


class Unmatchable(ValueError):
    """The value cannot be compared with this field (e.g. letters for a number): nothing matches."""


def parse_number(raw: Any) -> float:
    text = str(raw).replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise Unmatchable(text) from None
    if not number.is_finite():
        raise Unmatchable(text)
    return float(number)


def parse_date(raw: Any) -> str:
    """A date typed as 23.11.2026 or 2026-11-23, as the ISO text values are stored in."""
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    text = str(raw).strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date().isoformat()  # noqa: DTZ007
        except ValueError:
            continue
    raise Unmatchable(text)


def parse_boolean(raw: Any) -> bool:
    text = fold(str(raw))
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise Unmatchable(text)


def folded(expression: Any) -> Any:
    """LOWER with ё→е, as :func:`kartoteka.core.text.fold` does in Python."""
    return Replace(Lower(Trim(expression)), Value("ё"), Value("е"), output_field=TextField())


def _text(code: str) -> Cast:
    # The cast makes the value plain text: lookups on a bare key transform compare JSON values.
    return Cast(KeyTextTransform(code, "custom_fields"), TextField())


def like_pattern(needle: str) -> str:
    """``needle`` anywhere, as a LIKE pattern with its own % _ and \\ taken literally."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def array_has(queryset: QuerySet[Any], code: str, needle: str, *, partial: bool) -> QuerySet[Any]:
    """Records whose list value (multiple choice) has an element equal to / containing ``needle``.

    Elements are compared folded as :func:`folded` folds (trimmed, lower case, ё as е), so
    ``needle`` must come folded too. JSON containment (``@>``) exists only on PostgreSQL, and a
    substring search over the JSON text would match "Опт" inside "Оптовик"; so the elements are
    unnested on each database. A value that is not a list has no elements on either.
    """
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    element = "REPLACE(LOWER(TRIM({})), 'ё', 'е')"
    operator, param = ("LIKE %s ESCAPE '\\'", like_pattern(needle)) if partial else ("= %s", needle)
    # The table name comes from the model and the operator from the two above; values are bound.
    if connection.vendor == "postgresql":
        sql = (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements_text("  # noqa: S608
            f"CASE WHEN jsonb_typeof({table}.custom_fields -> %s::text) = 'array' "
            f"THEN {table}.custom_fields -> %s::text ELSE '[]'::jsonb END) AS element "
            f"WHERE {element.format('element')} {operator})"
        )
        params: tuple[Any, ...] = (code, code, param)
    else:
        path = f'$."{code}"'
        sql = (
            f"EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type({table}.custom_fields, %s) "  # noqa: S608
            f"= 'array' THEN json_extract({table}.custom_fields, %s) ELSE '[]' END) AS element "
            f"WHERE {element.format('element.value')} {operator})"
        )
        params = (path, path, param)
    return queryset.filter(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611


def where_custom(
    queryset: QuerySet[Any], field: CustomField, operator: str, raw: Any
) -> QuerySet[Any]:
    """``queryset`` narrowed by one condition on ``field``.

    Operators: ``equals``, ``contains``, ``from`` and ``to`` (inclusive range ends). Raises
    :class:`Unmatchable` when the value cannot mean anything for this type.
    """
    code, kind = field.code, field.type
    alias = f"_cf_{code}"
    if kind == FieldType.MULTIPLE:
        return array_has(queryset, code, fold(str(raw)), partial=operator == "contains")
    if kind == FieldType.BOOLEAN:
        return queryset.filter(**{f"custom_fields__{code}": parse_boolean(raw)})
    if kind in (FieldType.NUMBER, FieldType.MONEY) and operator != "contains":
        number = parse_number(raw)
        lookup = {"from": "gte", "to": "lte"}.get(operator, "exact")
        # Money is stored as text ("1500.00") and numbers as JSON numbers: compare as numbers.
        queryset = queryset.alias(**{alias: Cast(_text(code), FloatField())})
        return queryset.filter(**{f"{alias}__{lookup}": number})
    if kind == FieldType.DATE and operator != "contains":
        day = parse_date(raw)
        lookup = {"from": "gte", "to": "lte"}.get(operator, "exact")
        # ISO dates are fixed-width text, so text order is date order.
        queryset = queryset.alias(**{alias: _text(code)})
        return queryset.filter(**{f"{alias}__{lookup}": day})
    if operator in ("from", "to"):
        raise Unmatchable(str(raw))
    queryset = queryset.alias(**{alias: folded(_text(code))})
    if operator == "contains":
        return queryset.filter(**{f"{alias}__contains": fold(str(raw))})
    return queryset.filter(**{alias: fold(str(raw))})


def where_base(
    queryset: QuerySet[Any], name: str, operator: str, raw: str, choices: dict[str, str]
) -> QuerySet[Any]:
    """A condition on an ordinary text field (or a choice field, by code or by label)."""
    needle = fold(raw)
    if choices:
        codes = [
            code
            for code, label in choices.items()
            if (needle in (fold(code), fold(label)))
            or (operator == "contains" and (needle in fold(code) or needle in fold(label)))
        ]
        return queryset.filter(**{f"{name}__in": codes})
    if operator == "contains":
        return queryset.filter(**{f"{name}__folded": raw})
    return queryset.alias(**{f"_f_{name}": folded(F(name))}).filter(**{f"_f_{name}": needle})


def where_tag(queryset: QuerySet[Any], operator: str, raw: str) -> QuerySet[Any]:
    # The tags' side of the record's many-to-many ("companies" for Company.tags).
    related = queryset.model._meta.get_field("tags").related_query_name()  # type: ignore[union-attr]
    tags = Tag.objects.filter(**{related: OuterRef("pk")})
    if operator == "contains":
        tags = tags.filter(name__folded=raw)
    else:
        tags = tags.alias(_folded=folded(F("name"))).filter(_folded=fold(raw))
    return queryset.filter(Exists(tags))


def custom_params(params: Any) -> dict[tuple[str, str], Any]:
    """``{(code, operator): value}`` from ``cf_<code>``, ``cf_<code>__from``, ``cf_<code>__to``."""
    wanted: dict[tuple[str, str], Any] = {}
    for key in params:
        if not key.startswith("cf_"):
            continue
        value = params.get(key)
        if value in ("", None):
            continue
        code, _sep, suffix = key[3:].partition("__")
        wanted[(code, suffix if suffix in ("from", "to") else "")] = value
    return wanted


def filter_by_custom(queryset: QuerySet[Any], entity: str, params: Any) -> QuerySet[Any]:
    """The list filters on custom fields: equality (text: contains) and ranges."""
    wanted = custom_params(params)
    if not wanted:
        return queryset
    codes = {code for code, _operator in wanted}
    for field in CustomField.objects.filter(entity=entity, code__in=codes):
        for (code, operator), value in wanted.items():
            if code != field.code:
                continue
            if not operator:
                text_like = field.type in (FieldType.TEXT, FieldType.LINK)
                operator = "contains" if text_like else "equals"
            elif field.type not in RANGED_TYPES:
                return queryset.none()
            if "\x00" in str(value):
                # No stored value holds NUL, and PostgreSQL refuses it in a query (a 500).
                return queryset.none()
            try:
                queryset = where_custom(queryset, field, operator, value)
            except Unmatchable:
                return queryset.none()
    return queryset
