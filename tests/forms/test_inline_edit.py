"""One value edited in place on a card: saved through the write path with the version check,
refused for a stale version without losing the value, refused for a field the user may not
change, audited like an edit on the form."""

from __future__ import annotations

import pytest
from django.test import Client

from kartoteka.clients.models import Company
from kartoteka.core.models import AuditEntry
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_a_city_typed_in_place_is_saved_and_audited(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a, city="Тверь")
    client.force_login(personas.manager_a)
    card = client.get(f"/companies/{company.pk}/").content.decode()
    assert 'data-inline="city"' in card and f'data-version="{company.version}"' in card
    editor = client.get(f"/companies/{company.pk}/field/city/")
    assert editor.status_code == 200 and 'name="city"' in editor.content.decode()
    answer = client.post(
        f"/companies/{company.pk}/field/city/", {"city": " Казань ", "version": company.version}
    )
    assert answer.status_code == 200
    company.refresh_from_db()
    assert company.city == "Казань"
    assert answer.json() == {"version": company.version, "text": "Казань"}
    entry = AuditEntry.objects.filter(object_id=company.pk).latest("pk")
    assert entry.changes["city"] == ["Тверь", "Казань"]


def test_a_stale_version_is_a_conflict_and_the_value_is_kept(
    client: Client, personas: Personas
) -> None:
    company = CompanyFactory(owner=personas.manager_a, city="Тверь")
    stale = company.version
    client.force_login(personas.manager_a)
    first = client.post(
        f"/companies/{company.pk}/field/city/", {"city": "Казань", "version": stale}
    )
    assert first.status_code == 200
    second = client.post(f"/companies/{company.pk}/field/city/", {"city": "Уфа", "version": stale})
    assert second.status_code == 409
    body = second.json()
    assert body["errors"] and body["version"] == first.json()["version"]
    assert Company.objects.get(pk=company.pk).city == "Казань"
    # With the current version given back, a second Enter saves the user's value.
    third = client.post(
        f"/companies/{company.pk}/field/city/", {"city": "Уфа", "version": body["version"]}
    )
    assert third.status_code == 200 and Company.objects.get(pk=company.pk).city == "Уфа"


def test_a_bad_value_is_refused_with_the_forms_own_check(
    client: Client, personas: Personas
) -> None:
    company = CompanyFactory(owner=personas.manager_a, inn="")
    client.force_login(personas.manager_a)
    answer = client.post(
        f"/companies/{company.pk}/field/inn/", {"inn": "1234567890", "version": company.version}
    )
    assert answer.status_code == 422 and answer.json()["errors"]
    assert Company.objects.get(pk=company.pk).inn == ""


def test_fields_the_user_may_not_edit_are_refused(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a, city="Тверь")
    contact = ContactFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)
    # Not a field edited in place, and not a field at all.
    for name in ("notes", "custom_fields", "version"):
        answer = client.post(f"/companies/{company.pk}/field/{name}/", {name: "x", "version": 1})
        assert answer.status_code == 404, name
    # A manager may not reassign: the owner is not offered and a post is refused.
    assert 'data-inline="owner"' not in client.get(f"/contacts/{contact.pk}/").content.decode()
    answer = client.post(
        f"/contacts/{contact.pk}/field/owner/",
        {"owner": personas.teammate_a.pk, "version": contact.version},
    )
    assert answer.status_code == 404
    # Another branch's record: no such record at all.
    client.force_login(personas.manager_b)
    answer = client.post(
        f"/companies/{company.pk}/field/city/", {"city": "Уфа", "version": company.version}
    )
    assert answer.status_code == 404
    assert Company.objects.get(pk=company.pk).city == "Тверь"


def test_an_administrator_reassigns_the_owner_in_place(client: Client, personas: Personas) -> None:
    contact = ContactFactory(owner=personas.manager_a)
    client.force_login(personas.admin)
    assert 'data-inline="owner"' in client.get(f"/contacts/{contact.pk}/").content.decode()
    answer = client.post(
        f"/contacts/{contact.pk}/field/owner/",
        {"owner": personas.manager_b.pk, "version": contact.version},
    )
    assert answer.status_code == 200, answer.content
    contact.refresh_from_db()
    assert contact.owner == personas.manager_b and contact.branch == personas.manager_b.branch
    assert answer.json()["text"] == str(personas.manager_b)
