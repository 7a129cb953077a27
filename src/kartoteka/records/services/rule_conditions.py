"""What a group rule's condition means: one definition, for a record in memory and in SQL.

A rule tests one field of a client with an operator (equals, contains) against a value an
administrator typed. A record being changed is tested in memory, mid-transaction, before it is
written; existing records are found in SQL (the dry run, "apply to existing clients"). Both come
from :func:`build`, from one table of operators and one of field kinds, so they cannot drift:

- **Texts** (text, choice and link custom fields, built-in text fields like city and industry;
  a date with "contains"): compared as :func:`key` makes them (trimmed, lower case, ё as е), in
  SQL by :func:`kartoteka.records.custom_queries.folded`, its twin; equals is ``=`` and contains
  is ``LIKE`` on both sides of the same folded texts.
- **Lists** (multiple choice): any element, each compared as a text.
- **Vocabularies** (status, owner, tag): the operator is applied in Python to the known values
  (status codes with their labels in every language, people's names and logins, tag names) and
  the database only tests membership in what matched, so both forms share one comparison.
- **Values** (number, amount, yes/no, a date with "equals"): the typed value is read as the
  field's type (1 500,5; 23.11.2026; да) and compared with the stored one; "contains" means
  "equals" for numbers, amounts and yes/no. A value that cannot mean anything for the type
  (letters for a number) matches nothing, and the settings form refuses it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, FloatField, OuterRef, QuerySet, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import translation

from kartoteka.accounts.models import User
from kartoteka.core import kinds
from kartoteka.core.models import Record
from kartoteka.records import custom_queries
from kartoteka.records.models import CustomField, GroupRule, Tag
from kartoteka.records.models.custom_fields import FieldType

CUSTOM = "custom_fields."
TAG = "tag"
OWNER = "owner"
#: custom field types compared as values, for which "contains" means "equals"
EXACT_TYPES = (FieldType.NUMBER, FieldType.MONEY, FieldType.BOOLEAN)
Unmatchable = custom_queries.Unmatchable


def key(value: Any) -> str:
    """A stored text as conditions compare it: ends trimmed of spaces, lower case, ё as е.

    The twin of SQL ``REPLACE(LOWER(TRIM(x)), 'ё', 'е')`` (:func:`custom_queries.folded`):
    TRIM takes off spaces only, and LOWER is Python's own on SQLite (core.db.sqlite).
    """
    return str(value).strip(" ").lower().replace("ё", "е")


@dataclass(frozen=True)
class Operator:
    """One comparison of a folded stored text with the folded value typed, in both forms."""

    test: Callable[[str, str], bool]
    #: the Django lookup doing ``test`` on a folded SQL text
    lookup: str


OPERATORS: dict[str, Operator] = {
    GroupRule.Operator.EQUALS: Operator(lambda text, needle: text == needle, "exact"),
    GroupRule.Operator.CONTAINS: Operator(lambda text, needle: needle in text, "contains"),
}


@dataclass(frozen=True)
class Condition:
    """A rule's condition, ready: :meth:`matches` one record in memory, :meth:`filter` SQL."""

    memory: Callable[[Record, Sequence[str]], bool]
    sql: Callable[[QuerySet[Any]], QuerySet[Any]]

    def matches(self, record: Record, tag_names: Sequence[str]) -> bool:
        """Does ``record``, as it is in memory, with tags named ``tag_names``, match?"""
        return self.memory(record, tag_names)

    def filter(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` narrowed to the records that match, as stored."""
        return self.sql(queryset)


NOTHING = Condition(lambda record, tag_names: False, lambda queryset: queryset.none())


def _stored(code: str) -> Callable[[Record], Any]:
    return lambda record: (getattr(record, "custom_fields", None) or {}).get(code)


def _json_text(code: str) -> Cast:
    # The cast makes the value plain text: a bare key transform compares JSON values.
    return Cast(KeyTextTransform(code, "custom_fields"), TextField())


def _texts(
    read: Callable[[Record], Any], expression: Any, operator: Operator, needle: str
) -> Condition:
    """A text column or custom value; ``None`` (no value) matches nothing, as NULL does."""

    def memory(record: Record, tag_names: Sequence[str]) -> bool:
        stored = read(record)
        return stored is not None and operator.test(key(stored), needle)

    def sql(queryset: QuerySet[Any]) -> QuerySet[Any]:
        folded = custom_queries.folded(expression)
        return queryset.alias(_rule_text=folded).filter(
            **{f"_rule_text__{operator.lookup}": needle}
        )

    return Condition(memory, sql)


def _list(code: str, operator: Operator, needle: str) -> Condition:
    read = _stored(code)

    def memory(record: Record, tag_names: Sequence[str]) -> bool:
        stored = read(record)
        return isinstance(stored, list) and any(operator.test(key(item), needle) for item in stored)

    def sql(queryset: QuerySet[Any]) -> QuerySet[Any]:
        partial = operator.lookup == "contains"
        return custom_queries.array_has(queryset, code, needle, partial=partial)

    return Condition(memory, sql)


def _number(code: str, raw: str) -> Condition:
    number = custom_queries.parse_number(raw)
    read = _stored(code)

    def memory(record: Record, tag_names: Sequence[str]) -> bool:
        stored = read(record)
        if stored is None or isinstance(stored, bool | list | dict):
            return False
        try:
            # Compared as doubles, as the database compares them: amounts are stored as text.
            return float(str(stored)) == number
        except ValueError:
            return False

    def sql(queryset: QuerySet[Any]) -> QuerySet[Any]:
        number_of = Cast(_json_text(code), FloatField())
        return queryset.alias(_rule_number=number_of).filter(_rule_number=number)

    return Condition(memory, sql)


def _date(code: str, raw: str) -> Condition:
    day = custom_queries.parse_date(raw)
    read = _stored(code)

    def memory(record: Record, tag_names: Sequence[str]) -> bool:
        return read(record) == day

    def sql(queryset: QuerySet[Any]) -> QuerySet[Any]:
        # ISO dates are stored as text: the same text is the same day.
        return queryset.alias(_rule_day=_json_text(code)).filter(_rule_day=day)

    return Condition(memory, sql)


def _boolean(code: str, raw: str) -> Condition:
    wanted = custom_queries.parse_boolean(raw)
    read = _stored(code)

    def memory(record: Record, tag_names: Sequence[str]) -> bool:
        stored = read(record)
        return isinstance(stored, bool) and stored is wanted

    def sql(queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(**{f"custom_fields__{code}": wanted})

    return Condition(memory, sql)


def _vocabulary(
    values: Callable[[], Iterable[tuple[Any, Sequence[str]]]], operator: Operator, needle: str
) -> Callable[[], frozenset[Any]]:
    """The known values (each with the texts it goes by) that the operator accepts, read once."""

    @functools.cache
    def accepted() -> frozenset[Any]:
        return frozenset(
            value
            for value, texts in values()
            if any(operator.test(key(text), needle) for text in texts if text)
        )

    return accepted


def _choice_labels(model: type[Record], name: str) -> list[tuple[Any, list[str]]]:
    """Each choice's code with its labels in every language of the site."""
    field = model._meta.get_field(name)
    choices = list(getattr(field, "flatchoices", None) or [])
    labels: dict[Any, list[str]] = {code: [str(code)] for code, _label in choices}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, label in choices:
                labels[code].append(str(label))
    return list(labels.items())


def _people() -> list[tuple[int, list[str]]]:
    rows = User.objects.values_list("pk", "first_name", "last_name", "username")
    return [(pk, [f"{first} {last}".strip(), login]) for pk, first, last, login in rows]


def _by_vocabulary(attname: str, accepted: Callable[[], frozenset[Any]]) -> Condition:
    return Condition(
        lambda record, tag_names: getattr(record, attname) in accepted(),
        lambda queryset: queryset.filter(**{f"{attname}__in": sorted(accepted())}),
    )


def _tags(operator: Operator, needle: str) -> Condition:
    def memory(record: Record, tag_names: Sequence[str]) -> bool:
        return any(operator.test(key(name), needle) for name in tag_names)

    def names() -> Iterable[tuple[str, Sequence[str]]]:
        return ((name, [name]) for name in Tag.objects.values_list("name", flat=True))

    accepted = _vocabulary(names, operator, needle)

    def sql(queryset: QuerySet[Any]) -> QuerySet[Any]:
        m2m = queryset.model._meta.get_field("tags")
        source = m2m.m2m_field_name()  # type: ignore[union-attr]
        links = m2m.remote_field.through.objects.filter(  # type: ignore[union-attr]
            **{source: OuterRef("pk"), "tag__name__in": sorted(accepted())}
        )
        return queryset.filter(Exists(links))

    return Condition(memory, sql)


def base_fields(entity: str) -> tuple[str, ...]:
    """The built-in fields a rule of ``entity`` may test, besides tags and custom fields (the
    kind's field list marks them); nothing for an entity that is not a record kind."""
    kind = kinds.record_kind(entity)
    return kind.names("rule") if kind is not None else ()


def model_of(entity: str) -> type[Record]:
    kind = kinds.record_kind(entity)
    if kind is None:
        raise LookupError(f"{entity!r} is not a registered record kind.")
    return kind.model


def build(
    *,
    entity: str,
    field: str,
    operator: str,
    value: str,
    definitions: Mapping[str, CustomField],
) -> Condition:
    """The condition "``field`` ``operator`` ``value``" on records of ``entity``.

    ``definitions``: the entity's custom fields by code. Raises :class:`Unmatchable` when
    ``value`` cannot mean anything for the field's type; an unknown field matches nothing.
    """
    compare = OPERATORS.get(operator, OPERATORS[GroupRule.Operator.EQUALS])
    needle = key(value)
    if field == TAG:
        return _tags(compare, needle)
    model = model_of(entity)
    if field.startswith(CUSTOM):
        definition = definitions.get(field[len(CUSTOM) :])
        if definition is None:
            return NOTHING
        code, kind = definition.code, definition.type
        if kind in (FieldType.NUMBER, FieldType.MONEY):
            return _number(code, value)
        if kind == FieldType.BOOLEAN:
            return _boolean(code, value)
        if kind == FieldType.DATE and operator != GroupRule.Operator.CONTAINS:
            return _date(code, value)
        if kind == FieldType.MULTIPLE:
            return _list(code, compare, needle)
        return _texts(_stored(code), _json_text(code), compare, needle)
    if field not in base_fields(entity):
        return NOTHING
    if field == OWNER:
        return _by_vocabulary("owner_id", _vocabulary(_people, compare, needle))
    if getattr(model._meta.get_field(field), "choices", None):
        labels = functools.partial(_choice_labels, model, field)
        return _by_vocabulary(field, _vocabulary(labels, compare, needle))
    return _texts(lambda record: getattr(record, field), F(field), compare, needle)


def condition_of(rule: GroupRule, definitions: Mapping[str, CustomField]) -> Condition:
    """:func:`build` for a saved rule; a value meaningless for its field matches nothing."""
    try:
        return build(
            entity=rule.entity,
            field=rule.field,
            operator=rule.operator,
            value=rule.value,
            definitions=definitions,
        )
    except Unmatchable:
        return NOTHING
