"""The `kartoteka` command takes its defaults from the settings, never from the environment."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import management
from django.test import override_settings

from kartoteka import cli
from kartoteka.accounts.models import User


@pytest.fixture
def uvicorn_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `serve` would start uvicorn with; collectstatic is not what is tested here."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    monkeypatch.setattr(management, "call_command", lambda *args, **options: None)
    return calls


@override_settings(SERVER_WORKERS=3, FORWARDED_ALLOW_IPS=["10.0.0.0/8"], SERVER_PORT=8123)
def test_serve_starts_the_server_as_the_settings_say(uvicorn_runs: list[dict[str, Any]]) -> None:
    assert cli.main(["serve"]) == 0
    assert uvicorn_runs[-1]["workers"] == 3
    assert uvicorn_runs[-1]["forwarded_allow_ips"] == ["10.0.0.0/8"]
    assert uvicorn_runs[-1]["port"] == 8123

    assert cli.main(["serve", "--workers", "2", "--port", "9000"]) == 0
    assert (uvicorn_runs[-1]["workers"], uvicorn_runs[-1]["port"]) == (2, 9000)


@pytest.mark.django_db
@override_settings(ADMIN_PASSWORD="from-the-settings-42")
def test_createadmin_takes_the_password_from_the_settings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["createadmin", "boss"]) == 0

    boss = User.objects.get(username="boss")
    assert boss.check_password("from-the-settings-42")
    assert boss.is_superuser
    assert "from-the-settings-42" not in capsys.readouterr().out  # printed only when generated


@pytest.mark.django_db
@override_settings(ADMIN_PASSWORD="")
def test_createadmin_without_a_password_generates_and_prints_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["createadmin", "boss"]) == 0

    password = capsys.readouterr().out.strip().splitlines()[-1].removeprefix("Password: ")
    assert User.objects.get(username="boss").check_password(password)
