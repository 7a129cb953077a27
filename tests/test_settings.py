"""Configuration comes from KARTOTEKA_* variables; a malformed one stops start-up by name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KARTOTEKA_")}
    environment.update({"KARTOTEKA_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-m", "kartoteka.cli", "check"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "name,value",
    [
        ("KARTOTEKA_PORT", "eighty"),
        ("KARTOTEKA_DEBUG", "maybe"),
        ("KARTOTEKA_DATABASE_URL", "mysql-ish://nowhere"),
        ("KARTOTEKA_LANGUAGE", "de"),
        ("KARTOTEKA_TIME_ZONE", "Mars/Olympus"),
        ("KARTOTEKA_REDIS_URL", "localhost:6379"),
        ("KARTOTEKA_LOGIN_MAX_FAILURES", "0"),
    ],
)
def test_malformed_value_stops_startup_naming_the_variable(
    tmp_path: Path, name: str, value: str
) -> None:
    result = run_check(tmp_path, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = run_check(tmp_path)
    key_file = tmp_path / "secret_key"
    assert key_file.exists(), first.stderr
    key = key_file.read_text()
    assert len(key) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    run_check(tmp_path)
    assert key_file.read_text() == key


def test_secret_key_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "given"
    secret.write_text("x" * 60)
    result = run_check(tmp_path, KARTOTEKA_SECRET_KEY_FILE=str(secret))
    assert not (tmp_path / "secret_key").exists(), result.stderr


def test_debug_is_off_unless_asked_for() -> None:
    from django.conf import settings

    assert settings.DEBUG is False


def test_embedded_database_is_sqlite_in_wal_mode_by_default(tmp_path: Path) -> None:
    result = run_check(tmp_path)
    assert "database: ok (sqlite)" in result.stdout or "not applied" in result.stdout, result.stderr
    import sqlite3

    connection = sqlite3.connect(tmp_path / "kartoteka.sqlite3")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_readme_documents_every_variable() -> None:
    import re

    root = Path(__file__).resolve().parent.parent
    used: set[str] = set()
    for folder in ("src", "bin", ".ci"):
        for path in (root / folder).rglob("*"):
            if path.is_file() and path.suffix in {".py", ""} or path.name.endswith(".sh"):
                text = path.read_text(encoding="utf-8", errors="ignore")
                used |= set(re.findall(r"KARTOTEKA_[A-Z_]+[A-Z]", text))
    settings_text = (root / "src/kartoteka/settings.py").read_text(encoding="utf-8")
    used |= {"KARTOTEKA_" + name for name in re.findall(r'env_\w+\(\s*"([A-Z_]+)"', settings_text)}
    readme = (root / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"KARTOTEKA_[A-Z_]+[A-Z]", readme))
    missing = sorted(used - documented - {"KARTOTEKA_"})
    assert not missing, f"document in README.md: {missing}"
