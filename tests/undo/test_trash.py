"""Everyone's own trash: the records they deleted or own; administrators see all."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kartoteka.clients.models import Company
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory


def _trashed(name: str, owner: object, by: object) -> Company:
    company = CompanyFactory(owner=owner, name=name)
    Company.all_objects.filter(pk=company.pk).update(deleted_at=timezone.now(), deleted_by=by)
    return company


def test_manager_sees_and_restores_own_trash_only(client: Client, personas: Personas) -> None:
    mine = _trashed("ООО «Моя удалённая»", personas.manager_a, personas.manager_a)
    by_head = _trashed("ООО «Удалил начальник»", personas.manager_a, personas.head)
    teammates = _trashed("ООО «Чужая удалённая»", personas.teammate_a, personas.teammate_a)
    kazan = _trashed("ООО «Казанская удалённая»", personas.manager_b, personas.manager_b)
    client.force_login(personas.manager_a)
    page = client.get("/settings/trash/").content.decode()
    assert "ООО «Моя удалённая»" in page and "ООО «Удалил начальник»" in page
    assert "ООО «Чужая удалённая»" not in page and "ООО «Казанская удалённая»" not in page
    assert client.post(f"/settings/trash/clients.company/{mine.pk}/restore/").status_code == 302
    assert Company.objects.filter(pk=mine.pk).exists()
    # Their own, deleted by their head: theirs to bring back too (they may delete their own).
    assert client.post(f"/settings/trash/clients.company/{by_head.pk}/restore/").status_code == 302
    for other in (teammates, kazan):
        answer = client.post(f"/settings/trash/clients.company/{other.pk}/restore/")
        assert answer.status_code == 404
        assert Company.all_objects.get(pk=other.pk).deleted_at is not None


def test_the_settings_menu_offers_the_trash_to_a_manager(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.manager_a)
    assert 'href="/settings/trash/"' in client.get("/settings/").content.decode()
    assert 'href="/settings/"' in client.get("/companies/").content.decode()


def test_admin_sees_everyones_trash(client: Client, personas: Personas) -> None:
    _trashed("ООО «Моя удалённая»", personas.manager_a, personas.manager_a)
    _trashed("ООО «Казанская удалённая»", personas.manager_b, personas.manager_b)
    client.force_login(personas.admin)
    page = client.get("/settings/trash/").content.decode()
    assert "ООО «Моя удалённая»" in page and "ООО «Казанская удалённая»" in page


def test_a_role_without_records_has_no_trash(client: Client, personas: Personas) -> None:
    client.force_login(personas.outsider)
    assert client.get("/settings/trash/").status_code == 404


def test_a_marketers_trash_holds_only_their_own_tasks(client: Client, personas: Personas) -> None:
    # Marketers keep their own tasks and meetings, so they get a trash for those; the clients
    # others deleted stay out of it.
    from kartoteka.activities.services.tasks import task_create, task_trash

    _trashed("ООО «Чужая удалённая»", personas.manager_a, personas.manager_a)
    task = task_create(actor=personas.marketer, values={"title": "Разослать письма"})
    task_trash(actor=personas.marketer, task=task)
    client.force_login(personas.marketer)
    page = client.get("/settings/trash/").content.decode()
    assert "Разослать письма" in page
    assert "ООО «Чужая удалённая»" not in page


def test_trash_page_queries_are_bounded(client: Client, personas: Personas) -> None:
    def count(size: int) -> int:
        for index in range(size):
            _trashed(f"ООО «Корзина {size}-{index}»", personas.manager_a, personas.manager_a)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/settings/trash/").status_code == 200
        return len(queries.captured_queries)

    client.force_login(personas.manager_a)
    client.get("/settings/trash/")  # the session's first request reads more
    assert count(2) == count(12) <= 12
