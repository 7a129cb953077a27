"""Login, lockout, logout, password change, per-user language, Argon2."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kartoteka.accounts.models import LoginThrottle
from kartoteka.core.models import AuditEntry
from tests.conftest import Personas
from tests.factories.accounts import PASSWORD


def post_login(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_login_with_right_password_opens_my_day(client: Client, personas: Personas) -> None:
    response = post_login(client, "manager_a", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="login", object_id=personas.manager_a.pk).count() == 1


@pytest.mark.parametrize(
    "language,message",
    [("en", "Wrong username or password."), ("ru", "Неверный логин или пароль.")],
)
def test_wrong_password_is_refused_with_a_message(
    client: Client, personas: Personas, language: str, message: str
) -> None:
    client.cookies["kartoteka_language"] = language
    response = post_login(client, "manager_a", "not-the-password")
    assert response.status_code == 401
    assert message in response.content.decode()
    assert client.get("/").status_code == 302  # still anonymous: sent to login


def test_lockout_after_repeated_failures_refuses_even_the_right_password(
    client: Client, personas: Personas, settings: Any
) -> None:
    for _ in range(settings.LOGIN_MAX_FAILURES):
        post_login(client, "manager_a", "guess")
    response = post_login(client, "manager_a", PASSWORD)
    assert response.status_code == 429
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="lockout", object_id=personas.manager_a.pk).count() == 1


def test_lockout_expires(client: Client, personas: Personas, settings: Any) -> None:
    for _ in range(settings.LOGIN_MAX_FAILURES):
        post_login(client, "manager_a", "guess")
    LoginThrottle.objects.filter(username="manager_a").update(locked_until=timezone.now())
    assert post_login(client, "manager_a", PASSWORD).status_code == 302


def test_unknown_usernames_are_throttled_alike(
    client: Client, personas: Personas, settings: Any
) -> None:
    for _ in range(settings.LOGIN_MAX_FAILURES):
        post_login(client, "nobody", "guess")
    assert post_login(client, "nobody", "guess").status_code == 429


def test_logout_needs_post_and_ends_the_session(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_password_change(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/profile/",
        {
            "form": "password",
            "old_password": PASSWORD,
            "new_password": "Zima-2026-kartoteka",
            "new_password_again": "Zima-2026-kartoteka",
        },
    )
    assert response.status_code == 302
    personas.manager_a.refresh_from_db()
    assert personas.manager_a.check_password("Zima-2026-kartoteka")
    assert client.get("/").status_code == 200  # the session survives its own password change


@pytest.mark.parametrize(
    "new,error_field", [("12345", "new_password"), ("password123", "new_password")]
)
def test_weak_password_is_refused(
    client: Client, personas: Personas, new: str, error_field: str
) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/profile/",
        {
            "form": "password",
            "old_password": PASSWORD,
            "new_password": new,
            "new_password_again": new,
        },
    )
    assert response.status_code == 422
    assert response.context["password_form"].errors[error_field]
    personas.manager_a.refresh_from_db()
    assert personas.manager_a.check_password(PASSWORD)


def test_user_language_drives_the_interface(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    assert client.get("/").headers["Content-Language"] == "en"
    response = client.post(
        "/profile/", {"form": "language", "language": "ru", "version": personas.manager_a.version}
    )
    assert response.status_code == 302
    page = client.get("/")
    assert page.headers["Content-Language"] == "ru"
    assert '<html lang="ru">' in page.content.decode()
    assert "Мой день" in page.content.decode()


def test_login_page_language_switch(client: Client, db: Any) -> None:
    client.get("/login/language/en/")
    assert "Log in" in client.get("/login/").content.decode()
    client.get("/login/language/ru/")
    assert "Войти" in client.get("/login/").content.decode()


def test_passwords_are_hashed_with_argon2(personas: Personas, settings: Any) -> None:
    from kartoteka.accounts.services import user_create

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = user_create(
        actor=personas.admin,
        username="fresh",
        password="Leto-2026-kartoteka",
        branch=personas.branch_a,
    )
    assert user.password.startswith("argon2")


def test_idle_session_ends(client: Client, personas: Personas, settings: Any) -> None:
    client.force_login(personas.manager_a)
    client.get("/")
    session = client.session
    session["kartoteka_last_seen"] = (
        int(timezone.now().timestamp()) - int(settings.SESSION_IDLE.total_seconds()) - 5
    )
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_administrator_deactivates_a_user_on_the_page(
    client: Client, personas: Personas, api: Any
) -> None:
    target = personas.manager_a
    token_client = api(target)
    their_browser = Client()
    their_browser.force_login(target)
    client.force_login(personas.admin)
    response = client.post(
        f"/settings/users/{target.pk}/",
        {
            "username": target.username,
            "first_name": target.first_name,
            "last_name": target.last_name,
            "email": target.email,
            "branch": target.branch_id,
            "language": "en",
            "version": target.version,
            "roles": [role.pk for role in target.roles.all()],
        },
    )  # "is_active" unticked
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_active is False
    assert token_client.get("/api/v1/users/me/").status_code == 401
    assert their_browser.get("/").status_code == 302
    assert post_login(Client(), target.username, PASSWORD).status_code == 401
    entry = AuditEntry.objects.filter(
        action="update", object_id=target.pk, content_type__model="user"
    ).get()
    assert entry.changes["is_active"] == [True, False]
