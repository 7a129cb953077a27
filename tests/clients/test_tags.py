"""Settings › Tags: usage counts, create, rename and recolour, delete with confirmation."""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.clients.models import Company
from kartoteka.clients.services import common
from kartoteka.core import search
from kartoteka.core.models import AuditEntry
from kartoteka.records.models import GroupRule, Tag
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def _tagged(personas: Personas, tag: Tag, companies: int, contacts: int) -> list[Company]:
    made = CompanyFactory.create_batch(companies, owner=personas.admin)
    for company in made:
        company.tags.add(tag)
    for contact in ContactFactory.create_batch(contacts, owner=personas.admin):
        contact.tags.add(tag)
    return made


def test_list_shows_colours_and_usage_without_trashed_records(
    client: Client, personas: Personas
) -> None:
    vip = Tag.objects.create(name="VIP", color="#b42318")
    Tag.objects.create(name="Пустой")
    companies = _tagged(personas, vip, companies=3, contacts=2)
    common.record_trash(actor=personas.admin, obj=companies[0])
    client.force_login(personas.admin)

    page = client.get("/settings/tags/").content.decode()
    row = page.split(f'id="tag-{vip.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'style="--tag: #b42318"' in row and 'value="#b42318"' in row
    assert ">2</a>" in row  # two companies (one is in the trash) and two contacts
    assert row.count(">2</a>") == 2
    assert "/companies/?tag=VIP" in row


def test_list_queries_do_not_grow_with_tags_or_their_records(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)

    def queries() -> int:
        client.get("/settings/tags/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/settings/tags/").status_code == 200
        return len(captured.captured_queries)

    _tagged(personas, Tag.objects.create(name="Один"), companies=1, contacts=1)
    small = queries()
    for number in range(20):
        _tagged(personas, Tag.objects.create(name=f"Тег {number}"), companies=3, contacts=2)
    assert queries() == small


def test_admin_creates_a_tag_and_a_taken_name_or_a_pale_colour_is_refused(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)
    response = client.post("/settings/tags/new/", {"name": "  Поволжье ", "color": "#0B7A75"})
    assert response.status_code == 302
    tag = Tag.objects.get(name="Поволжье")
    assert tag.color == "#0b7a75"
    assert AuditEntry.objects.filter(action="create", content_type__model="tag").exists()

    response = client.post("/settings/tags/new/", {"name": "поволжье", "color": "#1d5fc4"})
    assert response.status_code == 422
    assert "A tag with this name exists already." in response.content.decode()
    response = client.post("/settings/tags/new/", {"name": "Жёлтый", "color": "#ffee00"})
    assert response.status_code == 422
    assert response.context["new_form"].errors["color"]
    assert 'value="Жёлтый"' in response.content.decode()  # what was typed is kept
    assert Tag.objects.count() == 1


def test_rename_and_recolour_keep_the_tag_on_records_and_search_finds_the_new_name(
    client: Client, personas: Personas
) -> None:
    tag = Tag.objects.create(name="Старое имя")
    company = CompanyFactory(owner=personas.admin, name="ООО «Метка»")
    company.tags.add(tag)
    search.index(company)
    client.force_login(personas.admin)

    response = client.post(f"/settings/tags/{tag.pk}/", {"name": "Ключевой", "color": "#7b3fb8"})
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("Ключевой", "#7b3fb8")
    assert list(company.tags.all()) == [tag]
    found = search.find(personas.admin, "ключевой")["companies"]
    assert [hit.id for hit in found.hits] == [company.pk]
    entry = AuditEntry.objects.get(action="update", content_type__model="tag", object_id=tag.pk)
    assert entry.changes == {
        "name": ["Старое имя", "Ключевой"],
        "color": ["#1d5fc4", "#7b3fb8"],
    }


def test_bad_rename_is_shown_on_its_row(client: Client, personas: Personas) -> None:
    Tag.objects.create(name="Занято")
    tag = Tag.objects.create(name="Свободно")
    client.force_login(personas.admin)
    response = client.post(f"/settings/tags/{tag.pk}/", {"name": "занято", "color": "#1d5fc4"})
    assert response.status_code == 422
    row = response.content.decode().split(f'id="tag-{tag.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'value="занято"' in row and "A tag with this name exists already." in row
    tag.refresh_from_db()
    assert tag.name == "Свободно"


def test_delete_asks_first_then_takes_the_tag_off_records(
    client: Client, personas: Personas
) -> None:
    tag = Tag.objects.create(name="Удаляемый")
    (company,) = _tagged(personas, tag, companies=1, contacts=2)
    client.force_login(personas.admin)

    page = client.get(f"/settings/tags/{tag.pk}/delete/").content.decode()
    usage = page.split('id="usage"', 1)[1].split("</dl>", 1)[0]
    counts = dict(re.findall(r'<dd data-kind="(\w+)">(\d+)</dd>', usage))
    assert (counts["companies"], counts["contacts"]) == ("1", "2")
    assert Tag.objects.filter(pk=tag.pk).exists()  # asking deletes nothing

    assert client.post(f"/settings/tags/{tag.pk}/delete/").status_code == 302
    assert not Tag.objects.filter(pk=tag.pk).exists()
    assert company.tags.count() == 0
    entry = AuditEntry.objects.get(action="purge", content_type__model="tag", object_id=tag.pk)
    assert entry.changes["name"] == ["Удаляемый", None]
    assert entry.changes["companies"] == [1, None] and entry.changes["contacts"] == [2, None]


def test_a_tag_a_group_rule_adds_is_not_deleted(client: Client, personas: Personas) -> None:
    tag = Tag.objects.create(name="Поволжье")
    rule = GroupRule.objects.create(
        name="Казань", entity="companies", field="city", value="Казань", effect="add_tag", tag=tag
    )
    client.force_login(personas.admin)
    page = client.get(f"/settings/tags/{tag.pk}/delete/").content.decode()
    assert f"/settings/group-rules/{rule.pk}/" in page
    response = client.post(f"/settings/tags/{tag.pk}/delete/")
    assert response.status_code == 422
    assert Tag.objects.filter(pk=tag.pk).exists() and GroupRule.objects.filter(pk=rule.pk).exists()


def test_managers_cannot_manage_tags(client: Client, personas: Personas) -> None:
    tag = Tag.objects.create(name="Чужой", color="#1d5fc4")
    client.force_login(personas.manager_a)
    assert client.get("/settings/tags/").status_code == 404
    assert client.post("/settings/tags/new/", {"name": "X", "color": "#1d5fc4"}).status_code == 404
    assert (
        client.post(f"/settings/tags/{tag.pk}/", {"name": "X", "color": "#b42318"}).status_code
        == 404
    )
    assert client.post(f"/settings/tags/{tag.pk}/delete/").status_code == 404
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("Чужой", "#1d5fc4")
    assert Tag.objects.count() == 1
    assert not AuditEntry.objects.filter(content_type__model="tag").exists()
