"""users, branches, roles and audit endpoints."""

from __future__ import annotations

from typing import Any

from kartoteka.accounts.models import Role, User
from kartoteka.core.models import AuditEntry
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory


def test_me(personas: Personas, api: Any) -> None:
    body = api(personas.manager_a).get("/api/v1/users/me/").json()
    assert body["username"] == "manager_a"
    assert body["branch"] == personas.branch_a.pk
    assert body["roles"] == [Role.objects.get(code="sales_manager").pk]
    assert "password" not in body


def test_administrator_creates_a_user(personas: Personas, api: Any) -> None:
    manager_role = Role.objects.get(code="sales_manager")
    response = api(personas.admin).post(
        "/api/v1/users/",
        {
            "username": "novikov",
            "password": "Vesna-2026-kartoteka",
            "first_name": "Олег",
            "last_name": "Новиков",
            "email": "novikov@example.ru",
            "branch": personas.branch_b.pk,
            "roles": [manager_role.pk],
            "language": "ru",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(username="novikov")
    assert user.check_password("Vesna-2026-kartoteka")
    assert list(user.roles.all()) == [manager_role]
    entry = AuditEntry.objects.get(action="create", object_id=user.pk, content_type__model="user")
    assert entry.actor == personas.admin and "password" not in entry.changes


def test_non_administrator_cannot_create_users(personas: Personas, api: Any) -> None:
    response = api(personas.head).post(
        "/api/v1/users/",
        {"username": "sneaky", "password": "Vesna-2026-kartoteka", "branch": personas.branch_a.pk},
        format="json",
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="sneaky").exists()


def test_user_create_errors_name_fields(personas: Personas, api: Any) -> None:
    response = api(personas.admin).post(
        "/api/v1/users/",
        {"username": "manager_a", "password": "123", "branch": personas.branch_a.pk},
        format="json",
    )
    assert response.status_code == 400
    assert (
        "username" in response.json()["error"]["fields"]
        or "password" in response.json()["error"]["fields"]
    )


def test_users_list_is_scoped(personas: Personas, api: Any) -> None:
    assert [
        u["username"] for u in api(personas.manager_a).get("/api/v1/users/").json()["results"]
    ] == ["manager_a"]
    branch_head_sees = {
        u["username"]
        for u in api(personas.branch_head_a).get("/api/v1/users/?limit=100").json()["results"]
    }
    assert "manager_b" not in branch_head_sees and "manager_a" in branch_head_sees
    assert api(personas.manager_a).get(f"/api/v1/users/{personas.manager_b.pk}/").status_code == 404


def test_user_update_needs_current_version(personas: Personas, api: Any) -> None:
    client = api(personas.admin)
    target = personas.manager_a
    ok = client.patch(
        f"/api/v1/users/{target.pk}/",
        {"first_name": "Новое", "version": target.version},
        format="json",
    )
    assert ok.status_code == 200
    stale = client.patch(
        f"/api/v1/users/{target.pk}/",
        {"first_name": "Другое", "version": target.version},
        format="json",
    )
    assert stale.status_code == 409


def test_branches_and_roles_are_listed(personas: Personas, api: Any) -> None:
    client = api(personas.manager_a)
    assert {b["name"] for b in client.get("/api/v1/branches/").json()["results"]} == {
        "Москва",
        "Казань",
    }
    roles = {r["code"]: r for r in client.get("/api/v1/roles/?limit=50").json()["results"]}
    assert set(roles) >= {
        "administrator",
        "head_of_sales",
        "branch_head",
        "sales_manager",
        "service_agent",
        "marketer",
        "auditor",
    }
    assert {"entity": "companies", "action": "view", "scope": "own"} in roles["sales_manager"][
        "grants"
    ]


def test_only_administrators_edit_roles(personas: Personas, api: Any) -> None:
    role = Role.objects.get(code="sales_manager")
    grants = [{"entity": "companies", "action": "view", "scope": "branch"}]
    assert (
        api(personas.head)
        .patch(
            f"/api/v1/roles/{role.pk}/", {"grants": grants, "version": role.version}, format="json"
        )
        .status_code
        == 403
    )
    response = api(personas.admin).patch(
        f"/api/v1/roles/{role.pk}/", {"grants": grants, "version": role.version}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["grants"] == grants
    assert AuditEntry.objects.filter(
        action="update", content_type__model="role", object_id=role.pk
    ).exists()


def test_audit_is_for_administrators_and_auditors(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    api(personas.manager_a).patch(
        f"/api/v1/companies/{company.pk}/", {"name": "Новое имя", "version": 1}, format="json"
    )
    assert api(personas.manager_a).get("/api/v1/audit/").status_code == 403
    for reader in (personas.admin, personas.auditor):
        rows = (
            api(reader)
            .get("/api/v1/audit/", {"record_type": "clients.company", "object_id": company.pk})
            .json()["results"]
        )
        assert [row["action"] for row in rows] == ["update"]
        assert rows[0]["changes"]["name"][1] == "Новое имя"
        by_user = (
            api(reader).get("/api/v1/audit/", {"actor": personas.manager_a.pk}).json()["results"]
        )
        assert {row["object_id"] for row in by_user} == {company.pk}


def test_schema_and_docs_are_served(personas: Personas, client: Any) -> None:
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in (
        "/api/v1/users/",
        "/api/v1/branches/",
        "/api/v1/roles/",
        "/api/v1/audit/",
        "/api/v1/companies/",
        "/api/v1/contacts/",
        "/api/v1/users/me/",
    ):
        assert path in text, path
    assert client.get("/api/v1/docs/").status_code == 200
