"""A record kind gets every platform feature by registering alone.

Gadgets (tests/kindtest) are a model, a list and a card page, and one registration in
``kinds.py``; nothing in accounts, records or clients names them. Each test below uses one
feature through its pages or API, as a person would, and checks what they would notice.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from kartoteka.accounts.models import Role, User
from kartoteka.core import search
from kartoteka.core.models import AuditEntry, Batch
from kartoteka.records.models import CustomField, GroupRule, SavedView, Tag
from tests.conftest import Personas
from tests.factories.accounts import UserFactory
from tests.kindtest.models import Gadget


def make(owner: User, name: str, **values: Any) -> Gadget:
    gadget = Gadget.objects.create(owner=owner, branch=owner.branch, name=name, **values)
    search.index(gadget)
    return gadget


def bulk(client: Client, ids: list[int], action: str, **fields: Any) -> Any:
    return client.post("/gadgets/bulk/", {"ids": ids, "action": action, **fields})


def test_custom_fields_are_defined_on_the_settings_page_and_the_api_and_hold_values(
    personas: Personas, client: Client, api: Any
) -> None:
    client.force_login(personas.admin)
    page = client.get("/settings/custom-fields/").content.decode()
    assert 'id="custom-fields-gadgets"' in page
    created = client.post(
        "/settings/custom-fields/new/",
        {"entity": "gadgets", "label": "Серийный номер", "code": "serial", "type": "text"},
    )
    assert created.status_code == 302
    answer = api(personas.admin).post(
        "/api/v1/custom-fields/",
        {"entity": "gadgets", "code": "weight", "label": "Вес", "type": "number"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    listed = api(personas.admin).get("/api/v1/custom-fields/", {"entity": "gadgets"}).json()
    assert [field["code"] for field in listed] == ["serial", "weight"]

    drone = make(personas.manager_a, "Дрон")
    client.force_login(personas.manager_a)
    changed = bulk(client, [drone.pk], "set_field", field="custom_fields.weight", value="1,5")
    assert changed.status_code == 302
    drone.refresh_from_db()
    assert drone.custom_fields == {"weight": 1.5}
    # A value that is not a number is refused, the field named.
    refused = bulk(client, [drone.pk], "set_field", field="custom_fields.weight", value="тяжёлый")
    assert refused.status_code == 422 and "Enter a number" in refused.content.decode()
    # and the list filters by it
    assert client.get("/gadgets/", {"cf_weight": "1.5"}).content.decode() == f"{drone.pk}: Дрон"
    assert client.get("/gadgets/", {"cf_weight": "2"}).content.decode() == ""


def test_tags_are_added_in_bulk_counted_on_the_tag_page_and_found_by(
    personas: Personas, client: Client, api: Any
) -> None:
    drone, robot = make(personas.manager_a, "Дрон"), make(personas.manager_a, "Робот")
    client.force_login(personas.manager_a)
    assert bulk(client, [drone.pk, robot.pk], "tag", tag="Летает").status_code == 302
    tag = Tag.objects.get(name="Летает")
    assert set(tag.gadgets.values_list("pk", flat=True)) == {drone.pk, robot.pk}
    assert client.get("/gadgets/", {"tag": "Летает"}).content.decode().count(":") == 2
    found = api(personas.manager_a).get("/api/v1/search/", {"q": "летает"}).json()
    assert sorted(hit["title"] for hit in found["gadgets"]) == ["Дрон", "Робот"]

    client.force_login(personas.admin)
    tags_page = client.get("/settings/tags/").content.decode()
    assert 'href="/gadgets/?tag=%D0%9B%D0%B5%D1%82%D0%B0%D0%B5%D1%82">2</a>' in tags_page
    assert client.post(f"/settings/tags/{tag.pk}/delete/").status_code == 302
    assert not drone.tags.exists()
    entry = AuditEntry.objects.get(action="purge", content_type__model="tag", object_id=tag.pk)
    assert entry.changes["gadgets"] == [2, None]


def test_saved_views_keep_a_gadget_list_filter(personas: Personas, client: Client) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/views/new/", {"entity": "gadgets", "name": "Летающие", "query": "tag=VIP&sort=name"}
    )
    view = SavedView.objects.get(name="Летающие")
    assert (view.entity, view.query, view.owner) == (
        "gadgets",
        "tag=VIP&sort=name",
        personas.manager_a,
    )
    assert response["Location"] == f"/gadgets/?tag=VIP&sort=name&view={view.pk}"
    assert client.post(f"/views/{view.pk}/delete/")["Location"] == "/gadgets/"
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_a_group_rule_for_gadgets_tags_a_matching_gadget(
    personas: Personas, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    drone, robot = make(personas.manager_a, "Дрон-курьер"), make(personas.manager_a, "Робот")
    client.force_login(personas.admin)
    form = client.get("/settings/group-rules/new/", {"entity": "gadgets"}).content.decode()
    assert 'value="name"' in form and 'value="tag"' in form
    created = client.post(
        "/settings/group-rules/new/?entity=gadgets",
        {
            "name": "Дроны",
            "field": "name",
            "operator": "contains",
            "value": "дрон",
            "effect": "add_tag",
            "tag": "Дроны",
            "is_active": "on",
        },
    )
    assert created.status_code == 302, created.content.decode()
    rule = GroupRule.objects.get(name="Дроны")
    assert rule.entity == "gadgets"
    with django_capture_on_commit_callbacks(execute=True):  # the job starts after the commit
        assert client.post(f"/settings/group-rules/{rule.pk}/apply/").status_code == 302
    assert list(drone.tags.values_list("name", flat=True)) == ["Дроны"]
    assert not robot.tags.exists()
    # and a change that makes a gadget match sets the rule off, in the same bulk change
    CustomField.objects.create(entity="gadgets", code="kind", label="Вид", type="text")
    GroupRule.objects.create(
        name="Летающие",
        entity="gadgets",
        field="custom_fields.kind",
        value="летает",
        effect="add_tag",
        tag=Tag.objects.create(name="В небе"),
    )
    client.force_login(personas.manager_a)
    response = bulk(client, [robot.pk], "set_field", field="custom_fields.kind", value="Летает")
    assert response.status_code == 302
    assert list(robot.tags.values_list("name", flat=True)) == ["В небе"]


def test_a_bulk_change_is_undone_in_one_step(personas: Personas, client: Client) -> None:
    gadgets = [make(personas.manager_a, f"Гаджет {n}") for n in range(3)]
    client.force_login(personas.admin)
    moved = bulk(client, [g.pk for g in gadgets], "reassign", to_owner=personas.teammate_a.pk)
    assert moved.status_code == 302 and moved["Location"] == "/gadgets/"
    assert set(Gadget.objects.values_list("owner", flat=True)) == {personas.teammate_a.pk}
    batch = Batch.objects.get()
    assert batch.summary["changed"] == 3
    assert client.post(f"/settings/batches/{batch.pk}/undo/").status_code == 302
    assert set(Gadget.objects.values_list("owner", flat=True)) == {personas.manager_a.pk}


def test_the_list_exports_as_csv(personas: Personas, client: Client) -> None:
    CustomField.objects.create(entity="gadgets", code="serial", label="Серийный номер", type="text")
    make(personas.manager_a, "=Дрон", custom_fields={"serial": "SN-1"})
    make(personas.manager_b, "Чужой")
    client.force_login(personas.manager_a)
    response = client.get("/gadgets/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="gadgets-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [(row["Name"], row["Серийный номер"], row["Owner"]) for row in rows] == [
        ("'=Дрон", "SN-1", str(personas.manager_a))
    ]
    client.force_login(personas.auditor)  # reads everything, exports nothing
    assert client.get("/gadgets/export/").status_code == 403


def test_duplicates_are_listed_for_gadgets(personas: Personas, client: Client) -> None:
    first, second = make(personas.manager_a, "Дрон"), make(personas.manager_a, " дрон ")
    make(personas.manager_a, "Робот")
    client.force_login(personas.manager_a)
    page = client.get("/duplicates/", {"kind": "gadgets"}).content.decode()
    assert f'href="/gadgets/{first.pk}/"' in page and f'href="/gadgets/{second.pk}/"' in page
    assert "same name" in page and "Робот" not in page


def test_trash_takes_gadgets_and_gives_them_back(personas: Personas, client: Client) -> None:
    drone = make(personas.manager_a, "Дрон")
    client.force_login(personas.manager_a)
    assert bulk(client, [drone.pk], "trash").status_code == 302
    assert client.get(f"/gadgets/{drone.pk}/").status_code == 404
    client.force_login(personas.admin)
    assert "Дрон" in client.get("/settings/trash/").content.decode()
    restored = client.post(f"/settings/trash/kindtest.gadget/{drone.pk}/restore/")
    assert restored.status_code == 302
    assert client.get(f"/gadgets/{drone.pk}/").status_code == 200


def test_hand_over_moves_gadgets_too(personas: Personas, client: Client) -> None:
    make(personas.manager_a, "Дрон"), make(personas.manager_a, "Робот")
    client.force_login(personas.admin)
    page = client.get(f"/settings/users/{personas.manager_a.pk}/handover/").content.decode()
    assert 'data-kind="gadgets">2<' in page
    response = client.post(
        f"/settings/users/{personas.manager_a.pk}/handover/",
        {"to_owners": [personas.teammate_a.pk]},
    )
    assert response.status_code == 302
    assert set(Gadget.objects.values_list("owner", flat=True)) == {personas.teammate_a.pk}


def test_search_finds_gadgets_on_the_page_and_in_the_api(
    personas: Personas, client: Client, api: Any
) -> None:
    drone = make(personas.manager_a, "Квадрокоптер")
    make(personas.manager_b, "Квадрокоптер казанский")
    found = api(personas.manager_a).get("/api/v1/search/", {"q": "квадрокоптеры"}).json()
    assert found["gadgets"] == [
        {
            "id": drone.pk,
            "type": "gadget",
            "title": "Квадрокоптер",
            "subtitle": "",
            "url": f"/gadgets/{drone.pk}/",
        }
    ]
    client.force_login(personas.manager_a)
    page = client.get("/search/", {"q": "квадрокоптер"}).content.decode()
    assert 'id="search-gadgets"' in page and "казанский" not in page


def test_the_role_editor_grants_gadgets_and_the_rule_follows(
    personas: Personas, client: Client
) -> None:
    drone = make(personas.manager_b, "Дрон")
    client.force_login(personas.admin)
    editor = client.get("/settings/roles/new/").content.decode()
    assert 'name="grant__gadgets__view"' in editor
    created = client.post(
        "/settings/roles/new/",
        {"name": "Смотритель гаджетов", "code": "gadget_viewer", "grant__gadgets__view": "all"},
    )
    assert created.status_code == 302, created.content.decode()
    role = Role.objects.get(code="gadget_viewer")
    assert {(g.entity, g.action, g.scope) for g in role.grants.all()} == {
        ("gadgets", "view", "all")
    }
    viewer = UserFactory(branch=personas.branch_a, roles=["gadget_viewer"])
    nobody = UserFactory(branch=personas.branch_a, roles=[])
    client.force_login(viewer)
    assert client.get(f"/gadgets/{drone.pk}/").status_code == 200
    assert client.get("/gadgets/").content.decode() == f"{drone.pk}: Дрон"
    client.force_login(nobody)
    assert client.get(f"/gadgets/{drone.pk}/").status_code == 404
    assert client.get("/gadgets/").status_code == 404
    assert client.get("/gadgets/bulk/count/").status_code == 404


@pytest.mark.parametrize(
    ("code", "cells"),
    [
        ("sales_manager", {"view": "own", "create": "own", "edit": "own", "delete": "own",
                           "export": "own"}),
        ("marketer", {"view": "all", "export": "all"}),
        ("administrator", dict.fromkeys(("view", "create", "edit", "delete", "export", "assign"),
                                        "all")),
    ],
)  # fmt: skip
def test_built_in_roles_get_the_gadget_cells_the_kind_asks_for(
    db: Any, code: str, cells: dict[str, str]
) -> None:
    role = Role.objects.get(code=code)
    held = {g.action: g.scope for g in role.grants.filter(entity="gadgets")}
    assert held == cells
