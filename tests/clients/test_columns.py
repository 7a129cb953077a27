"""Users choose the list's columns, custom fields included; the choice lives in the URL."""

from __future__ import annotations

from django.test import Client

from kartoteka.records.models import CustomField
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def header(html: str) -> str:
    return html.split("<thead>", 1)[1].split("</thead>", 1)[0]


def test_default_and_chosen_columns(client: Client, personas: Personas) -> None:
    CustomField.objects.create(entity="companies", code="discount", label="Скидка", type="number")
    company = CompanyFactory(owner=personas.admin, name="ООО «Колонки»")
    company.industry = "Логистика"
    company.custom_fields = {"discount": 15}
    company.save()
    client.force_login(personas.admin)
    default = client.get("/companies/").content.decode()
    assert "INN" in header(default) and "Industry" not in header(default)
    chosen = client.get("/companies/?cols=industry&cols=cf_discount&sort=name").content.decode()
    assert (
        "Industry" in header(chosen) and "Скидка" in header(chosen) and "INN" not in header(chosen)
    )
    body = chosen.split("<tbody>", 1)[1]
    assert "Логистика" in body and ">15<" in body
    # Paging and sorting keep the choice.
    assert (
        "cols=industry" in chosen.split('class="columns-chooser"')[0]
        or 'value="industry" checked' in chosen
    )


def test_contact_email_column_costs_no_extra_queries(
    client: Client, personas: Personas, django_assert_max_num_queries: object
) -> None:
    for number in range(30):
        contact = ContactFactory(owner=personas.admin)
        contact.emails.create(address=f"p{number}@example.ru")
    client.force_login(personas.admin)
    client.get("/contacts/?cols=email")
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        page = client.get("/contacts/?cols=email&cols=phone").content.decode()
    assert "p29@example.ru" in page
