"""A record's history and the audit trail read in the reader's language: field names by their
labels, values as people write them (Да/Нет, dd.mm.yyyy, "мобильный", the owner's name), never
stored translated: the same entry reads English to an English reader."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company, Contact
from kartoteka.clients.services.companies import company_create, company_update
from kartoteka.clients.services.contacts import contact_create, contact_update
from kartoteka.core.models import AuditEntry
from kartoteka.records.models import CustomField
from tests.conftest import Personas

#: English labels and values the trail showed before: none may read in a Russian history.
ENGLISH = (
    "Phones",
    "Emails",
    "Phone",
    "Email",
    "mobile",
    "work",
    "spouse",
    "True",
    "False",
    "Owner",
    "Birthday",
    "Status",
    "client",
    "prospect",
    "Custom fields",
    "Related persons",
    "Companies",
    "Messengers",
    "Tags",
    "created",
    "changed",
    "Name",
    "City",
    "Notes",
    "yes",
    "no",
    "None",
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RAW_ID = re.compile(r"#\d+")


def history_of(client: Client, user: User, url: str, language: str) -> str:
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    # The card's timeline tab (the activities app's fragment) holds the history.
    html = client.get(f"{url}timeline/", headers={"HX-Request": "true"}).content.decode()
    start = html.index('class="timeline timeline-items"')
    return html[start : html.index("</ol>", start)]


def english_words(text: str) -> list[str]:
    return [word for word in ENGLISH if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


@pytest.fixture
def custom_fields(db: Any) -> None:
    for entity in ("companies", "contacts"):
        CustomField.objects.create(entity=entity, code="staff", label="Штат", type="number")
        CustomField.objects.create(entity=entity, code="vip", label="Важный клиент", type="boolean")
        CustomField.objects.create(entity=entity, code="met", label="Первая встреча", type="date")
        CustomField.objects.create(
            entity=entity, code="size", label="Размер", type="choice", choices=["малый", "большой"]
        )


def edited_company(personas: Personas) -> Company:
    actor = personas.head
    company = company_create(
        actor=actor,
        values={
            "name": "ООО «Альфа»",
            "status": "prospect",
            "city": "Казань",
            "phones": [{"number": "+74951234567", "kind": "work"}],
            "emails": [{"address": "info@alfa.ru", "kind": "work"}],
            "custom_fields": {"staff": 5, "vip": False, "met": "2026-01-05", "size": "малый"},
        },
    )
    return company_update(
        actor=actor,
        company=company,
        version=company.version,
        values={
            "name": "ООО «Бета»",
            "status": "client",
            "city": "Москва",
            "industry": "Торговля",
            "website": "https://beta.ru",
            "notes": "Перезвонить",
            "owner": personas.manager_a,
            "phones": [{"number": "+79161234567", "kind": "mobile"}],
            "emails": [{"address": "sales@beta.ru", "kind": "personal"}],
            "tags": ["Партнёр"],
            "custom_fields": {"staff": 7, "vip": True, "met": "2026-02-10", "size": "большой"},
        },
    )


def edited_contact(personas: Personas, company: Company) -> Contact:
    actor = personas.head
    contact = contact_create(
        actor=actor,
        values={
            "last_name": "Иванов",
            "first_name": "Иван",
            "birthday": datetime.date(1980, 1, 2),
            "phones": [{"number": "+79161112233", "kind": "mobile"}],
            "custom_fields": {"vip": False},
        },
    )
    return contact_update(
        actor=actor,
        contact=contact,
        version=contact.version,
        values={
            "last_name": "Петров",
            "middle_name": "Ильич",
            "birthday": datetime.date(1981, 3, 4),
            "owner": personas.manager_a,
            "phones": [{"number": "+74951234567", "kind": "work"}],
            "emails": [{"address": "ivan@beta.ru", "kind": "work"}],
            "tags": ["VIP"],
            "messengers": [{"kind": "telegram", "handle": "@ivanov_i"}],
            "related_persons": [
                {"name": "Мария", "relation": "spouse", "birthday": "1982-05-06"},
            ],
            "employments": [{"company": company.pk, "position": "директор"}],
            "custom_fields": {"staff": 3, "vip": True, "met": "2026-03-01", "size": "малый"},
        },
    )


def test_company_history_in_russian_has_no_english_no_iso_dates_no_ids(
    personas: Personas, client: Client, custom_fields: None
) -> None:
    company = edited_company(personas)
    text = history_of(client, personas.head, f"/companies/{company.pk}/", "ru")
    assert english_words(text) == []
    assert not ISO_DATE.search(text) and not RAW_ID.search(text)
    for shown in (
        "Статус: Потенциальный клиент → Клиент",
        "Телефоны: +7 495 123-45-67 (рабочий) → +7 916 123-45-67 (мобильный)",
        "Важный клиент: Нет → Да",
        "Первая встреча: 05.01.2026 → 10.02.2026",
        "Размер: малый → большой",
        "Штат: 5 → 7",
        f"Ответственный: {personas.head.get_full_name()} → {personas.manager_a.get_full_name()}",
    ):
        assert shown in text, shown


def test_the_same_company_entry_reads_english_to_an_english_reader(
    personas: Personas, client: Client, custom_fields: None
) -> None:
    company = edited_company(personas)
    text = history_of(client, personas.head, f"/companies/{company.pk}/", "en")
    for shown in (
        "Status: Prospect → Client",
        "Phones: +7 495 123-45-67 (work) → +7 916 123-45-67 (mobile)",
        "Важный клиент: No → Yes",
        "Первая встреча: 05.01.2026 → 10.02.2026",
    ):
        assert shown in text, shown
    assert "потенциальный" not in text and "мобильный" not in text


def test_contact_history_in_russian_names_everything_in_russian(
    personas: Personas, client: Client, custom_fields: None
) -> None:
    company = edited_company(personas)
    contact = edited_contact(personas, company)
    text = history_of(client, personas.head, f"/contacts/{contact.pk}/", "ru")
    assert english_words(text) == []
    assert not ISO_DATE.search(text) and not RAW_ID.search(text)
    for shown in (
        "День рождения: 02.01.1980 → 04.03.1981",
        "Мария (супруг(а), 06.05.1982)",
        "Telegram @ivanov_i",
        "+7 916 111-22-33 (мобильный) → +7 495 123-45-67 (рабочий)",
        "Важный клиент: Нет → Да",
    ):
        assert shown in text, shown
    english = history_of(client, personas.head, f"/contacts/{contact.pk}/", "en")
    assert "Мария (spouse, 06.05.1982)" in english
    assert "Birthday: 02.01.1980 → 04.03.1981" in english


def test_choices_are_kept_as_codes_not_in_the_writers_language(
    personas: Personas, custom_fields: None
) -> None:
    company = edited_company(personas)
    entry = AuditEntry.objects.filter(object_id=company.pk, action="update").get()
    assert entry.changes["status"] == ["prospect", "client"]


def test_old_entries_with_labels_in_either_language_read_in_the_readers(
    personas: Personas, client: Client
) -> None:
    company = company_create(actor=personas.head, values={"name": "Старая"})
    AuditEntry.objects.create(
        actor=personas.head,
        action="update",
        content_type_id=AuditEntry.objects.get(object_id=company.pk).content_type_id,
        object_id=company.pk,
        object_repr="Старая",
        changes={
            "status": ["потенциальный клиент", "client"],
            "phones": [["+7 495 123-45-67 (work)"], []],
            "owner": [personas.head.pk, 999999],
            "updated_at": ["2026-12-01T09:05:00+00:00", None],
        },
    )
    text = history_of(client, personas.head, f"/companies/{company.pk}/", "ru")
    assert "Статус: Потенциальный клиент → Клиент" in text
    assert "+7 495 123-45-67 (рабочий) → —" in text
    assert f"{personas.head.get_full_name()} → удалённая запись" in text
    assert "01.12.2026 12:05" in text  # Moscow time, 24 h
    english = history_of(client, personas.head, f"/companies/{company.pk}/", "en")
    assert "Status: Prospect → Client" in english
    assert "deleted record" in english


def test_a_merged_records_name_reads_without_its_number(personas: Personas, client: Client) -> None:
    survivor = company_create(actor=personas.head, values={"name": "ООО «Ромашка»"})
    AuditEntry.objects.create(
        actor=personas.head,
        action="update",
        content_type_id=AuditEntry.objects.get(object_id=survivor.pk).content_type_id,
        object_id=survivor.pk,
        object_repr="ООО «Ромашка»",
        changes={
            "merged_with": [
                None,
                {"link": "clients.company", "id": survivor.pk, "text": f"#{survivor.pk} «Ромашка»"},
            ]
        },
    )
    text = history_of(client, personas.head, f"/companies/{survivor.pk}/", "ru")
    assert "Объединено с: — → «Ромашка»" in text
    assert f"#{survivor.pk}" not in text
