"""CSV export of the company and contact lists: content, Excel format, escaping, scope, audit."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.clients.models import ContactEmail
from kartoteka.core.models import AuditEntry
from kartoteka.records.models import Tag
from kartoteka.records.services.custom_fields import custom_field_save
from kartoteka.records.sharing import share_create
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def body_of(response: Any) -> bytes:
    assert response.streaming, "an export is streamed, not built in memory"
    return b"".join(response.streaming_content)


def rows_of(response: Any) -> list[dict[str, str]]:
    raw = body_of(response)
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM, so Excel reads Cyrillic"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def define(personas: Personas, code: str, type: str, label: str, **extra: Any) -> None:
    custom_field_save(
        actor=personas.admin,
        field=None,
        entity=extra.pop("entity", "companies"),
        code=code,
        label=label,
        type=type,
        choices=extra.pop("choices", []),
    )


def test_company_export_has_every_field_in_excel_format(personas: Personas, client: Client) -> None:
    define(personas, "since", "date", "Клиент с")
    define(personas, "limit", "money", "Кредитный лимит")
    define(personas, "vip", "boolean", "VIP")
    define(personas, "channels", "multiple", "Каналы", choices=["Опт", "Розница"])
    define(personas, "balance", "number", "Сальдо")
    company = CompanyFactory(
        owner=personas.manager_a,
        name="ООО «Ромашка»",
        inn="7707083893",
        city="Казань",
        status="client",
        phone="+79161234567",
        custom_fields={
            "since": "2024-03-01",
            "limit": "1500.50",
            "vip": True,
            "channels": ["Опт", "Розница"],
            "balance": -5,
        },
    )
    company.emails.create(address="info@romashka.ru")
    company.tags.add(Tag.objects.create(name="VIP"), Tag.objects.create(name="Поволжье"))
    client.force_login(personas.admin)
    response = client.get("/companies/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="companies-')
    raw = body_of(response).decode("utf-8-sig")
    assert raw.splitlines()[0].startswith("ID;Name;Legal form;INN")
    [row] = list(csv.DictReader(io.StringIO(raw), delimiter=";"))
    today = datetime.date.today().strftime("%d.%m.%Y")  # noqa: DTZ011
    assert row["Name"] == "ООО «Ромашка»" and row["INN"] == "7707083893"
    assert row["Status"] == "client" and row["City"] == "Казань"
    assert row["Phones"] == "+7 916 123-45-67"  # a phone is no formula: no apostrophe
    assert row["Emails"] == "info@romashka.ru"
    assert row["Tags"] == "VIP, Поволжье"
    assert row["Owner"] == str(personas.manager_a) and row["Branch"] == "Москва"
    assert row["Added"] == today
    assert row["Клиент с"] == "01.03.2024"
    assert row["Кредитный лимит"] == "1500,50"
    assert row["VIP"] == "yes"
    assert row["Каналы"] == "Опт, Розница"
    assert row["Сальдо"] == "-5"


def test_export_is_exactly_the_filtered_list(personas: Personas, client: Client) -> None:
    define(personas, "level", "choice", "Уровень", choices=["Золото", "Серебро"])
    CompanyFactory(
        owner=personas.admin, name="Казань-золото", city="Казань", custom_fields={"level": "Золото"}
    )
    CompanyFactory(
        owner=personas.admin,
        name="Казань-серебро",
        city="Казань",
        custom_fields={"level": "Серебро"},
    )
    CompanyFactory(
        owner=personas.admin, name="Москва-золото", city="Москва", custom_fields={"level": "Золото"}
    )
    client.force_login(personas.admin)
    page = client.get("/companies/", {"city": "казань", "cf_level": "Золото"}).content.decode()
    assert (
        'href="/companies/export/?city=%D0%BA%D0%B0%D0%B7%D0%B0%D0%BD%D1%8C&amp;cf_level=' in page
    )
    response = client.get("/companies/export/", {"city": "казань", "cf_level": "Золото"})
    assert [row["Name"] for row in rows_of(response)] == ["Казань-золото"]
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor == personas.admin
    assert entry.changes["entity"] == [None, "companies"]
    assert entry.changes["rows"] == [None, 1]
    assert "cf_level=" in entry.changes["filter"][1] and "city=" in entry.changes["filter"][1]


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+7 и партнёры", "'+7 и партнёры"),
        ("+7 (495) 123-45-67", "+7 (495) 123-45-67"),
        ("+7 (495) 123-45-67, +7 916 123-45-67", "+7 (495) 123-45-67, +7 916 123-45-67"),
        ("+1+2", "'+1+2"),
        ("+7 (495) 123-45-67;SUM(A1)", "'+7 (495) 123-45-67;SUM(A1)"),
        ("-1-2", "'-1-2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("ООО «Обычная»", "ООО «Обычная»"),
    ],
)
def test_formula_cells_are_escaped(
    name: str, cell: str, personas: Personas, client: Client
) -> None:
    CompanyFactory(owner=personas.admin, name=name, phone="")
    client.force_login(personas.admin)
    [row] = rows_of(client.get("/companies/export/"))
    assert row["Name"] == cell and row["Phones"] == ""


def test_contact_export_lists_companies_emails_and_dates(
    personas: Personas, client: Client
) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Вектор»")
    contact = ContactFactory(
        owner=personas.manager_a,
        last_name="Петров",
        first_name="Пётр",
        birthday=datetime.date(1980, 5, 9),
        company=company,
        company__position="директор",
        phone="+79031234567",
    )
    ContactEmail.objects.create(contact=contact, address="petrov@vector.ru")
    client.force_login(personas.manager_a)
    [row] = rows_of(client.get("/contacts/export/"))
    assert row["Last name"] == "Петров" and row["First name"] == "Пётр"
    assert row["Birthday"] == "09.05.1980"
    assert row["Companies"] == "ООО «Вектор», директор"
    assert row["Phones"] == "+7 903 123-45-67" and row["Emails"] == "petrov@vector.ru"


# --- Scope ---------------------------------------------------------------------------------------
@pytest.fixture
def clients_everywhere(personas: Personas) -> None:
    CompanyFactory(owner=personas.manager_a, name="Моя")
    CompanyFactory(owner=personas.teammate_a, name="Коллеги")
    shared = CompanyFactory(owner=personas.manager_b, name="Казанская общая")
    CompanyFactory(owner=personas.manager_b, name="Казанская")
    share_create(actor=personas.head, obj=shared, user=personas.manager_a)


def test_manager_exports_only_their_own(
    clients_everywhere: None, personas: Personas, client: Client, api: Any
) -> None:
    client.force_login(personas.manager_a)
    listed = {c.name for c in client.get("/companies/").context["page"].rows}
    assert listed == {"Моя", "Казанская общая"}
    # Shared records are there to view and edit, not to take away in a file.
    assert [row["Name"] for row in rows_of(client.get("/companies/export/"))] == ["Моя"]
    api_rows = rows_of(
        api(personas.manager_a).get("/api/v1/companies/export/", HTTP_ACCEPT_LANGUAGE="en")
    )
    assert [row["Name"] for row in api_rows] == ["Моя"]


def test_marketer_exports_everything(
    clients_everywhere: None, personas: Personas, client: Client
) -> None:
    client.force_login(personas.marketer)
    assert 'id="export-csv"' in client.get("/companies/").content.decode()
    names = {row["Name"] for row in rows_of(client.get("/companies/export/"))}
    assert names == {"Моя", "Коллеги", "Казанская общая", "Казанская"}


def test_a_role_without_export_gets_403_and_no_button(
    clients_everywhere: None, personas: Personas, client: Client, api: Any
) -> None:
    client.force_login(personas.auditor)
    page = client.get("/companies/")
    assert page.status_code == 200 and 'id="export-csv"' not in page.content.decode()
    assert client.get("/companies/export/").status_code == 403
    assert client.get("/contacts/export/").status_code == 403
    response = api(personas.auditor).get("/api/v1/companies/export/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not AuditEntry.objects.filter(action="export").exists()


def test_api_export_takes_the_list_filters(personas: Personas, api: Any) -> None:
    CompanyFactory(owner=personas.admin, name="Казанская", city="Казань")
    CompanyFactory(owner=personas.admin, name="Московская", city="Москва")
    response = api(personas.admin).get(
        "/api/v1/companies/export/?city=Казань", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert [row["Name"] for row in rows_of(response)] == ["Казанская"]
    as_csv = api(personas.admin).get("/api/v1/contacts/export/", HTTP_ACCEPT="text/csv")
    assert as_csv.status_code == 200 and rows_of(as_csv) == []


# --- Size ----------------------------------------------------------------------------------------
def exported_queries(client: Client, url: str) -> tuple[int, int]:
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        rows = len(rows_of(response))
    return len(captured.captured_queries), rows


@pytest.mark.parametrize("url", ["/companies/export/", "/contacts/export/"])
def test_export_queries_do_not_grow_with_rows(url: str, personas: Personas, client: Client) -> None:
    define(personas, "level", "text", "Уровень")
    client.force_login(personas.admin)

    def grow(count: int) -> None:
        tag = Tag.objects.get_or_create(name="Тег")[0]
        for company in CompanyFactory.create_batch(count, owner=personas.admin):
            company.tags.add(tag)
            ContactFactory(owner=personas.admin, company=company).tags.add(tag)

    grow(10)
    small, small_rows = exported_queries(client, url)
    grow(190)
    large, large_rows = exported_queries(client, url)
    assert (small_rows, large_rows) == (10, 200)
    assert large == small, f"{url}: {small} queries at 10 rows, {large} at 200"
