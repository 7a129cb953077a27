"""Words on the daily screens: the home heading, a new company's phone, buttons as verbs."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from django.test import Client
from django.utils import timezone, translation

from kartoteka.core.dates import day_heading
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

PO = Path(__file__).parents[2] / "src/kartoteka/locale/ru/LC_MESSAGES/django.po"


def test_home_heading_names_the_day_as_each_language_writes_it() -> None:
    tuesday = datetime.date(2026, 12, 1)
    with translation.override("ru"):
        assert day_heading(tuesday) == "вторник, 1 декабря"
    with translation.override("en"):
        assert day_heading(tuesday) == "Tuesday, 1 December"


def test_home_page_shows_my_day_with_today(personas: Personas, client: Client) -> None:
    personas.manager_a.language = "ru"
    personas.manager_a.save(update_fields=["language"])
    client.force_login(personas.manager_a)
    page = client.get("/").content.decode()
    with translation.override("ru"):
        assert f"<h1>Мой день · {day_heading(timezone.localdate())}</h1>" in page


def test_a_new_companys_first_phone_is_work_and_a_contacts_mobile(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.manager_a)
    company_form = client.get("/companies/new/").content.decode()
    contact_form = client.get("/contacts/new/").content.decode()
    selected = re.compile(r'name="phones-0-kind"[^>]*>.*?<option value="(\w+)" selected', re.S)
    assert selected.search(company_form)[1] == "work"  # type: ignore[index]
    assert selected.search(contact_form)[1] == "mobile"  # type: ignore[index]


def russian_of(catalogue: str) -> dict[str, str]:
    """msgid -> msgstr of the catalogue's entries without a context."""
    pairs = {}
    for block in catalogue.split("\n\n"):
        if "\nmsgctxt " in f"\n{block}":
            continue
        found = re.search(r'^msgid "(.+)"\nmsgstr "(.+)"$', block, re.M)
        if found:
            pairs[found[1]] = found[2]
    return pairs


def test_buttons_are_verbs_in_russian() -> None:
    pairs = russian_of(PO.read_text(encoding="utf-8"))
    for button in ("Edit", "Save", "Delete", "Export", "Restore", "Cancel", "Preview"):
        word = pairs[button]
        assert not word.endswith(("ние", "ение", "ция", "мотр", "спорт", "мена")), (
            f"{button}: {word}"
        )


def test_statuses_are_capitalised_on_the_form_and_after_an_inline_edit_too(
    personas: Personas, client: Client
) -> None:
    personas.manager_a.language = "ru"
    personas.manager_a.save(update_fields=["language"])
    client.force_login(personas.manager_a)
    html = client.get("/companies/new/").content.decode()
    assert ">Потенциальный клиент</option>" in html and ">Бывший клиент</option>" in html
    assert ">потенциальный клиент<" not in html
    company = CompanyFactory(owner=personas.manager_a, status="prospect")
    answer = client.post(
        f"/companies/{company.pk}/field/status/", {"status": "client", "version": company.version}
    )
    assert answer.status_code == 200, answer.content.decode()[:500]
    assert answer.json()["text"] == "Клиент"
