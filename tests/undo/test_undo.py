"""Single acts undone from their toast: a delete, an unshare, a saved view's removal."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from kartoteka.clients.models import Company
from kartoteka.core.models import AuditEntry, RecordShare
from kartoteka.records.models import SavedView
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory


@pytest.fixture(autouse=True)
def russian(personas: Personas) -> None:
    """These people work in Russian, as the toast's wording is what is tested."""
    from kartoteka.accounts.models import User

    User.objects.update(language="ru")


def _undo_form(html: str) -> str:
    """The action of the toast's "Отменить" form (fails if the page shows no such toast)."""
    found = re.search(r'<form method="post" action="(/undo/[^"]+/)"', html)
    assert found, "no undo toast on the page"
    assert "Отменить" in html
    return found.group(1)


def test_delete_shows_undo_toast_and_undo_restores(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Отмена»")
    client.force_login(personas.manager_a)
    page = client.post(f"/companies/{company.pk}/delete/", follow=True).content.decode()
    assert "в корзину" in page
    action = _undo_form(page)
    answer = client.post(action)
    assert answer.status_code == 302 and answer["Location"] == f"/companies/{company.pk}/"
    company.refresh_from_db()
    assert company.deleted_at is None
    actions = list(
        AuditEntry.objects.filter(object_id=company.pk, content_type__model="company")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["delete", "restore"]
    # A second click finds nothing to undo and changes nothing.
    again = client.post(action, follow=True).content.decode()
    assert "Отменять больше нечего" in again
    assert AuditEntry.objects.filter(object_id=company.pk, action="restore").count() == 1


def test_undo_is_only_for_the_one_who_acted(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)
    action = _undo_form(
        client.post(f"/companies/{company.pk}/delete/", follow=True).content.decode()
    )
    other = Client()
    other.force_login(personas.head)
    other.post(action)
    assert Company.all_objects.get(pk=company.pk).deleted_at is not None


def test_undo_refuses_when_the_record_changed_since(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Изменчивая»")
    client.force_login(personas.manager_a)
    action = _undo_form(
        client.post(f"/companies/{company.pk}/delete/", follow=True).content.decode()
    )
    # Restored from the trash and deleted again by someone else meanwhile: a newer version.
    admin = Client()
    admin.force_login(personas.admin)
    admin.post(f"/settings/trash/clients.company/{company.pk}/restore/")
    admin.post(f"/companies/{company.pk}/delete/")
    page = client.post(action, follow=True).content.decode()
    assert "изменена после удаления" in page
    assert Company.all_objects.get(pk=company.pk).deleted_at is not None


def test_unshare_undo_puts_the_share_back(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    share = RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Company),
        object_id=company.pk,
        user=personas.head,
        until="2099-01-01",
        created_by=personas.manager_a,
    )
    client.force_login(personas.manager_a)
    page = client.post(
        f"/companies/{company.pk}/share/{share.pk}/remove/", follow=True
    ).content.decode()
    assert not RecordShare.objects.filter(object_id=company.pk).exists()
    client.post(_undo_form(page))
    back = RecordShare.objects.get(object_id=company.pk)
    assert (back.user, str(back.until), back.created_by) == (
        personas.head,
        "2099-01-01",
        personas.manager_a,
    )
    assert AuditEntry.objects.filter(object_id=company.pk, action="share").exists()


def test_saved_view_delete_undo_restores_the_view(client: Client, personas: Personas) -> None:
    view = SavedView.objects.create(
        name="Москва", entity="companies", owner=personas.manager_a, query="city=Москва"
    )
    client.force_login(personas.manager_a)
    page = client.post(f"/views/{view.pk}/delete/", follow=True).content.decode()
    assert not SavedView.objects.filter(pk=view.pk).exists()
    answer = client.post(_undo_form(page))
    restored = SavedView.objects.get(pk=view.pk)
    assert (restored.name, restored.query, restored.owner) == (
        "Москва",
        "city=Москва",
        personas.manager_a,
    )
    assert answer["Location"].endswith(f"view={view.pk}")


def test_sharing_panel_one_control_and_an_error_keeps_the_choice(
    client: Client, personas: Personas
) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.head)  # sees every user, team and branch
    page = client.get(f"/companies/{company.pk}/", {"tab": "sharing"}).content.decode()
    form = page.split(f'action="/companies/{company.pk}/share/"', 1)[1].split("</form>", 1)[0]
    assert "Доступ никому не открыт" in page
    assert form.count("<select") == 1 and "data-picker" in form
    assert '<optgroup label="Пользователи">' in form and '<optgroup label="Команды">' in form
    assert '<optgroup label="Филиалы">' in form and "Открыть доступ" in form
    # A date in the past: the card again (422), the error beside the date, the choice kept.
    chosen = f"team:{personas.team_a.pk}"
    answer = client.post(
        f"/companies/{company.pk}/share/", {"target": chosen, "until": "2001-01-01"}
    )
    html = answer.content.decode()
    assert answer.status_code == 422
    assert f'<option value="{chosen}" selected>' in html
    assert 'id="id_until-error"' in html and 'value="2001-01-01"' in html
    assert not RecordShare.objects.filter(object_id=company.pk).exists()
    # Nothing chosen: said beside the select.
    html = client.post(f"/companies/{company.pk}/share/", {"target": ""}).content.decode()
    assert 'id="id_target-error"' in html
    answer = client.post(f"/companies/{company.pk}/share/", {"target": chosen})
    assert answer.status_code == 302
    page = client.get(f"/companies/{company.pk}/", {"tab": "sharing"}).content.decode()
    assert "Доступ открыт" in page and "Продажи Москва" in page
