"""Saved list views: tabs above the lists, private or shared, each person still scoped."""

from __future__ import annotations

from django.test import Client

from kartoteka.records.models import SavedView
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory


def test_save_a_filtered_list_as_a_private_view(client: Client, personas: Personas) -> None:
    CompanyFactory(owner=personas.manager_a, name="ООО «Клиент»").__class__.objects.filter(
        name="ООО «Клиент»"
    ).update(status="client")
    CompanyFactory(owner=personas.manager_a, name="ООО «Будущий»")
    client.force_login(personas.manager_a)
    response = client.post(
        "/views/new/",
        {"entity": "companies", "name": "Клиенты", "query": "status=client&sort=name&after=xyz"},
    )
    view = SavedView.objects.get(name="Клиенты")
    assert view.query == "status=client&sort=name" and view.owner == personas.manager_a
    assert response["Location"] == f"/companies/?status=client&sort=name&view={view.pk}"
    page = client.get(response["Location"]).content.decode()
    assert "ООО «Клиент»" in page and "ООО «Будущий»" not in page.split("<tbody>")[1]
    assert 'class="view-tab active"' in page
    other = Client()
    other.force_login(personas.teammate_a)
    assert "Клиенты" not in other.get("/companies/").content.decode()


def test_shared_view_shows_for_everyone_but_records_stay_scoped(
    client: Client, personas: Personas
) -> None:
    CompanyFactory(owner=personas.manager_b, name="ООО «Казань-клиент»")
    client.force_login(personas.head)
    client.post(
        "/views/new/",
        {"entity": "companies", "name": "Все клиенты", "query": "sort=name", "is_shared": "on"},
    )
    manager = Client()
    manager.force_login(personas.manager_a)
    view = SavedView.objects.get(name="Все клиенты")
    page = manager.get(f"/companies/?sort=name&view={view.pk}").content.decode()
    assert "Все клиенты" in page and "ООО «Казань-клиент»" not in page
    # Only its author removes it.
    assert manager.post(f"/views/{view.pk}/delete/").status_code == 404
    assert client.post(f"/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.exists()


def test_a_view_needs_a_name(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    client.post("/views/new/", {"entity": "companies", "name": " ", "query": "status=client"})
    assert not SavedView.objects.exists()
