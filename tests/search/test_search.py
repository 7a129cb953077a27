"""The one search box: word forms, ё/е, phones, requisites, tags, custom fields, scoping, trash.

Runs on whichever database the suite runs on (SQLite FTS5 or PostgreSQL full text + pg_trgm);
CI runs both, and every expectation here holds on each.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.clients.models import Company, Contact
from kartoteka.clients.services import common
from kartoteka.clients.services.companies import company_create, company_update
from kartoteka.clients.services.contacts import contact_create, contact_update
from kartoteka.core import search
from kartoteka.core.inn import inn_with_check_digits
from kartoteka.core.trash import trash_restore
from kartoteka.records.models import CustomField
from tests.conftest import Personas

INN = inn_with_check_digits("770708389")


#: the card file's groups; other registered kinds (a test-only one) answer in groups of their own
CARD_FILE = ("companies", "contacts")


def card_file_groups(answer: dict[str, Any]) -> dict[str, Any]:
    """The card file's groups of a search answer; every other group must be empty here."""
    assert not any(hits for group, hits in answer.items() if group not in CARD_FILE)
    return {group: hits for group, hits in answer.items() if group in CARD_FILE}


def names(user: Any, text: str) -> dict[str, list[str]]:
    return card_file_groups(
        {
            group: [hit.title for hit in found.hits]
            for group, found in search.find(user, text).items()
        }
    )


@pytest.fixture
def card_file(personas: Personas) -> dict[str, Any]:
    """A Moscow client company with two people, and a Kazan one the Moscow manager can't see."""
    CustomField.objects.create(entity="companies", code="supplier", label="Supplier", type="text")
    romashka = company_create(
        actor=personas.manager_a,
        values={
            "name": 'ООО "Ромашка"',
            "inn": INN,
            "city": "Тверь",
            "phones": [{"number": "+7 495 111-22-33", "kind": "work"}],
            "emails": [{"address": "info@romashka.ru", "kind": "work"}],
            "tags": ["Оптовик"],
            "custom_fields": {"supplier": "Лесозавод Северный"},
        },
    )
    ivanov = contact_create(
        actor=personas.manager_a,
        values={
            "last_name": "Иванов",
            "first_name": "Пётр",
            "middle_name": "Семёнович",
            "phones": [{"number": "8 (916) 123-45-67", "kind": "mobile"}],
            "emails": [{"address": "p.ivanov@mail.ru", "kind": "work"}],
            "companies": [romashka.pk],
        },
    )
    fedorov = contact_create(
        actor=personas.manager_a, values={"last_name": "Фёдоров", "first_name": "Глеб"}
    )
    kazan = company_create(actor=personas.manager_b, values={"name": "ООО «Ромашка-Казань»"})
    spy = contact_create(
        actor=personas.manager_b,
        values={
            "last_name": "Иванова",
            "first_name": "Алсу",
            "phones": [{"number": "+79161234567", "kind": "mobile"}],
            "companies": [kazan.pk],
        },
    )
    return {"romashka": romashka, "ivanov": ivanov, "fedorov": fedorov, "spy": spy}


@pytest.mark.parametrize("typed", ["Иванову", "Иванова", "иванов", "ИВАНОВЫМ"])
def test_word_forms_and_case_find_the_person(
    typed: str, personas: Personas, card_file: dict[str, Any]
) -> None:
    assert names(personas.manager_a, typed)["contacts"] == ["Иванов Пётр Семёнович"]


@pytest.mark.parametrize("typed", ["ромашке", "Ромашкой", "РОМАШКА", "ромаш", "«Ромашка»"])
def test_company_found_without_legal_form_and_quotes(
    typed: str, personas: Personas, card_file: dict[str, Any]
) -> None:
    assert names(personas.manager_a, typed)["companies"] == ['ООО "Ромашка"']


@pytest.mark.parametrize("typed", ["федоров", "Фёдоров", "ФЕДОРОВА", "Семенович Пётр"])
def test_yo_and_ye_are_the_same_letter(
    typed: str, personas: Personas, card_file: dict[str, Any]
) -> None:
    found = names(personas.manager_a, typed)["contacts"]
    assert found and set(found) <= {"Фёдоров Глеб", "Иванов Пётр Семёнович"}


@pytest.mark.parametrize(
    "typed", ["+7 916 123-45-67", "89161234567", "8 (916) 123 45 67", "9161234567", "4567"]
)
def test_phone_in_any_format_or_its_last_digits(
    typed: str, personas: Personas, card_file: dict[str, Any]
) -> None:
    assert names(personas.manager_a, typed) == {
        "companies": [],
        "contacts": ["Иванов Пётр Семёнович"],
    }


@pytest.mark.parametrize(
    ("typed", "group", "title"),
    [
        (INN, "companies", 'ООО "Ромашка"'),
        ("info@romashka.ru", "companies", 'ООО "Ромашка"'),
        ("P.Ivanov@mail.ru", "contacts", "Иванов Пётр Семёнович"),
        ("оптовик", "companies", 'ООО "Ромашка"'),
        ("лесозавод", "companies", 'ООО "Ромашка"'),
        ("тверь", "companies", 'ООО "Ромашка"'),
        ("495 111", "companies", 'ООО "Ромашка"'),
    ],
)
def test_requisites_tags_custom_fields_and_city(
    typed: str, group: str, title: str, personas: Personas, card_file: dict[str, Any]
) -> None:
    assert names(personas.manager_a, typed)[group] == [title]


def test_company_name_finds_its_people(personas: Personas, card_file: dict[str, Any]) -> None:
    found = names(personas.manager_a, "ромашка")
    assert found == {"companies": ['ООО "Ромашка"'], "contacts": ["Иванов Пётр Семёнович"]}


@pytest.mark.parametrize("typed", [INN, "4951112233", "Пётр Ромашка", "ООО Петр"])
@pytest.mark.parametrize("persona", ["admin", "manager_a"])
def test_a_companys_name_inn_and_phones_find_its_people(
    typed: str, persona: str, personas: Personas, card_file: dict[str, Any], api: Any
) -> None:
    user = getattr(personas, persona)
    assert names(user, typed)["contacts"] == ["Иванов Пётр Семёнович"]
    listed = api(user).get("/api/v1/contacts/", {"q": typed}).json()["results"]
    assert [row["last_name"] for row in listed] == ["Иванов"]


@pytest.mark.parametrize("typed", ["тверь", "оптовик", "лесозавод", "info@romashka", "Пётр Тверь"])
@pytest.mark.parametrize("persona", ["admin", "manager_a"])
def test_a_companys_city_tags_emails_and_fields_do_not_find_its_people(
    typed: str, persona: str, personas: Personas, card_file: dict[str, Any], api: Any
) -> None:
    """A Пётр living in Tver, not any Пётр whose employer is registered there: "Пётр Тверь"."""
    user = getattr(personas, persona)
    assert names(user, typed)["contacts"] == []
    assert api(user).get("/api/v1/contacts/", {"q": typed}).json()["results"] == []
    assert names(user, typed.split()[-1])["companies"] == ['ООО "Ромашка"']


def test_all_words_must_match(personas: Personas, card_file: dict[str, Any]) -> None:
    assert names(personas.manager_a, "Иванов Пётр")["contacts"] == ["Иванов Пётр Семёнович"]
    assert names(personas.manager_a, "Иванов Глеб")["contacts"] == []


def test_exact_phone_inn_email_come_first(personas: Personas) -> None:
    CustomField.objects.create(entity="companies", code="note", label="Note", type="text")
    company_create(
        actor=personas.manager_a,
        values={"name": "АА Сначала по алфавиту", "custom_fields": {"note": f"было {INN}"}},
    )
    company_create(actor=personas.manager_a, values={"name": "ЯЯ Точный ИНН", "inn": INN})
    assert names(personas.manager_a, INN)["companies"] == [
        "ЯЯ Точный ИНН",
        "АА Сначала по алфавиту",
    ]


def test_what_is_typed_ranks_before_other_word_forms(personas: Personas) -> None:
    for last_name in ("Иванов", "Иванников"):  # "иванов" and "иван..." share the stem "иван"
        contact_create(actor=personas.manager_a, values={"last_name": last_name})
    assert names(personas.manager_a, "иванов")["contacts"][0] == "Иванов"


def test_another_branchs_records_never_appear(
    personas: Personas, card_file: dict[str, Any], client: Client, api: Any
) -> None:
    assert names(personas.manager_a, "Казань") == {"companies": [], "contacts": []}
    assert "Иванова Алсу" not in names(personas.manager_a, "79161234567")["contacts"]
    assert names(personas.manager_b, "Ромашка") == {
        "companies": ["ООО «Ромашка-Казань»"],
        "contacts": ["Иванова Алсу"],
    }
    client.force_login(personas.manager_a)
    page = client.get("/search/", {"q": "ромашка"}).content.decode()
    assert "Ромашка-Казань" not in page and "Алсу" not in page and "Ромашка" in page
    listed = client.get("/contacts/", {"q": "иванова"}).content.decode()
    assert "Алсу" not in listed and "Иванов" in listed
    answer = api(personas.manager_a).get("/api/v1/search/", {"q": "ромашка"}).json()
    assert [hit["title"] for hit in answer["companies"]] == ['ООО "Ромашка"']
    assert [hit["title"] for hit in answer["contacts"]] == ["Иванов Пётр Семёнович"]


def test_a_role_without_contacts_finds_no_contacts(
    personas: Personas, card_file: dict[str, Any]
) -> None:
    assert names(personas.outsider, "ромашка") == {"companies": [], "contacts": []}


def test_trash_hides_and_restore_shows_again(personas: Personas, card_file: dict[str, Any]) -> None:
    common.record_trash(actor=personas.manager_a, obj=card_file["romashka"])
    # The company is gone, and so is its name from its people's documents.
    assert names(personas.admin, "ромашке") == {
        "companies": ["ООО «Ромашка-Казань»"],
        "contacts": ["Иванова Алсу"],
    }
    trash_restore(actor=personas.admin, label="clients.company", pk=card_file["romashka"].pk)
    assert names(personas.manager_a, "ромашке") == {
        "companies": ['ООО "Ромашка"'],
        "contacts": ["Иванов Пётр Семёнович"],
    }


def test_index_stays_fresh_after_updates(personas: Personas, card_file: dict[str, Any]) -> None:
    company = card_file["romashka"]
    company_update(
        actor=personas.manager_a,
        company=company,
        version=company.version,
        values={"name": "ООО «Берёзка»"},
    )
    assert names(personas.manager_a, "ромашка")["companies"] == []
    assert names(personas.manager_a, "березке") == {
        "companies": ["ООО «Берёзка»"],
        "contacts": ["Иванов Пётр Семёнович"],  # the person's document quotes the new name
    }
    person = card_file["fedorov"]
    contact_update(
        actor=personas.manager_a,
        contact=person,
        version=person.version,
        values={"phones": [{"number": "+7 903 555-01-02", "kind": "mobile"}]},
    )
    assert names(personas.manager_a, "0102")["contacts"] == ["Фёдоров Глеб"]


def test_lists_and_their_apis_use_the_index(
    personas: Personas, card_file: dict[str, Any], client: Client, api: Any
) -> None:
    client.force_login(personas.manager_a)
    assert "ООО &quot;Ромашка&quot;" in client.get("/companies/", {"q": "ромашке"}).content.decode()
    people = api(personas.manager_a).get("/api/v1/contacts/", {"q": "Иванову"}).json()
    assert [row["last_name"] for row in people["results"]] == ["Иванов"]
    by_phone = api(personas.manager_a).get("/api/v1/contacts/", {"q": "8 916 123 45 67"}).json()
    assert [row["last_name"] for row in by_phone["results"]] == ["Иванов"]


def test_bulk_loads_are_found_after_index_many_or_rebuild(personas: Personas) -> None:
    first = Company.objects.create(name="ЗАО «Массовая загрузка»", **_placed(personas))
    second = Contact.objects.create(last_name="Загрузкин", **_placed(personas))
    assert names(personas.manager_a, "загрузка")["companies"] == []
    search.index_many(Company, [first.pk])
    assert names(personas.manager_a, "загрузка")["companies"] == ["ЗАО «Массовая загрузка»"]
    assert names(personas.manager_a, "загрузкин")["contacts"] == []
    assert not search.is_complete()
    assert card_file_groups(search.rebuild()) == {"companies": 1, "contacts": 1}
    assert search.is_complete()
    assert names(personas.manager_a, "Загрузкину")["contacts"] == [second.last_name]


def test_reindexing_a_company_reads_its_rows_and_phones_once(personas: Personas) -> None:
    """Its document and its link document come from one read, not one each."""
    company = Company.objects.create(name="ООО «Однократно»", **_placed(personas))
    with CaptureQueriesContext(connection) as captured:
        search.index_many(Company, [company.pk], dependents=False)
    reads = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT")]
    for table in ("clients_company", "clients_companyphone"):
        assert sum(f'FROM "{table}"' in sql for sql in reads) == 1, (table, reads)
    assert names(personas.manager_a, "однократно")["companies"] == ["ООО «Однократно»"]


def _placed(personas: Personas) -> dict[str, Any]:
    return {"owner": personas.manager_a, "branch": personas.branch_a}


def test_api_answers_grouped_hits(personas: Personas, card_file: dict[str, Any], api: Any) -> None:
    answer = api(personas.manager_a).get("/api/v1/search/", {"q": "иванову"})
    assert answer.status_code == 200
    person = card_file["ivanov"]
    assert card_file_groups(answer.json()) == {
        "companies": [],
        "contacts": [
            {
                "id": person.pk,
                "type": "contact",
                "title": "Иванов Пётр Семёнович",
                "subtitle": 'ООО "Ромашка" · +7 916 123-45-67',
                "url": f"/contacts/{person.pk}/",
            }
        ],
    }
    assert card_file_groups(api(personas.manager_a).get("/api/v1/search/").json()) == {
        "companies": [],
        "contacts": [],
    }


def test_api_needs_a_signed_in_caller(client: Client, db: Any) -> None:
    assert client.get("/api/v1/search/", {"q": "ромашка"}).status_code in (401, 403)


def test_api_is_in_the_schema(client: Client, db: Any) -> None:
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/search/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"q", "limit"}


def test_search_page_shows_groups_and_teaches_when_empty(
    personas: Personas, card_file: dict[str, Any], client: Client
) -> None:
    client.force_login(personas.manager_a)
    page = client.get("/search/", {"q": "ромашке"}).content.decode()
    assert 'id="search-companies"' in page and f"/companies/{card_file['romashka'].pk}/" in page
    assert f"/contacts/{card_file['ivanov'].pk}/" in page
    nothing = client.get("/search/", {"q": "Несуществующий"}).content.decode()
    assert "Nothing matches" in nothing or "Ничего не найдено" in nothing
