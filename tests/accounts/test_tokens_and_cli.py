"""API tokens (hashed, expiring, revocable) and the `kartoteka` command."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from kartoteka import cli
from kartoteka.accounts.models import ApiToken, Branch, User
from kartoteka.clients.models import Company, Contact, ContactPhone, Employment
from kartoteka.core.inn import is_valid_inn
from tests.conftest import Personas


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_token_create_prints_a_working_token_as_last_line(personas: Personas, capsys: Any) -> None:
    assert cli.main(["token", "create", "manager_a"]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    response = bearer(key).get("/api/v1/users/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "manager_a"


def test_tokens_are_stored_hashed(personas: Personas, capsys: Any) -> None:
    cli.main(["token", "create", "manager_a"])
    key = capsys.readouterr().out.strip().splitlines()[-1]
    stored = ApiToken.objects.get(user=personas.manager_a)
    assert key not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == ApiToken.hash_key(key)


def test_expired_and_revoked_tokens_are_refused(personas: Personas, capsys: Any) -> None:
    cli.main(["token", "create", "manager_a"])
    key = capsys.readouterr().out.strip().splitlines()[-1]
    token = ApiToken.objects.get(user=personas.manager_a)
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()
    assert bearer(key).get("/api/v1/users/me/").status_code == 401
    token.expires_at = timezone.now() + timedelta(days=1)
    token.revoked_at = timezone.now()
    token.save()
    response = bearer(key).get("/api/v1/users/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_token_page_creates_shows_once_and_revokes(client: Any, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    page = client.post("/profile/", {"form": "token", "name": "1C", "days": 30})
    key = page.context["new_token"]
    assert key.startswith("kt_") and key in page.content.decode()
    assert key not in client.get("/profile/").content.decode()
    assert bearer(key).get("/api/v1/users/me/").status_code == 200
    token = ApiToken.objects.get(user=personas.manager_a)
    client.post(f"/profile/tokens/{token.pk}/revoke/")
    assert bearer(key).get("/api/v1/users/me/").status_code == 401


def test_token_for_unknown_user_fails(db: Any, capsys: Any) -> None:
    assert cli.main(["token", "create", "ghost"]) == 1
    assert "ghost" in capsys.readouterr().err


def test_createadmin_makes_a_superuser_administrator(db: Any, capsys: Any) -> None:
    assert cli.main(["createadmin", "boss", "--password", "Osen-2026-kartoteka"]) == 0
    boss = User.objects.get(username="boss")
    assert boss.is_superuser and boss.check_password("Osen-2026-kartoteka")
    assert [role.code for role in boss.roles.all()] == ["administrator"]


def test_createadmin_refuses_a_weak_password(db: Any, capsys: Any) -> None:
    assert cli.main(["createadmin", "boss", "--password", "123"]) == 1
    assert "password" in capsys.readouterr().err
    assert not User.objects.filter(username="boss").exists()


def test_demo_builds_a_realistic_company(db: Any, capsys: Any) -> None:
    assert cli.main(["demo", "--size", "300"]) == 0
    output = capsys.readouterr().out
    assert "admin" in output and "password" in output
    assert Branch.objects.count() == 5
    assert User.objects.count() >= 15
    assert set(User.objects.values_list("roles__code", flat=True)) >= {
        "administrator",
        "head_of_sales",
        "branch_head",
        "sales_manager",
        "service_agent",
        "marketer",
        "auditor",
    }
    assert Contact.objects.count() == 300
    assert Company.objects.count() == 90
    firms = list(Company.objects.values_list("legal_form", "inn"))
    assert all(is_valid_inn(inn) for _form, inn in firms)
    # A sole proprietor is registered as a person: 12 digits; an organisation has 10.
    assert {(form == "ИП", len(inn)) for form, inn in firms} == {(True, 12), (False, 10)}
    phones = list(ContactPhone.objects.values_list("number", flat=True))
    assert len(phones) == 300
    assert all(phone.startswith("+7") and len(phone) == 12 for phone in phones)
    assert Employment.objects.count() > 100  # most people work at a company of their branch
    assert not Employment.objects.exclude(company__branch=models_f("contact__branch")).exists()
    # Every record sits in its owner's branch, so scoping by branch and by owner agree.
    assert not Contact.objects.exclude(branch=models_f("owner__branch")).exists()
    # Running it again adds nothing and keeps the password.
    password = output.split("password (every demo user has it): ")[1].split()[0]
    cli.main(["demo", "--size", "300"])
    assert Contact.objects.count() == 300
    assert password in capsys.readouterr().out
    assert User.objects.get(username="admin").check_password(password)


def models_f(name: str) -> Any:
    from django.db.models import F

    return F(name)


@pytest.mark.parametrize("size", ["huge", "-5"])
def test_demo_rejects_a_bad_size(db: Any, size: str) -> None:
    with pytest.raises(SystemExit):
        cli.main(["demo", "--size", size])


def test_check_reports_database_and_queue(db: Any, capsys: Any) -> None:
    assert cli.main(["check"]) == 0
    out = capsys.readouterr().out
    assert "database: ok" in out and "job queue: ok" in out
