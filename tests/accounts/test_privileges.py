"""Nobody makes themself administrator, and nobody hands out more than they hold."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kartoteka.accounts.models import Role, RoleGrant, User
from tests.conftest import Personas

SELF_PROMOTERS = (
    "head",
    "branch_head_a",
    "manager_a",
    "teammate_a",
    "service_a",
    "marketer",
    "auditor",
    "outsider",
)


def _state(user: User) -> tuple[Any, ...]:
    user.refresh_from_db()
    return (
        sorted(user.roles.values_list("code", flat=True)),
        sorted(user.teams.values_list("pk", flat=True)),
        user.branch_id,
        user.is_active,
        user.is_superuser,
    )


def _people_manager_role() -> Role:
    """A custom role: manages the people of one's own branch (edit and assign)."""
    role = Role.objects.create(code="branch_people", name="Branch people")
    for action in ("view", "edit", "assign"):
        RoleGrant.objects.create(role=role, entity="users", action=action, scope="branch")
    return role


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize("persona", SELF_PROMOTERS)
def test_nobody_promotes_themself_over_the_api(
    personas: Personas, api: Any, persona: str, method: str
) -> None:
    # Given a user in a built-in role who is not an administrator
    me: User = getattr(personas, persona)
    before = _state(me)
    administrator = Role.objects.get(code="administrator")
    body = {
        "username": me.username,
        "first_name": me.first_name,
        "last_name": me.last_name,
        "email": me.email,
        "branch": me.branch_id,
        "language": me.language,
        "is_active": True,
        "roles": [administrator.pk],
        "teams": [personas.team_a.pk],
        "version": me.version,
    }
    if method == "patch":  # exactly what the attack sends
        body = {key: body[key] for key in ("roles", "teams", "version")}
    # When they write the administrator role into their own record
    response = getattr(api(me), method)(f"/api/v1/users/{me.pk}/", body, format="json")
    # Then they are refused and nothing about them changed
    assert response.status_code in (403, 404), response.content
    assert _state(me) == before
    # ...and they still cannot do what an administrator does
    assert api(me).get("/api/v1/audit/").status_code in (403, 404) or persona == "auditor"


@pytest.mark.parametrize("persona", SELF_PROMOTERS)
def test_nobody_promotes_themself_on_the_settings_page(
    client: Client, personas: Personas, persona: str
) -> None:
    me: User = getattr(personas, persona)
    before = _state(me)
    client.force_login(me)
    response = client.post(
        f"/settings/users/{me.pk}/",
        {
            "username": me.username,
            "first_name": me.first_name,
            "last_name": me.last_name,
            "email": me.email,
            "branch": me.branch_id,
            "language": me.language,
            "is_active": "on",
            "roles": [Role.objects.get(code="administrator").pk],
            "teams": [personas.team_a.pk],
            "version": me.version,
        },
    )
    assert response.status_code in (403, 404)
    assert _state(me) == before


@pytest.mark.parametrize("persona", SELF_PROMOTERS)
def test_nobody_deactivates_or_moves_themself(personas: Personas, api: Any, persona: str) -> None:
    me: User = getattr(personas, persona)
    before = _state(me)
    client = api(me)
    for change in ({"is_active": False}, {"branch": personas.branch_b.pk}):
        response = client.patch(
            f"/api/v1/users/{me.pk}/", {**change, "version": me.version}, format="json"
        )
        assert response.status_code in (403, 404), change
    assert _state(me) == before


def test_a_user_edits_their_own_name_phone_and_language(personas: Personas, api: Any) -> None:
    me = personas.manager_a
    response = api(me).patch(
        f"/api/v1/users/{me.pk}/",
        {
            "first_name": "Иван",
            "last_name": "Петров",
            "phone": "+79161234567",
            "language": "ru",
            "roles": [Role.objects.get(code="sales_manager").pk],  # unchanged: allowed
            "version": me.version,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    me.refresh_from_db()
    assert (me.first_name, me.last_name, me.phone, me.language) == (
        "Иван",
        "Петров",
        "+79161234567",
        "ru",
    )


def test_a_user_cannot_rename_their_login_or_change_their_email(
    personas: Personas, api: Any
) -> None:
    me = personas.manager_a
    for change in ({"username": "boss"}, {"email": "boss@example.ru"}):
        response = api(me).patch(
            f"/api/v1/users/{me.pk}/", {**change, "version": me.version}, format="json"
        )
        assert response.status_code in (403, 404), change
    me.refresh_from_db()
    assert me.username == "manager_a" and me.email == "manager_a@example.ru"


def test_administrator_still_grants_roles(personas: Personas, api: Any, client: Client) -> None:
    target = personas.manager_a
    administrator = Role.objects.get(code="administrator")
    response = api(personas.admin).patch(
        f"/api/v1/users/{target.pk}/",
        {"roles": [administrator.pk], "version": target.version},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert _state(target)[0] == ["administrator"]
    # and on the page
    client.force_login(personas.admin)
    other = personas.colleague_a
    response = client.post(
        f"/settings/users/{other.pk}/",
        {
            "username": other.username,
            "first_name": other.first_name,
            "last_name": other.last_name,
            "email": other.email,
            "branch": other.branch_id,
            "language": other.language,
            "is_active": "on",
            "roles": [administrator.pk],
            "version": other.version,
        },
    )
    assert response.status_code == 302
    assert _state(other)[0] == ["administrator"]


def test_a_branch_head_cannot_hand_out_the_administrator_role(personas: Personas, api: Any) -> None:
    # Given a branch head who also manages the people of their branch
    boss = personas.branch_head_a
    boss.roles.add(_people_manager_role())
    target = personas.manager_a
    before = _state(target)
    administrator = Role.objects.get(code="administrator")
    client = api(boss)
    # When they give a branch member the administrator role, or the head of sales role
    for code in ("administrator", "head_of_sales", "marketer"):
        response = client.patch(
            f"/api/v1/users/{target.pk}/",
            {"roles": [Role.objects.get(code=code).pk], "version": target.version},
            format="json",
        )
        # Then they are refused: those roles hold rights beyond the branch head's
        assert response.status_code == 403, (code, response.content)
    assert _state(target) == before
    # ...nor themself
    response = client.patch(
        f"/api/v1/users/{boss.pk}/",
        {
            "roles": [administrator.pk, *boss.roles.values_list("pk", flat=True)],
            "version": boss.version,
        },
        format="json",
    )
    assert response.status_code == 403
    # ...nor move a member to another branch, nor touch another branch's people
    response = client.patch(
        f"/api/v1/users/{target.pk}/",
        {"branch": personas.branch_b.pk, "version": target.version},
        format="json",
    )
    assert response.status_code == 403
    response = client.patch(
        f"/api/v1/users/{personas.manager_b.pk}/",
        {"roles": [], "version": personas.manager_b.version},
        format="json",
    )
    assert response.status_code == 404
    assert _state(target) == before
    # But a role within their own rights they may give
    response = client.patch(
        f"/api/v1/users/{target.pk}/",
        {"roles": [Role.objects.get(code="service_agent").pk], "version": target.version},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert _state(target)[0] == ["service_agent"]


def test_a_branch_head_cannot_take_over_someone_who_holds_more(
    personas: Personas, api: Any
) -> None:
    # The administrator works in branch A, but holds more than the branch head: hands off.
    boss = personas.branch_head_a
    boss.roles.add(_people_manager_role())
    admin = personas.admin
    before = _state(admin)
    client = api(boss)
    for change in ({"is_active": False}, {"roles": []}, {"password": "Vzlom-2026-kartoteka"}):
        response = client.patch(
            f"/api/v1/users/{admin.pk}/", {**change, "version": admin.version}, format="json"
        )
        assert response.status_code == 403, change
    assert _state(admin) == before
    admin.refresh_from_db()
    assert not admin.check_password("Vzlom-2026-kartoteka")


def test_creating_a_user_cannot_hand_out_more_than_one_holds(
    personas: Personas, api: Any, client: Client
) -> None:
    # A custom role may create users in its branch and assign roles there, but not beyond itself
    creator = personas.branch_head_a
    role = _people_manager_role()
    RoleGrant.objects.create(role=role, entity="users", action="create", scope="branch")
    creator.roles.add(role)
    body = {
        "username": "newcomer",
        "password": "Vesna-2026-kartoteka",
        "branch": personas.branch_a.pk,
        "roles": [Role.objects.get(code="administrator").pk],
    }
    response = api(creator).post("/api/v1/users/", body, format="json")
    assert response.status_code == 403
    assert not User.objects.filter(username="newcomer").exists()
    response = api(creator).post(
        "/api/v1/users/", {**body, "branch": personas.branch_b.pk, "roles": []}, format="json"
    )
    assert response.status_code in (400, 403)
    assert not User.objects.filter(username="newcomer").exists()
    # The page refuses the same
    client.force_login(creator)
    response = client.post(
        "/settings/users/new/",
        {
            "username": "newcomer",
            "password": "Vesna-2026-kartoteka",
            "branch": personas.branch_a.pk,
            "language": "ru",
            "roles": [Role.objects.get(code="administrator").pk],
        },
    )
    assert response.status_code in (403, 422)
    assert not User.objects.filter(username="newcomer").exists()
    # Within their rights it works
    response = api(creator).post(
        "/api/v1/users/",
        {**body, "roles": [Role.objects.get(code="sales_manager").pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert _state(User.objects.get(username="newcomer"))[0] == ["sales_manager"]


def test_a_manager_cannot_create_users(personas: Personas, api: Any) -> None:
    response = api(personas.manager_a).post(
        "/api/v1/users/",
        {
            "username": "sneaky",
            "password": "Vesna-2026-kartoteka",
            "branch": personas.branch_a.pk,
            "roles": [Role.objects.get(code="administrator").pk],
        },
        format="json",
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="sneaky").exists()


def test_team_membership_changes_need_the_assign_right(personas: Personas, client: Client) -> None:
    # A role that edits branches and teams but may not assign people cannot add people to teams
    role = Role.objects.create(code="office", name="Office")
    for action in ("view", "create", "edit"):
        RoleGrant.objects.create(role=role, entity="branches", action=action, scope="all")
    personas.outsider.roles.set([role])
    client.force_login(personas.outsider)
    response = client.post(
        "/settings/branches/",
        {
            "team-name": "Своя команда",
            "team-branch": personas.branch_a.pk,
            "team-members": [personas.outsider.pk, personas.manager_a.pk],
        },
    )
    assert response.status_code in (403, 422)
    assert not personas.outsider.teams.exists()


# --- Roles ---------------------------------------------------------------------------------------
def _role_editor() -> Role:
    role = Role.objects.create(code="role_editor", name="Role editor")
    for action in ("view", "create", "edit"):
        RoleGrant.objects.create(role=role, entity="roles", action=action, scope="all")
    RoleGrant.objects.create(role=role, entity="companies", action="view", scope="branch")
    return role


def test_a_role_editor_cannot_make_a_role_wider_than_themself(personas: Personas, api: Any) -> None:
    personas.outsider.roles.set([_role_editor()])
    client = api(personas.outsider)
    wide = {
        "code": "wide",
        "name": "Wide",
        "grants": [{"entity": "companies", "action": "view", "scope": "all"}],
    }
    response = client.post("/api/v1/roles/", wide, format="json")
    assert response.status_code in (400, 403)
    assert not Role.objects.filter(code="wide").exists()
    narrow = {
        "code": "narrow",
        "name": "Narrow",
        "grants": [{"entity": "companies", "action": "view", "scope": "own"}],
    }
    assert client.post("/api/v1/roles/", narrow, format="json").status_code == 201
    # Widening an existing role, or their own, is refused as well
    own_role = Role.objects.get(code="role_editor")
    response = client.patch(
        f"/api/v1/roles/{own_role.pk}/",
        {
            "grants": [{"entity": "users", "action": "assign", "scope": "all"}],
            "version": own_role.version,
        },
        format="json",
    )
    assert response.status_code in (400, 403)
    assert not RoleGrant.objects.filter(role=own_role, entity="users").exists()
    # and a role that holds more than they do is not theirs to change
    administrator = Role.objects.get(code="administrator")
    before = set(administrator.grants.values_list("entity", "action", "scope"))
    response = client.patch(
        f"/api/v1/roles/{administrator.pk}/",
        {"grants": [], "version": administrator.version},
        format="json",
    )
    assert response.status_code == 403
    assert set(administrator.grants.values_list("entity", "action", "scope")) == before


def test_meaningless_cells_are_refused(personas: Personas, api: Any) -> None:
    response = api(personas.admin).post(
        "/api/v1/roles/",
        {
            "code": "odd",
            "name": "Odd",
            "grants": [
                {"entity": "users", "action": "delete", "scope": "all"},
                {"entity": "settings", "action": "edit", "scope": "own"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "users.delete" in fields and "settings.edit" in fields
    assert not Role.objects.filter(code="odd").exists()


def test_role_editor_shows_only_cells_that_mean_something(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.admin)
    page = client.get("/settings/roles/new/").content.decode()
    assert 'name="grant__settings__edit"' in page
    assert 'name="grant__batches__edit"' in page
    assert 'name="grant__companies__assign"' in page
    for meaningless in ("users__delete", "audit__edit", "roles__export", "settings__assign"):
        assert f'name="grant__{meaningless}"' not in page
    # a global right offers only "all"
    form = client.get("/settings/roles/new/").context["form"]
    assert [value for value, _label in form.fields["grant__settings__edit"].choices] == ["", "all"]
    assert [value for value, _label in form.fields["grant__batches__view"].choices] == [
        "",
        "own",
        "team",
        "branch",
        "all",
    ]


def test_role_page_refuses_a_wider_role_with_a_field_error(
    personas: Personas, client: Client
) -> None:
    personas.outsider.roles.set([_role_editor()])
    client.force_login(personas.outsider)
    response = client.post(
        "/settings/roles/new/",
        {"name": "Wide", "code": "wide", "grant__companies__view": "all"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["grant__companies__view"]
    assert not Role.objects.filter(code="wide").exists()


def test_the_user_page_offers_an_assigner_only_what_they_may_change(
    personas: Personas, client: Client
) -> None:
    # Given a branch head who may assign their branch's people but not edit their details
    boss = personas.branch_head_a
    role = Role.objects.create(code="branch_assigner", name="Branch assigner")
    for action in ("view", "assign"):
        RoleGrant.objects.create(role=role, entity="users", action=action, scope="branch")
    boss.roles.add(role)
    target = personas.manager_a
    client.force_login(boss)
    # When they open a branch member's page
    response = client.get(f"/settings/users/{target.pk}/")
    assert response.status_code == 200
    form = response.context["form"]
    # Then details are read-only, and only roles within their rights are offered
    assert form.fields["email"].disabled and form.fields["username"].disabled
    assert not form.fields["roles"].disabled
    offered = set(form.fields["roles"].queryset.values_list("code", flat=True))
    assert "administrator" not in offered and "head_of_sales" not in offered
    assert {"sales_manager", "service_agent", "branch_head"} <= offered
    # and saving a new role works while the details stay as they were
    response = client.post(
        f"/settings/users/{target.pk}/",
        {
            "username": "renamed",
            "email": "other@example.ru",
            "branch": target.branch_id,
            "language": target.language,
            "is_active": "on",
            "roles": [Role.objects.get(code="service_agent").pk],
            "version": target.version,
        },
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.username == "manager_a" and target.email == "manager_a@example.ru"
    assert _state(target)[0] == ["service_agent"]


def test_no_api_token_for_someone_who_holds_more(personas: Personas) -> None:
    from kartoteka.accounts.services import token_create
    from kartoteka.core.errors import ForbiddenError

    boss = personas.branch_head_a
    boss.roles.add(_people_manager_role())
    with pytest.raises(ForbiddenError):
        token_create(actor=boss, user=personas.admin, name="takeover")
    assert not personas.admin.api_tokens.exists()


def test_a_user_without_any_role_reads_their_own_record(personas: Personas, api: Any) -> None:
    response = api(personas.outsider).get("/api/v1/users/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "outsider" and response.json()["roles"] == []
