"""companies/contacts endpoints: scoping, versions (409), error format, cursor pages, trash."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from kartoteka.clients.models import Company, Contact
from kartoteka.core.models import AuditEntry
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def test_unauthenticated_is_401_in_the_error_format(db: Any) -> None:
    response = APIClient().get("/api/v1/companies/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_create_read_update_delete(personas: Personas, api: Any) -> None:
    client = api(personas.manager_a)
    created = client.post(
        "/api/v1/companies/",
        {"name": "ООО «Апи»", "inn": "7707083893", "phones": [{"number": "8 916 000-00-01"}]},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["phones"] == [{"number": "+79160000001", "kind": "mobile"}]
    assert body["owner"] == personas.manager_a.pk and body["branch"] == personas.branch_a.pk
    assert body["version"] == 1
    pk = body["id"]
    updated = client.patch(
        f"/api/v1/companies/{pk}/", {"name": "ООО «Апи-2»", "version": 1}, format="json"
    )
    assert updated.status_code == 200 and updated.json()["version"] == 2
    assert client.get(f"/api/v1/companies/{pk}/").json()["name"] == "ООО «Апи-2»"
    assert client.delete(f"/api/v1/companies/{pk}/").status_code == 204
    assert client.get(f"/api/v1/companies/{pk}/").status_code == 404
    assert Company.all_objects.get(pk=pk).deleted_at is not None
    assert list(
        AuditEntry.objects.filter(object_id=pk, content_type__model="company")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["create", "update", "delete"]


def test_stale_version_is_409_with_what_changed(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="Было")
    api(personas.branch_head_a).patch(
        f"/api/v1/companies/{company.pk}/", {"name": "Стало", "version": 1}, format="json"
    )
    response = api(personas.manager_a).patch(
        f"/api/v1/companies/{company.pk}/", {"name": "Моё", "version": 1}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict" and error["current_version"] == 2
    assert error["changes"][0]["changes"] == {"name": ["Было", "Стало"]}
    company.refresh_from_db()
    assert company.name == "Стало"


def test_update_without_version_is_400_naming_the_field(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    response = api(personas.manager_a).patch(
        f"/api/v1/companies/{company.pk}/", {"name": "X"}, format="json"
    )
    assert response.status_code == 400
    assert "version" in response.json()["error"]["fields"]


def test_invalid_inn_phone_email_name_their_fields(personas: Personas, api: Any) -> None:
    response = api(personas.manager_a).post(
        "/api/v1/companies/",
        {
            "name": "ООО «Ошибка»",
            "inn": "1234567890",
            "phones": [{"number": "abc", "kind": "work"}],
            "emails": [{"address": "not-an-email", "kind": "work"}],
        },
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"inn", "phones", "emails"} <= set(fields)
    assert not Company.objects.filter(name="ООО «Ошибка»").exists()


def test_out_of_scope_is_404_and_nothing_changes(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_b, name="Казанская")
    client = api(personas.manager_a)
    assert client.get(f"/api/v1/companies/{company.pk}/").status_code == 404
    assert (
        client.patch(
            f"/api/v1/companies/{company.pk}/", {"name": "x", "version": 1}, format="json"
        ).status_code
        == 404
    )
    assert client.delete(f"/api/v1/companies/{company.pk}/").status_code == 404
    company.refresh_from_db()
    assert (company.name, company.version, company.deleted_at) == ("Казанская", 1, None)
    assert not AuditEntry.objects.filter(
        object_id=company.pk, content_type__model="company"
    ).exists()


def test_writes_naming_other_branch_owner_or_company_are_refused(
    personas: Personas, api: Any
) -> None:
    client = api(personas.manager_a)
    foreign = CompanyFactory(owner=personas.manager_b)
    response = client.post(
        "/api/v1/contacts/", {"last_name": "Х", "companies": [foreign.pk]}, format="json"
    )
    assert response.status_code == 400 and "companies" in response.json()["error"]["fields"]
    response = client.post(
        "/api/v1/companies/", {"name": "Y", "owner": personas.manager_b.pk}, format="json"
    )
    assert response.status_code == 400 and "owner" in response.json()["error"]["fields"]
    response = client.post(
        "/api/v1/companies/", {"name": "Y", "branch": personas.branch_b.pk}, format="json"
    )
    assert response.status_code == 400 and "branch" in response.json()["error"]["fields"]
    assert not Contact.objects.filter(last_name="Х").exists()
    assert not Company.objects.filter(name="Y").exists()


def test_role_without_create_gets_403(personas: Personas, api: Any) -> None:
    response = api(personas.marketer).post("/api/v1/companies/", {"name": "Z"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_manager_cannot_reassign_but_branch_head_can(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    response = api(personas.manager_a).patch(
        f"/api/v1/companies/{company.pk}/",
        {"owner": personas.colleague_a.pk, "version": 1},
        format="json",
    )
    assert response.status_code == 400
    response = api(personas.branch_head_a).patch(
        f"/api/v1/companies/{company.pk}/",
        {"owner": personas.colleague_a.pk, "version": 1},
        format="json",
    )
    assert response.status_code == 200
    company.refresh_from_db()
    assert company.owner == personas.colleague_a


def test_cursor_pagination_walks_every_visible_record_once(personas: Personas, api: Any) -> None:
    mine = {CompanyFactory(owner=personas.manager_a).pk for _ in range(7)}
    CompanyFactory.create_batch(3, owner=personas.manager_b)
    client = api(personas.manager_a)
    seen: list[int] = []
    url: str | None = "/api/v1/companies/?limit=3"
    while url:
        page = client.get(url).json()
        assert set(page) >= {"results", "next"}
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(mine)


def test_contact_lookup_by_phone_in_any_format(personas: Personas, api: Any) -> None:
    contact = ContactFactory(owner=personas.manager_a, phone="+79161234567")
    ContactFactory(owner=personas.manager_b, phone="+79161234567")  # same number, other branch
    client = api(personas.manager_a)
    for raw in ("8 916 123-45-67", "+7(916)1234567", "9161234567"):
        results = client.get("/api/v1/contacts/", {"phone": raw}).json()["results"]
        assert [row["id"] for row in results] == [contact.pk], raw


def test_contact_api_shape_round_trip(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client = api(personas.manager_a)
    payload = {
        "last_name": "Петрова",
        "first_name": "Ольга",
        "middle_name": "Ивановна",
        "phones": [
            {"number": "8 (916) 555-44-33", "kind": "mobile"},
            {"number": "4951112233", "kind": "work"},
        ],
        "emails": [{"address": "olga@example.ru", "kind": "personal"}],
        "birthday": "1990-05-17",
        "companies": [company.pk],
        "tags": ["VIP", "Есть дети"],
        "related_persons": [{"name": "Миша", "relation": "child", "birthday": "2016-02-29"}],
    }
    created = client.post("/api/v1/contacts/", payload, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["phones"] == [
        {"number": "+79165554433", "kind": "mobile"},
        {"number": "+74951112233", "kind": "work"},
    ]
    assert body["emails"] == [{"address": "olga@example.ru", "kind": "personal"}]
    assert body["companies"] == [company.pk]
    assert body["tags"] == ["VIP", "Есть дети"]
    assert body["related_persons"] == [
        {"name": "Миша", "relation": "child", "birthday": "2016-02-29", "anniversary": None}
    ]
    assert body["custom_fields"] == {} and body["version"] == 1
    found = client.get("/api/v1/contacts/", {"phone": "+7 916 555 44 33"}).json()["results"]
    assert [row["id"] for row in found] == [body["id"]]
    # Lists sent replace what was stored; lists not sent stay.
    updated = client.patch(
        f"/api/v1/contacts/{body['id']}/", {"phones": [], "version": 1}, format="json"
    )
    assert updated.json()["phones"] == [] and updated.json()["emails"] == body["emails"]
