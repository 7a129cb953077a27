"""Real processes: a sender killed mid-send (SIGKILL) loses and duplicates nothing; `serve`
streams the bell live, answers other requests meanwhile, and runs the job queue itself.

Each test gets a database of its own that the subprocesses share: a SQLite file, or on
PostgreSQL (when the suite runs there) a fresh database beside the test database.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from tests.conftest import copy_migrated, require_in_ci
from tests.reminders.conftest import Sink, free_port

PASSWORD = "correct-horse-battery-9"
DEADLINE = 60.0


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KARTOTEKA_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update({"KARTOTEKA_DATA_DIR": str(data_dir), "KARTOTEKA_LOG_LEVEL": "ERROR", **extra})
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300, check=True
    )


def scenario(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = run(env, "-m", "tests.reminders.scenario", *args).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _postgres_params() -> dict[str, Any]:
    base = dict(settings.DATABASES["default"])
    return {
        "host": base.get("HOST") or "127.0.0.1",
        "port": base.get("PORT") or 5432,
        "user": base.get("USER") or "postgres",
        "password": base.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }


def _postgres_url(name: str) -> str:
    params = _postgres_params()
    auth = params["user"]
    if params["password"]:
        auth += ":" + urllib.parse.quote(str(params["password"]))
    return f"postgres://{auth}@{params['host']}:{params['port']}/{name}"


def _postgres_admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect(**_postgres_params()) as admin:
        for statement in statements:
            admin.execute(statement)


@pytest.fixture(scope="module")
def migrated_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database migrated once for this module: each test copies it as a template."""
    name = f"kt_reminders_template_{os.getpid()}"
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    env = _environment(
        tmp_path_factory.mktemp("template"), KARTOTEKA_DATABASE_URL=_postgres_url(name)
    )
    run(env, "-m", "kartoteka.cli", "migrate", "--verbosity", "0")
    yield name
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A migrated database for subprocesses, of the kind the suite runs on, copied from one
    migrated once (migrating from nothing takes seconds, a copy milliseconds)."""
    if not settings.DATABASE_IS_POSTGRES:
        copy_migrated(request.getfixturevalue("migrated_embedded_db"), tmp_path)
        yield _environment(tmp_path)
        return
    template = request.getfixturevalue("migrated_postgres")
    name = f"kt_reminders_proc_{os.getpid()}"
    _postgres_admin(
        f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}" TEMPLATE "{template}"'
    )
    yield _environment(tmp_path, KARTOTEKA_DATABASE_URL=_postgres_url(name))
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mail_env(env: dict[str, str], port: int) -> dict[str, str]:
    return {
        **env,
        "KARTOTEKA_EMAIL_HOST": "127.0.0.1",
        "KARTOTEKA_EMAIL_PORT": str(port),
        "KARTOTEKA_EMAIL_FROM": "crm@romashka.ru",
    }


def jobs_run(env: dict[str, str], when: datetime) -> str:
    return run(env, "-m", "kartoteka.cli", "jobs", "run", "--at", when.isoformat()).stdout


def moment() -> datetime:
    return timezone.now().replace(second=0, microsecond=0) + timedelta(days=1)


@pytest.mark.parametrize("caught_at", ["RCPT", "DATA"])
def test_a_sender_killed_mid_send_loses_and_duplicates_nothing(
    shared_db: dict[str, str], smtp: tuple[Sink, int], caught_at: str
) -> None:
    sink, port = smtp
    env = mail_env(shared_db, port)
    due = moment()
    scenario(env, "setup", due.isoformat(), PASSWORD)

    # The mail server stops answering in the middle of the conversation; the sender is killed.
    sink.hold_on = caught_at
    sender = subprocess.Popen(
        [sys.executable, "-m", "kartoteka.cli", "jobs", "run", "--at", due.isoformat()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert sink.holding.wait(DEADLINE), "the sender never reached the mail server"
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=DEADLINE)
    finally:
        if sender.poll() is None:
            sender.kill()
    sink.hold_on = ""
    sink.release.set()

    state = scenario(env, "status")
    assert state["notifications"] == 1  # the bell's line was written and marked before
    [(_c, mail_state, attempts, message_id), (_c2, in_app_state, _a, _m)] = state["deliveries"]
    assert (in_app_state, mail_state, attempts) == ("sent", "sending", 1)

    # While the dead sender's claim holds, nobody sends it again...
    jobs_run(env, due + timedelta(minutes=2))
    assert scenario(env, "status")["deliveries"][0][1] == "sending"
    # ...once it has run out, the next run sends it, with the Message-ID fixed beforehand.
    out = jobs_run(env, due + timedelta(minutes=7))
    assert "sent 1" in out
    state = scenario(env, "status")
    assert state["notifications"] == 1
    assert [(d[0], d[1], d[2]) for d in state["deliveries"]] == [
        ("email", "sent", 2),
        ("in_app", "sent", 1),
    ]
    assert all(found == message_id for found in sink.message_ids())
    # One mail arrived, whether the sender died before the server had the message (RCPT) or
    # after the server had all of it but before its "250 OK" reached the sender (DATA).
    assert len(sink.messages) == 1
    if caught_at == "DATA":
        assert len(sink.unanswered) == 1  # the dead sender had handed over the whole message
        # This server drops a message whose sender vanished before the answer. One that kept
        # it (the one moment SMTP cannot settle, RFC 1047) would hold two copies with one
        # Message-ID, which mail stores keep once: at least once, never lost.
    jobs_run(env, due + timedelta(hours=1))  # and nothing more, ever
    assert len(set(sink.message_ids())) == 1
    assert scenario(env, "status")["notifications"] == 1


# --- serve: the live bell ------------------------------------------------------------------------
class Browser:
    """Just enough of a browser: cookies, the CSRF token, a login."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, timeout: float = 10) -> bytes:
        with self.opener.open(self.base + path, timeout=timeout) as answer:
            return bytes(answer.read())

    def log_in(self, username: str, password: str) -> None:
        page = self.get("/login/").decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
        ).encode()
        request = urllib.request.Request(
            self.base + "/login/", data=body, headers={"Referer": self.base + "/login/"}
        )
        with self.opener.open(request, timeout=10) as answer:
            assert "/login/" not in answer.url

    def stream(self) -> Any:
        return self.opener.open(self.base + "/notifications/stream/", timeout=DEADLINE)


def next_update(stream: Any) -> dict[str, Any]:
    """The next ``update`` event of an open stream (the socket's timeout is the deadline)."""
    event = ""
    while True:
        line = stream.readline().decode()
        if line == "":
            raise AssertionError("the stream ended")
        if line.startswith("event: "):
            event = line[7:].strip()
        elif line.startswith("data: ") and event == "update":
            return dict(json.loads(line[6:]))


def wait_for(url: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def redis_url() -> str:
    import redis

    url = os.environ.get("KARTOTEKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        require_in_ci(f"Redis not reachable at {url}")
    return url


@pytest.mark.parametrize("bus", ["embedded", "redis"])
def test_serve_streams_the_bell_live_without_holding_up_other_requests(
    shared_db: dict[str, str], bus: str
) -> None:
    env = dict(shared_db)
    if bus == "redis":
        env["KARTOTEKA_REDIS_URL"] = redis_url()
    due = moment()
    scenario(env, "setup", due.isoformat(), PASSWORD)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kartoteka.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/health/")
        browser = Browser(base)
        browser.log_in("ivanova", PASSWORD)
        tabs = [browser.stream() for _tab in range(16)]  # sixteen open tabs, each its bell
        stream = tabs[0]
        try:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            assert next_update(stream) == {"unread": 0, "items": []}
            for tab in tabs[1:]:
                assert next_update(tab)["unread"] == 0
            # The bells stay open; the server still answers pages at once.
            started = time.monotonic()
            assert b"<form" in browser.get("/profile/", timeout=5)
            assert time.monotonic() - started < 5

            # Another process (an operator's `jobs run`) delivers the reminder: the open bell
            # hears of it without asking.
            jobs_run(env, due + timedelta(minutes=1))
            update = next_update(stream)
            assert update["unread"] == 1
            assert [item["title"] for item in update["items"]] == ["Задача: Позвонить Петрову"]
            assert next_update(tabs[-1])["unread"] == 1
        finally:
            for tab in tabs:
                tab.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=DEADLINE)
    assert server.returncode == 0


def test_serve_runs_the_job_queue_itself_on_the_embedded_default(
    shared_db: dict[str, str],
) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kartoteka.cli", "serve", "--port", str(port)],
        env=shared_db,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/health/")
        producer = (
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='kartoteka.settings';"
            "django.setup();"
            "from kartoteka.core.tasks import ping; print(ping().get(blocking=True, timeout=60))"
        )
        assert run(shared_db, "-c", producer).stdout.strip() == "pong"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=DEADLINE)
