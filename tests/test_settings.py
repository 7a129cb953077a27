"""Configuration comes from KARTOTEKA_* variables; a malformed one stops start-up by name."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = ROOT / "src" / "kartoteka" / "settings.py"
# The console script pip installed beside this interpreter: what an administrator runs.
KARTOTEKA = Path(sys.executable).with_name("kartoteka")
VARIABLE = r"KARTOTEKA_[A-Z0-9_]*[A-Z0-9]"


def clean_environment(tmp_path: Path, **env: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KARTOTEKA_")}
    environment.update({"KARTOTEKA_DATA_DIR": str(tmp_path), **env})
    environment["DJANGO_SETTINGS_MODULE"] = "kartoteka.settings"
    return environment


def run_kartoteka(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    assert KARTOTEKA.exists(), f"{KARTOTEKA} is missing: pip install -e . installs it"
    return subprocess.run(
        [str(KARTOTEKA), *args],
        capture_output=True,
        text=True,
        env=clean_environment(tmp_path, **env),
        timeout=120,
        check=False,
    )


def run_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_kartoteka(tmp_path, "check", **env)


def read_settings(tmp_path: Path, expression: str, **env: str) -> str:
    """``expression`` over the settings a fresh process reads from ``env`` (and nothing else)."""
    script = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=clean_environment(tmp_path, **env),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    "name,value,command",
    [
        ("KARTOTEKA_WEB_WORKERS", "two", ["check"]),
        ("KARTOTEKA_WEB_WORKERS", "two", ["serve"]),
        ("KARTOTEKA_WEB_WORKERS", "0", ["serve", "--port", "8999"]),
        ("KARTOTEKA_WEB_WORKERS", "two", ["worker"]),
        ("KARTOTEKA_WEB_WORKERS", "two", ["demo"]),
        ("KARTOTEKA_PORT", "eighty", ["serve"]),
        ("KARTOTEKA_FORWARDED_ALLOW_IPS", "lb.internal", ["serve"]),
        ("KARTOTEKA_FORWARDED_ALLOW_IPS", "10.0.0.1/8", ["serve"]),
        ("KARTOTEKA_CSRF_TRUSTED_ORIGINS", "crm.example.ru", ["serve"]),
        ("KARTOTEKA_ADMIN_PASSWORD_FILE", "/nonexistent/admin-password", ["createadmin", "boss"]),
        ("KARTOTEKA_DEBUG", "maybe", ["check"]),
        ("KARTOTEKA_DATABASE_URL", "mysql-ish://nowhere", ["migrate"]),
        ("KARTOTEKA_DATABASE_URL", "postgres://kartoteka@db.internal:5432", ["migrate"]),
        ("KARTOTEKA_LANGUAGE", "de", ["demo"]),
        ("KARTOTEKA_TIME_ZONE", "Mars/Olympus", ["worker"]),
        ("KARTOTEKA_REDIS_URL", "localhost:6379", ["worker"]),
        ("KARTOTEKA_WORKER_THREADS", "many", ["worker"]),
        ("KARTOTEKA_LOGIN_MAX_FAILURES", "0", ["token", "create", "boss"]),
    ],
)
def test_malformed_value_stops_every_command_naming_the_variable(
    tmp_path: Path, name: str, value: str, command: list[str]
) -> None:
    result = run_kartoteka(tmp_path, *command, **{name: value})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith(f"kartoteka: configuration error: {name}={value!r} ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""  # stopped before doing anything: nothing served, migrated, filled
    assert not (tmp_path / "kartoteka.sqlite3").exists()


def test_well_formed_server_values_are_read(tmp_path: Path) -> None:
    password_file = tmp_path / "admin-password"
    password_file.write_text("from-a-file-1234\n")
    read = read_settings(
        tmp_path,
        "settings.SERVER_WORKERS, settings.FORWARDED_ALLOW_IPS, settings.CSRF_TRUSTED_ORIGINS,"
        " settings.ADMIN_PASSWORD",
        KARTOTEKA_WEB_WORKERS="3",
        KARTOTEKA_FORWARDED_ALLOW_IPS="10.0.0.0/8, 192.168.1.5,::1",
        KARTOTEKA_CSRF_TRUSTED_ORIGINS="https://crm.example.ru",
        KARTOTEKA_ADMIN_PASSWORD_FILE=str(password_file),
    )
    assert read == (
        "3 ['10.0.0.0/8', '192.168.1.5', '::1'] ['https://crm.example.ru'] from-a-file-1234"
    )
    any_proxy = read_settings(
        tmp_path, "settings.FORWARDED_ALLOW_IPS", KARTOTEKA_FORWARDED_ALLOW_IPS="*"
    )
    assert any_proxy == "['*']"
    assert read_settings(tmp_path, "settings.SERVER_WORKERS, settings.FORWARDED_ALLOW_IPS") == (
        "1 ['127.0.0.1']"
    )


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


@pytest.mark.parametrize(
    "value,expected", [(None, "False"), ("1", "True"), ("on", "True"), ("false", "False")]
)
def test_debug_is_off_unless_asked_for(tmp_path: Path, value: str | None, expected: str) -> None:
    # In a fresh process: pytest-django turns DEBUG off inside the test run whatever the settings
    # say, so reading it here would pass even if the default were on.
    env = {} if value is None else {"KARTOTEKA_DEBUG": value}
    assert read_settings(tmp_path, "settings.DEBUG", **env) == expected


def test_embedded_database_is_sqlite_in_wal_mode_by_default(tmp_path: Path) -> None:
    result = run_check(tmp_path)
    assert "database: ok (sqlite)" in result.stdout or "not applied" in result.stdout, result.stderr
    import sqlite3

    connection = sqlite3.connect(tmp_path / "kartoteka.sqlite3")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- Where variables are read, and README's list of them ------------------------------------------


def is_reader(function: ast.expr) -> bool:
    return isinstance(function, ast.Name) and (
        function.id.startswith("env_") or function.id == "_raw"
    )


def variables_settings_reads() -> set[str]:
    """Every variable settings.py reads, from its source: each env_*() call names one literally."""
    tree = ast.parse(SETTINGS_FILE.read_text(encoding="utf-8"))
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef) and is_reader(ast.Name(id=statement.name)):
            continue  # the helpers read whatever name they are given
        for node in ast.walk(statement):
            if not (isinstance(node, ast.Call) and is_reader(node.func)):
                continue
            argument = node.args[0]
            assert isinstance(argument, ast.Constant) and isinstance(argument.value, str), (
                f"settings.py:{node.lineno} reads a variable by a computed name; name it literally"
            )
            names.add("KARTOTEKA_" + argument.value)
            if isinstance(node.func, ast.Name) and node.func.id == "env_secret":
                names.add(f"KARTOTEKA_{argument.value}_FILE")
    return names


def variables_tooling_reads() -> set[str]:
    """What the shell scripts and the test suite read themselves (no settings at that point)."""
    names: set[str] = set()
    for path in [*(ROOT / "bin").iterdir(), *(ROOT / ".ci").iterdir()]:
        names |= set(re.findall(r"\$\{?(" + VARIABLE + ")", path.read_text(encoding="utf-8")))
    for path in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"environ(?:\.get\(|\[)\s*[\"'](" + VARIABLE + ")", text))
    return names


def variables_readme_documents() -> set[str]:
    """The first column of the table under README's "## Configuration"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in section.splitlines():
        if row.startswith("| `KARTOTEKA_"):
            names |= set(re.findall(VARIABLE, row.split("|")[1]))
    return names


def test_readme_documents_every_variable_that_is_read() -> None:
    from_settings = variables_settings_reads()
    # The parsers must find what is certainly there, or an empty set would pass.
    assert {"KARTOTEKA_DEBUG", "KARTOTEKA_WEB_WORKERS", "KARTOTEKA_EMAIL_PASSWORD_FILE"} <= (
        from_settings
    )
    assert "KARTOTEKA_PYTHON" in variables_tooling_reads()
    missing = sorted(from_settings - variables_readme_documents())
    assert not missing, f"settings.py reads these; add them to README's Configuration: {missing}"
    missing = sorted(variables_tooling_reads() - variables_readme_documents())
    assert not missing, f"scripts or tests read these; add them to README's table: {missing}"


def test_readme_documents_no_variable_that_nothing_reads() -> None:
    stale = variables_readme_documents() - variables_settings_reads() - variables_tooling_reads()
    assert not stale, f"README's Configuration lists variables nothing reads: {sorted(stale)}"


def environment_reads(path: Path) -> list[int]:
    """Lines of every ``os.environ`` / ``os.getenv`` use in a file, but for naming the settings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed: set[int] = set()
    for node in ast.walk(tree):
        # Pointing Django at the settings module is the one thing callers may do.
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setdefault"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "DJANGO_SETTINGS_MODULE"
        ):
            allowed.add(id(node.func.value))
        if path == SETTINGS_FILE and isinstance(node, ast.FunctionDef) and node.name == "_raw":
            allowed |= {id(inner) for inner in ast.walk(node)}  # the settings' one reader
    found = []
    for node in ast.walk(tree):
        uses_os = (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr in {"environ", "environb", "getenv", "getenvb"}
        )
        imports_from_os = (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(alias.name.startswith(("environ", "getenv")) for alias in node.names)
        )
        if (uses_os or imports_from_os) and id(node) not in allowed:
            found.append(int(getattr(node, "lineno", 0)))
    return sorted(found)


def test_only_the_settings_module_reads_the_environment(tmp_path: Path) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in (ROOT / "src").rglob("*.py")
        for line in environment_reads(path)
    ]
    assert not found, f"read KARTOTEKA_* variables in settings.py (env_* helpers): {found}"
    # The check sees a read where there is one.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "from os import getenv\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'kartoteka.settings')\n"
        "workers = int(os.environ.get('KARTOTEKA_WEB_WORKERS', '1'))\n"
    )
    assert environment_reads(sample) == [2, 4]
