"""Settings, bulk changes and the audit trail have rights of their own, and their scopes hold."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kartoteka.accounts.models import Role, RoleGrant, User
from kartoteka.clients.models import Contact
from kartoteka.core import audit
from kartoteka.core.models import Batch
from kartoteka.records.models import Tag
from kartoteka.records.services.bulk import bulk_trash
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def _role(code: str, *cells: tuple[str, str, str]) -> Role:
    role = Role.objects.create(code=code, name=code)
    for entity, action, scope in cells:
        RoleGrant.objects.create(role=role, entity=entity, action=action, scope=scope)
    return role


def _give(user: User, role: Role) -> User:
    user.roles.set([role])
    return user


# --- Settings ------------------------------------------------------------------------------------
def test_settings_need_the_settings_right_not_the_roles_right(
    client: Client, personas: Personas
) -> None:
    # Given one person who may edit roles but not settings, and one the other way round
    role_editor = _give(
        personas.outsider, _role("role_editor", *[("roles", a, "all") for a in ("view", "edit")])
    )
    settings_editor = _give(
        personas.colleague_a,
        _role("settings_editor", ("settings", "view", "all"), ("settings", "edit", "all")),
    )
    # When the role editor tries the settings pages and changes: refused
    client.force_login(role_editor)
    for url in ("/settings/tags/", "/settings/custom-fields/", "/settings/group-rules/"):
        assert client.get(url).status_code == 404, url
    assert client.post(
        "/settings/tags/new/", {"name": "Чужой", "color": "#0b7a75"}
    ).status_code in (
        403,
        404,
    )
    assert not Tag.objects.filter(name="Чужой").exists()
    # Then the settings editor reads and changes them, and does not get the role editor
    client.force_login(settings_editor)
    for url in ("/settings/tags/", "/settings/custom-fields/", "/settings/group-rules/"):
        assert client.get(url).status_code == 200, url
    response = client.post("/settings/tags/new/", {"name": "Свой", "color": "#0b7a75"})
    assert response.status_code == 302
    assert Tag.objects.filter(name="Свой").exists()
    assert client.get("/settings/roles/new/").status_code == 404


def test_settings_view_reads_but_does_not_change(client: Client, personas: Personas) -> None:
    client.force_login(personas.auditor)
    assert client.get("/settings/tags/").status_code == 200
    assert client.post("/settings/tags/new/", {"name": "Нет", "color": "#0b7a75"}).status_code in (
        403,
        404,
    )
    assert not Tag.objects.filter(name="Нет").exists()


def test_builtin_roles_hold_the_new_rights(db: Any) -> None:
    def cells(code: str) -> dict[tuple[str, str], str]:
        return {(g.entity, g.action): g.scope for g in Role.objects.get(code=code).grants.all()}

    administrator = cells("administrator")
    for cell in (
        ("settings", "view"),
        ("settings", "edit"),
        ("batches", "view"),
        ("batches", "edit"),
        ("audit", "view"),
        ("users", "assign"),
    ):
        assert administrator[cell] == "all", cell
    assert ("users", "delete") not in administrator  # means nothing, so not held
    assert cells("head_of_sales")[("batches", "edit")] == "all"
    assert cells("sales_manager")[("batches", "edit")] == "own"
    assert cells("auditor")[("settings", "view")] == "all"
    assert ("settings", "edit") not in cells("auditor")
    assert ("batches", "view") not in cells("marketer")


# --- Bulk changes --------------------------------------------------------------------------------
def _batch_by(user: User) -> Batch:
    contacts = ContactFactory.create_batch(2, owner=user, branch=user.branch)
    return bulk_trash(actor=user, model=Contact, ids=[c.pk for c in contacts])


def test_trash_edit_no_longer_shows_everyones_bulk_changes(personas: Personas, api: Any) -> None:
    _batch_by(personas.manager_a)
    restorer = _give(
        personas.outsider,
        _role("restorer", ("trash", "view", "all"), ("trash", "edit", "all")),
    )
    assert api(restorer).get("/api/v1/batches/").json()["results"] == []


def test_batch_scopes_own_branch_all(personas: Personas, api: Any) -> None:
    mine = _batch_by(personas.manager_a)
    branch_a = _batch_by(personas.colleague_a)
    branch_b = _batch_by(personas.manager_b)

    def seen(user: User) -> set[int]:
        return {row["id"] for row in api(user).get("/api/v1/batches/").json()["results"]}

    assert seen(personas.manager_a) == {mine.pk}
    assert seen(personas.admin) >= {mine.pk, branch_a.pk, branch_b.pk}
    assert seen(personas.head) >= {mine.pk, branch_a.pk, branch_b.pk}
    watcher = _give(personas.outsider, _role("watcher", ("batches", "view", "branch")))
    assert seen(watcher) == {mine.pk, branch_a.pk}
    assert seen(personas.marketer) == set()


def test_seeing_a_batch_is_not_undoing_it(personas: Personas, api: Any) -> None:
    batch = _batch_by(personas.manager_a)
    # The auditor sees every batch but undoes none
    client = api(personas.auditor)
    assert client.get(f"/api/v1/batches/{batch.pk}/").status_code == 200
    assert client.post(f"/api/v1/batches/{batch.pk}/undo/").status_code in (403, 404)
    batch.refresh_from_db()
    assert batch.undone_at is None
    # The author undoes their own
    assert api(personas.manager_a).post(f"/api/v1/batches/{batch.pk}/undo/").status_code == 200


def test_batch_page_offers_undo_only_where_allowed(client: Client, personas: Personas) -> None:
    _batch_by(personas.manager_a)
    client.force_login(personas.auditor)
    page = client.get("/settings/batches/").content.decode()
    assert "/undo/" not in page
    client.force_login(personas.manager_a)
    assert "/undo/" in client.get("/settings/batches/").content.decode()


# --- Audit trail ---------------------------------------------------------------------------------
@pytest.fixture
def trail(personas: Personas, api: Any) -> dict[str, int]:
    """One company renamed by each of manager_a, colleague_a (branch A) and manager_b (B)."""
    edits = {}
    for name in ("manager_a", "colleague_a", "manager_b"):
        user = getattr(personas, name)
        company = CompanyFactory(owner=user, branch=user.branch)
        response = api(user).patch(
            f"/api/v1/companies/{company.pk}/", {"name": f"Новое {name}", "version": 1}
        )
        assert response.status_code == 200
        edits[name] = company.pk
    return edits


def _read(client: Any) -> set[int]:
    response = client.get("/api/v1/audit/?limit=500")
    if response.status_code != 200:
        return set()
    return {
        row["object_id"]
        for row in response.json()["results"]
        if row["record_type"] == "clients.company" and row["action"] == "update"
    }


@pytest.mark.parametrize(
    "scope,expected",
    [
        ("own", {"self"}),
        ("branch", {"self", "manager_a", "colleague_a"}),
        ("all", {"self", "manager_a", "colleague_a", "manager_b"}),
    ],
)
def test_audit_scope_is_whose_entries(
    personas: Personas, api: Any, trail: dict[str, int], scope: str, expected: set[str]
) -> None:
    # Given a reader in branch A with an audit grant of one scope, who made one entry themself
    reader = _give(
        personas.teammate_a,
        _role(
            "reader",
            ("audit", "view", scope),
            ("companies", "view", "own"),
            ("companies", "edit", "own"),
        ),
    )
    own = CompanyFactory(owner=reader, branch=reader.branch)
    assert (
        api(reader)
        .patch(f"/api/v1/companies/{own.pk}/", {"name": "Своё", "version": 1})
        .status_code
        == 200
    )
    ids = {**trail, "self": own.pk}
    # When they read the trail, over the API and on the page
    seen = _read(api(reader))
    # Then they read exactly the entries their scope reaches
    assert seen == {ids[name] for name in expected}
    client = Client()
    client.force_login(reader)
    page = client.get("/settings/audit/")
    assert page.status_code == 200
    shown = {entry.object_id for entry in page.context["page"].rows if entry.action == "update"}
    assert {ids[name] for name in expected} <= shown
    assert not ({ids[name] for name in set(ids) - expected} & shown)


def test_own_audit_scope_lists_only_oneself_as_a_person(personas: Personas) -> None:
    reader = _give(personas.teammate_a, _role("reader", ("audit", "view", "own")))
    condition = audit.readable_by(reader, person="")
    assert condition is not None
    assert list(User.objects.filter(condition)) == [reader]
