"""A group rule's condition means the same in memory (a client being changed) and in SQL (the dry
run, "apply to existing clients"), for every field type and operator, on both databases."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company
from kartoteka.clients.services.companies import company_create
from kartoteka.core.errors import DomainError
from kartoteka.records.models import CustomField, GroupRule, Tag
from kartoteka.records.services import rule_conditions
from kartoteka.records.services.custom_fields import check_value
from kartoteka.records.services.group_rules import group_rule_save, rule_dry_run
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

CHOICES = ["Золото", "серебро", "Ёлка", "ЕЛКА 2", "opt_%"]
SEGMENTS = ["Опт", "Оптовик", "Розница", "ёж", "Ёж Big"]
#: (code, type, choices)
CUSTOM = [
    ("motto", "text", []),
    ("staff", "number", []),
    ("budget", "money", []),
    ("since", "date", []),
    ("level", "choice", CHOICES),
    ("segments", "multiple", SEGMENTS),
    ("vip", "boolean", []),
    ("site", "link", []),
]
BASE_TEXT = ("city", "industry", "region", "source", "legal_form")
TAG_NAMES = ["Поволжье", "поволжье юг", "Ёлки", "VIP", "vip_2", "100%"]
#: pieces of text people type: both cases of ё and е, Latin, spaces (two in a row too), and
#: what LIKE would take for wildcards
PIECES = ["а", "е", "ё", "Е", "Ё", "ж", "Ж", "к", "о", "b", "X", "z", "1", "5", " ", "  ", "%", "_"]
PIECES += ["\\", "-", "Ёлка", "елка", "Опт", "ОПТ"]


def define(actor: User, entity: str = "companies") -> dict[str, CustomField]:
    return {
        code: CustomField.objects.create(
            entity=entity, code=code, label=code, type=kind, choices=choices
        )
        for code, kind, choices in CUSTOM
    }


# --- The black box: a rule as saved, a client as created, the dry run -----------------------
@dataclass(frozen=True)
class Case:
    field: str
    stored: Any  # what the client is created with (through the service)
    operator: str
    value: str
    expected: bool


CASES = [
    # Texts: trimmed, any case, ё as е; runs of spaces inside are kept on both sides.
    Case("city", "Нижний  Новгород", "equals", "нижний новгород", False),
    Case("city", "Нижний  Новгород", "equals", "НИЖНИЙ  НОВГОРОД", True),
    Case("city", "Казань", "contains", "ЗАН", True),
    Case("industry", "Торговля ёлками", "contains", "ЕЛКАМИ", True),
    Case("city", "", "contains", "а", False),
    Case("custom_fields.motto", "Ёлка зелёная", "contains", "елка зел", True),
    Case("custom_fields.motto", "скидка 50%_всё", "contains", "0%_в", True),
    Case("custom_fields.motto", "скидка 50 всё", "contains", "0%", False),
    Case("custom_fields.level", "Ёлка", "equals", "ЕЛКА", True),
    Case("custom_fields.level", "opt_%", "contains", "t_%", True),
    Case("custom_fields.site", "https://пример.рф/Ёж", "contains", "ПРИМЕР.РФ/еж", True),
    # Lists: any element, each as a text; LIKE wildcards are taken literally.
    Case("custom_fields.segments", ["Оптовик"], "equals", "опт", False),
    Case("custom_fields.segments", ["Оптовик"], "contains", "опт", True),
    Case("custom_fields.segments", ["Ёж Big", "Опт"], "equals", "еж big", True),
    Case("custom_fields.segments", ["Опт"], "contains", "%", False),
    # Values: read as the field's type; "contains" means "equals" for numbers and yes/no.
    Case("custom_fields.staff", "1500", "equals", "1 500,0", True),
    Case("custom_fields.staff", "1500", "contains", "50", False),
    Case("custom_fields.budget", "1500", "equals", "1500.00", True),
    Case("custom_fields.since", "01.03.2024", "equals", "2024-03-01", True),
    Case("custom_fields.since", "01.03.2024", "contains", "2024-03", True),
    Case("custom_fields.vip", "да", "equals", "TRUE", True),
    Case("custom_fields.vip", "да", "contains", "e", False),
    Case("custom_fields.vip", "нет", "equals", "да", False),
    # Vocabularies: a status by its code or its label in either language; tags by name.
    Case("status", "former", "equals", "Former client", True),
    Case("status", "former", "contains", "бывш", True),
    Case("status", "client", "contains", "former", False),
    Case("tag", ["Ёлки"], "equals", "ЕЛКИ", True),
    Case("tag", ["100%"], "contains", "0%", True),
    Case("tag", ["Поволжье"], "contains", "%", False),
]


def _create(personas: Personas, case: Case) -> Company:
    values: dict[str, Any] = {"name": "ООО «Проверка»"}
    if case.field == "tag":
        values["tags"] = case.stored
    elif case.field.startswith("custom_fields."):
        values["custom_fields"] = {case.field.split(".", 1)[1]: case.stored}
    else:
        values[case.field] = case.stored
    return company_create(actor=personas.manager_a, values=values)


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.field}-{case.operator}")
def test_a_rule_fires_on_a_new_client_exactly_when_the_dry_run_counts_it(
    personas: Personas, case: Case
) -> None:
    define(personas.admin)
    mark = Tag.objects.create(name="Сработало")
    GroupRule.objects.create(
        name="Проверка",
        entity="companies",
        field=case.field,
        operator=case.operator,
        value=case.value,
        effect="add_tag",
        tag=mark,
    )
    company = _create(personas, case)
    fired = company.tags.filter(pk=mark.pk).exists()
    counted = rule_dry_run(GroupRule.objects.get())["matches"]
    assert (fired, counted) == (case.expected, int(case.expected))


def test_a_rule_on_the_owner_matches_a_name_or_login_in_any_case(personas: Personas) -> None:
    teammate = personas.teammate_a
    rules = {
        value: GroupRule.objects.create(
            name=value,
            entity="companies",
            field="owner",
            operator=operator,
            value=value,
            effect="add_tag",
            tag=Tag.objects.create(name=f"Метка {value}"),
        )
        for value, operator in [
            (teammate.username.upper(), "equals"),
            (teammate.last_name[1:].lower(), "contains"),
            (personas.manager_b.get_full_name(), "equals"),
        ]
    }
    company = company_create(actor=teammate, values={"name": "ООО «Тиммейт»"})
    fired = {tag.name for tag in company.tags.all()}
    for value, rule in rules.items():
        expected = value != personas.manager_b.get_full_name()
        assert (f"Метка {value}" in fired, rule_dry_run(rule)["matches"]) == (expected, expected)


def test_a_list_value_stored_as_a_single_text_is_no_list_on_either_database(
    personas: Personas,
) -> None:
    define(personas.admin)
    CompanyFactory(owner=personas.manager_a, custom_fields={"segments": "Опт"})
    rule = GroupRule.objects.create(
        name="Опт",
        entity="companies",
        field="custom_fields.segments",
        value="опт",
        effect="add_tag",
        tag=Tag.objects.create(name="Опт"),
    )
    assert rule_dry_run(rule)["matches"] == 0


@pytest.mark.parametrize(
    ("field", "operator", "value", "problem"),
    [
        ("custom_fields.staff", "contains", "15", "operator"),
        ("custom_fields.vip", "contains", "да", "operator"),
        ("custom_fields.staff", "equals", "много", "value"),
        ("custom_fields.since", "equals", "вчера", "value"),
        ("custom_fields.vip", "equals", "может быть", "value"),
    ],
)
def test_a_condition_that_could_never_match_as_meant_is_refused(
    personas: Personas, field: str, operator: str, value: str, problem: str
) -> None:
    define(personas.admin)
    with pytest.raises(DomainError) as refused:
        group_rule_save(
            actor=personas.admin,
            rule=None,
            values={
                "entity": "companies",
                "name": "Не сработает",
                "field": field,
                "operator": operator,
                "value": value,
                "effect": "add_tag",
                "tag": "Метка",
            },
        )
    assert set(refused.value.fields) == {problem}
    assert not GroupRule.objects.exists() and not Tag.objects.exists()


# --- The two forms against each other, on values hypothesis makes up ---------------------------
def _texts(max_size: int = 6) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(PIECES), max_size=max_size).map("".join)


def _checked(kind: str, choices: list[str]) -> Callable[[Any], Any]:
    """Raw input → the value the service would store (None: it would store nothing)."""
    field = CustomField(code="x", label="x", type=kind, choices=choices)

    def store(raw: Any) -> Any:
        try:
            return check_value(field, raw)
        except Exception:  # noqa: BLE001 - refused input stores nothing
            return None

    return store


STORED: dict[str, st.SearchStrategy[Any]] = {
    "motto": _texts().map(_checked("text", [])),
    "staff": st.one_of(
        st.integers(-(10**6), 10**6).map(str),
        st.floats(-1e6, 1e6, allow_nan=False, width=32).map(repr),
        st.sampled_from(["1 500,5", "0", "-0", "1e-7", "123456789012345"]),
    ).map(_checked("number", [])),
    "budget": st.decimals(-(10**6), 10**6, places=2, allow_nan=False, allow_infinity=False)
    .map(str)
    .map(_checked("money", [])),
    "since": st.dates(datetime.date(1999, 1, 1), datetime.date(2031, 12, 31)).map(
        datetime.date.isoformat
    ),
    # Choices and lists also as stored before an administrator changed the choices.
    "level": st.sampled_from([*CHOICES, " Золото", "Бронза"]),
    "segments": st.one_of(
        st.lists(st.sampled_from([*SEGMENTS, "опт ", "Дилер"]), max_size=3, unique=True),
        st.sampled_from(["Опт", "", 5]),
    ),
    "vip": st.booleans(),
    "site": st.sampled_from(["https://пример.рф/Ёж", "https://example.ru/a_b%c", "http://x.ru"]),
}
TRANSFORMS: list[Callable[[str], str]] = [
    lambda text: text,
    str.upper,
    str.lower,
    lambda text: text.replace("е", "ё").replace("Е", "Ё"),
    lambda text: text.replace("ё", "е"),
    lambda text: text[1:-1],
    lambda text: text[: len(text) // 2],
    lambda text: f" {text} ",
]
SPECIAL = {
    "staff": ["много", "1e400", "1e-400", "", "NaN", "1 500,5"],
    "budget": ["1500", "1 500,00", "12 руб", "-0"],
    "since": ["23.11.2026", "31.02.2026", "2024", "2024-02-29"],
    "vip": ["да", "Нет", "TRUE", "0", "может быть", "e"],
    "status": ["client", "Client", "клиент", "Former client", "бывший", "КЛИЕНТ ", "x"],
}


@dataclass
class World:
    users: list[User]
    tags: dict[str, Tag]
    definitions: dict[str, CustomField]


@pytest.fixture
def world(personas: Personas) -> World:
    people = [personas.manager_a, personas.teammate_a, personas.manager_b, personas.branch_head_a]
    people[1].first_name, people[1].last_name = "Пётр", "Ёлкин"
    people[1].save(update_fields=["first_name", "last_name"])
    return World(
        users=people,
        tags={name: Tag.objects.create(name=name) for name in TAG_NAMES},
        definitions=define(personas.admin),
    )


def _record(world: World, field: str) -> st.SearchStrategy[dict[str, Any]]:
    # The field under test has a value or none at all (None: the key is left out).
    custom = st.fixed_dictionaries(
        {
            code: st.one_of(st.none(), strategy) if field.endswith(f".{code}") else st.none()
            for code, strategy in STORED.items()
        }
    )
    return st.fixed_dictionaries(
        {
            "custom": custom,
            "texts": st.fixed_dictionaries({name: _texts().map(str.strip) for name in BASE_TEXT}),
            "status": st.sampled_from(["prospect", "client", "former"]),
            "owner": st.sampled_from(world.users),
            "tags": st.lists(st.sampled_from(TAG_NAMES), max_size=3, unique=True),
        }
    )


def _shown(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, bool):
        return ["да" if value else "нет"]
    return [] if value is None else [str(value)]


def _needles(data: st.DataObject, field: str, seen: list[str]) -> list[str]:
    """Values to test ``field`` with: texts seen in the records, transformed, and made up."""
    base = [transform(text) for text in seen for transform in TRANSFORMS]
    special = SPECIAL.get(field.removeprefix("custom_fields."), [])
    # Mostly what the records hold (so that some match), else made-up texts and odd values.
    seen_pool = st.sampled_from(base or [""])
    pool = st.one_of(seen_pool, seen_pool, _texts(3), st.sampled_from(special or ["ё"]))
    return data.draw(st.lists(pool, min_size=1, max_size=4), label=field)


def _fields() -> list[str]:
    return [*BASE_TEXT, "status", "owner", "tag", *(f"custom_fields.{c}" for c, *_ in CUSTOM)]


def _seen(field: str, specs: list[dict[str, Any]], world: World) -> list[str]:
    texts: list[str] = []
    for spec in specs:
        if field == "tag":
            texts += spec["tags"]
        elif field == "owner":
            owner: User = spec["owner"]
            texts += [owner.username, owner.get_full_name()]
        elif field == "status":
            texts.append(spec["status"])
        elif field.startswith("custom_fields."):
            texts += _shown(spec["custom"].get(field.split(".", 1)[1]))
        else:
            texts.append(spec["texts"][field])
    return texts


@pytest.mark.parametrize("field", _fields())
@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_in_memory_and_sql_agree_for_every_field_and_operator(
    world: World, field: str, data: Any
) -> None:
    specs = data.draw(st.lists(_record(world, field), min_size=2, max_size=5), label="records")
    with transaction.atomic(), translation.override("ru"):
        records = Company.objects.bulk_create(
            [
                Company(
                    name=f"ООО «{number}»",
                    owner=spec["owner"],
                    branch=spec["owner"].branch,
                    status=spec["status"],
                    custom_fields={k: v for k, v in spec["custom"].items() if v is not None},
                    **spec["texts"],
                )
                for number, spec in enumerate(specs)
            ]
        )
        links = Company.tags.through
        links.objects.bulk_create(
            [
                links(company_id=record.pk, tag_id=world.tags[name].pk)
                for record, spec in zip(records, specs, strict=True)
                for name in spec["tags"]
            ]
        )
        tag_names = {record.pk: spec["tags"] for record, spec in zip(records, specs, strict=True)}
        queryset = Company.objects.filter(pk__in=[record.pk for record in records])
        for value in _needles(data, field, _seen(field, specs, world)):
            for operator in ("equals", "contains"):
                try:
                    condition = rule_conditions.build(
                        entity="companies",
                        field=field,
                        operator=operator,
                        value=value,
                        definitions=world.definitions,
                    )
                except rule_conditions.Unmatchable:
                    continue  # the settings form refuses it; a saved one matches nothing
                in_memory = {r.pk for r in records if condition.matches(r, tag_names[r.pk])}
                in_sql = set(condition.filter(queryset).values_list("pk", flat=True))
                assert in_memory == in_sql, (operator, value, specs)
        transaction.set_rollback(True)


def test_a_meaningless_value_is_nothing_in_both_forms(world: World) -> None:
    company = CompanyFactory(custom_fields={"staff": 5, "vip": True})
    rule = GroupRule(entity="companies", field="custom_fields.staff", value="много")
    condition = rule_conditions.condition_of(rule, world.definitions)
    assert condition is rule_conditions.NOTHING
    assert not condition.matches(company, [])
    assert not condition.filter(Company.objects.all()).exists()
