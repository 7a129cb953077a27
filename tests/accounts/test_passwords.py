"""Changing a password needs the current one, ends other sessions and tokens, and is throttled."""

from __future__ import annotations

from typing import Any

from django.test import Client

from kartoteka.accounts.models import ApiToken
from kartoteka.core.models import AuditEntry
from tests.conftest import Personas
from tests.factories.accounts import PASSWORD

NEW = "Zima-2026-kartoteka"


def _patch_password(client: Any, user: Any, **body: Any) -> Any:
    user.refresh_from_db()
    return client.patch(
        f"/api/v1/users/{user.pk}/", {**body, "version": user.version}, format="json"
    )


def test_api_password_change_needs_the_current_password(personas: Personas, api: Any) -> None:
    me = personas.manager_a
    client = api(me)
    # Without the current password, or with a wrong one: refused, the password stays
    assert _patch_password(client, me, password=NEW).status_code == 400
    response = _patch_password(client, me, password=NEW, current_password="wrong-guess-1")
    assert response.status_code == 400
    assert "current_password" in response.json()["error"]["fields"]
    me.refresh_from_db()
    assert me.check_password(PASSWORD) and not me.check_password(NEW)
    # With it: changed
    response = _patch_password(client, me, password=NEW, current_password=PASSWORD)
    assert response.status_code == 200, response.content
    assert "current_password" not in response.json()
    me.refresh_from_db()
    assert me.check_password(NEW)


def test_a_wrong_current_password_changes_nothing_else(personas: Personas, api: Any) -> None:
    me = personas.manager_a
    response = _patch_password(
        api(me), me, first_name="Другое", password=NEW, current_password="wrong-guess-1"
    )
    assert response.status_code == 400
    me.refresh_from_db()
    assert me.first_name != "Другое" and me.check_password(PASSWORD)


def test_password_change_revokes_api_tokens(personas: Personas, api: Any) -> None:
    me = personas.manager_a
    client, other_program = api(me), api(me)
    assert other_program.get("/api/v1/users/me/").status_code == 200
    assert _patch_password(client, me, password=NEW, current_password=PASSWORD).status_code == 200
    # Every token of the user stops working, the one that made the change included
    assert other_program.get("/api/v1/users/me/").status_code == 401
    assert client.get("/api/v1/users/me/").status_code == 401
    assert not ApiToken.objects.filter(user=me, revoked_at__isnull=True).exists()


def test_page_password_change_ends_other_sessions_and_tokens_but_not_this_one(
    client: Client, personas: Personas, api: Any
) -> None:
    me = personas.manager_a
    program = api(me)
    other_browser = Client()
    other_browser.force_login(me)
    assert other_browser.get("/").status_code == 200
    client.force_login(me)
    response = client.post(
        "/profile/",
        {
            "form": "password",
            "old_password": PASSWORD,
            "new_password": NEW,
            "new_password_again": NEW,
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session carries on
    assert other_browser.get("/").status_code == 302  # the other one is over
    assert program.get("/api/v1/users/me/").status_code == 401


def test_administrator_resets_someone_elses_password_without_theirs(
    personas: Personas, api: Any
) -> None:
    target = personas.manager_a
    program = api(target)
    response = _patch_password(api(personas.admin), target, password=NEW)
    assert response.status_code == 200, response.content
    target.refresh_from_db()
    assert target.check_password(NEW)
    assert program.get("/api/v1/users/me/").status_code == 401


def test_nobody_else_resets_a_password(personas: Personas, api: Any) -> None:
    target = personas.manager_a
    for persona in ("head", "branch_head_a", "teammate_a", "service_a", "auditor"):
        response = _patch_password(api(getattr(personas, persona)), target, password=NEW)
        assert response.status_code in (403, 404), persona
    target.refresh_from_db()
    assert target.check_password(PASSWORD)


def test_administrator_changing_their_own_password_on_the_user_page_needs_it(
    client: Client, personas: Personas
) -> None:
    me = personas.admin
    client.force_login(me)
    post = {
        "username": me.username,
        "first_name": me.first_name,
        "last_name": me.last_name,
        "email": me.email,
        "branch": me.branch_id,
        "language": me.language,
        "is_active": "on",
        "roles": [role.pk for role in me.roles.all()],
        "password": NEW,
        "version": me.version,
    }
    response = client.post(f"/settings/users/{me.pk}/", post)
    assert response.status_code == 422
    me.refresh_from_db()
    assert me.check_password(PASSWORD)
    response = client.post(f"/settings/users/{me.pk}/", {**post, "current_password": PASSWORD})
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.check_password(NEW)
    assert client.get("/").status_code == 200


def test_wrong_current_passwords_are_throttled_like_logins(
    personas: Personas, api: Any, settings: Any
) -> None:
    me = personas.manager_a
    client = api(me)
    statuses = [
        _patch_password(client, me, password=NEW, current_password=f"wrong-guess-{n}").status_code
        for n in range(settings.LOGIN_MAX_FAILURES)
    ]
    assert statuses[:-1] == [400] * (settings.LOGIN_MAX_FAILURES - 1)
    assert statuses[-1] == 429
    # While locked even the right password is refused, and logging in is locked too
    response = _patch_password(client, me, password=NEW, current_password=PASSWORD)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_attempts"
    me.refresh_from_db()
    assert me.check_password(PASSWORD)
    login = Client().post("/login/", {"username": me.username, "password": PASSWORD})
    assert login.status_code == 429
    assert AuditEntry.objects.filter(action="lockout", object_id=me.pk).exists()


def test_profile_page_throttles_wrong_current_passwords(
    client: Client, personas: Personas, settings: Any
) -> None:
    client.force_login(personas.manager_a)
    post = {"form": "password", "new_password": NEW, "new_password_again": NEW}
    statuses = [
        client.post("/profile/", {**post, "old_password": f"wrong-{n}"}).status_code
        for n in range(settings.LOGIN_MAX_FAILURES)
    ]
    assert statuses[0] == 422 and statuses[-1] == 429
    response = client.post("/profile/", {**post, "old_password": PASSWORD})
    assert response.status_code == 429
    personas.manager_a.refresh_from_db()
    assert personas.manager_a.check_password(PASSWORD)
