"""The real processes: `kartoteka serve` answers over HTTP, `kartoteka worker` runs jobs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import copy_migrated, require_in_ci


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KARTOTEKA_")}
    env.update({"KARTOTEKA_DATA_DIR": str(data_dir), **extra})
    return env


def kartoteka(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kartoteka.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )


@pytest.fixture
def migrated(tmp_path: Path, migrated_embedded_db: Path) -> Iterator[dict[str, str]]:
    copy_migrated(migrated_embedded_db, tmp_path)
    yield environment(tmp_path)


def wait_for(url: str, seconds: float = 30) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                return bytes(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_serve_answers_health_pages_and_static_files(migrated: dict[str, str]) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kartoteka.cli", "serve", "--port", str(port)],
        env=migrated,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        health = wait_for(f"http://127.0.0.1:{port}/health/")
        assert b'"status": "ok"' in health
        login = wait_for(f"http://127.0.0.1:{port}/login/")
        assert b"<form" in login
        css = wait_for(f"http://127.0.0.1:{port}/static/kartoteka/kartoteka.css")
        assert b"--kt-row-h" in css
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.parametrize("debug", [False, True])
def test_a_server_error_shows_no_traceback_unless_debug_is_asked_for(
    tmp_path: Path, debug: bool
) -> None:
    # Not migrated: with a session cookie, the session lookup hits a missing table mid-request.
    env = environment(tmp_path, **({"KARTOTEKA_DEBUG": "1"} if debug else {}))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kartoteka.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/login/")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/", headers={"Cookie": "sessionid=" + "a" * 32}
        )
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=10)  # noqa: S310 - loopback only
        body = answer.value.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert answer.value.code == 500
    if debug:
        assert "Traceback" in body  # the same failure does show Django's debug page when asked
    else:
        assert "Traceback" not in body
        assert "django_session" not in body  # nothing about the inside leaks
        assert "Что-то пошло не так на нашей стороне. Попробуйте позже." in body
        assert 'href="/static/kartoteka/kartoteka.css"' in body  # our page, not a bare one


def run_job_through_worker(env: dict[str, str]) -> str:
    worker = subprocess.Popen(
        [sys.executable, "-m", "kartoteka.cli", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        producer = (
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='kartoteka.settings';"
            "django.setup();"
            "from kartoteka.core.tasks import ping; print(ping().get(blocking=True, timeout=60))"
        )
        result = subprocess.run(
            [sys.executable, "-c", producer],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return result.stdout.strip()
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_worker_runs_jobs_from_the_embedded_queue(migrated: dict[str, str]) -> None:
    assert run_job_through_worker(migrated) == "pong"


def test_worker_runs_jobs_from_redis(migrated: dict[str, str]) -> None:
    import redis

    url = os.environ.get("KARTOTEKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        require_in_ci(f"Redis not reachable at {url}")
    redis.Redis.from_url(url).flushdb()
    assert run_job_through_worker({**migrated, "KARTOTEKA_REDIS_URL": url}) == "pong"
