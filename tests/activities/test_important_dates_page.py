"""Settings › Important dates: administrators edit the days and the emails; others cannot."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kartoteka.activities.models import ImportantDateSettings
from kartoteka.activities.services.important_dates import effective_texts, get_settings
from kartoteka.core.models import AuditEntry
from tests.conftest import Personas

URL = "/settings/important-dates/"


def _form(**changes: Any) -> dict[str, Any]:
    texts = effective_texts(get_settings())
    return {"days_ahead": 2, "email_language": "ru", **texts, **changes}


def test_the_page_shows_the_builtin_texts_and_a_preview(personas: Personas, login: Any) -> None:
    personas.admin.language = "ru"
    personas.admin.save(update_fields=["language"])
    page = login(personas.admin).get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Важные даты" in text
    assert "{{ client.first_name }}" in text  # the placeholder list and the editable text
    assert "Павел Петрович, здравствуйте!" in text  # the preview, rendered


def test_an_administrator_saves_days_and_a_template(personas: Personas, login: Any) -> None:
    body = "{{ client.first_name }}, {{ person.name }}: {{ date }}"
    response = login(personas.admin).post(URL, _form(days_ahead=5, email_body=body))
    assert response.status_code == 302
    config = ImportantDateSettings.objects.get()
    assert (config.days_ahead, config.email_body, config.email_subject) == (5, body, "")
    assert AuditEntry.objects.filter(object_repr__in=["Important dates", "Важные даты"]).exists()


def test_a_template_reaching_out_is_refused_beside_the_field(
    personas: Personas, login: Any
) -> None:
    response = login(personas.admin).post(URL, _form(email_body="{% debug %}"))
    assert response.status_code == 422
    assert "email_body-error" in response.content.decode()
    assert not ImportantDateSettings.objects.exists()


def test_the_builtin_texts_come_back(personas: Personas, login: Any) -> None:
    client = login(personas.admin)
    client.post(URL, _form(email_body="{{ client.first_name }}!"))
    client.post(URL, {**_form(email_body="{{ client.first_name }}!"), "reset": "1"})
    assert ImportantDateSettings.objects.get().email_body == ""


@pytest.mark.parametrize("who", ["manager_a", "head", "outsider"])
def test_people_without_settings_rights_do_not_see_it(
    personas: Personas, client: Client, who: str
) -> None:
    client.force_login(getattr(personas, who))
    assert client.get(URL).status_code == 404
    assert client.post(URL, _form(days_ahead=9)).status_code == 404
    assert not ImportantDateSettings.objects.exists()


def test_the_auditor_reads_but_cannot_save(personas: Personas, client: Client) -> None:
    client.force_login(personas.auditor)
    page = client.get(URL)
    assert page.status_code == 200 and "disabled" in page.content.decode()
    assert client.post(URL, _form(days_ahead=9)).status_code == 404
    assert not ImportantDateSettings.objects.exists()


def test_the_change_reads_in_the_audit_trail(personas: Personas, login: Any) -> None:
    client = login(personas.admin)
    client.post(URL, _form(days_ahead=4))
    page = client.get("/settings/audit/")
    assert page.status_code == 200
    assert "days ahead" in page.content.decode().lower() or "за сколько дней" in (
        page.content.decode().lower()
    )
