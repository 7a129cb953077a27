from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client

from tests.conftest import require_in_ci


def test_health_reports_database_and_queue(client: Client, db: Any) -> None:
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}
    assert body["queue"]["ok"] is True


def test_health_answers_503_when_the_queue_is_down(
    client: Client, db: Any, monkeypatch: Any
) -> None:
    from huey.contrib.djhuey import HUEY

    def broken() -> int:
        raise ConnectionError("broker gone")

    monkeypatch.setattr(HUEY, "pending_count", broken)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["queue"] == {
        "ok": False,
        "backend": "sqlite",
        "error": "ConnectionError",
    }


def test_redis_job_queue_round_trip() -> None:
    """The production queue: Huey on Redis stores and hands back a job."""
    import redis
    from huey import RedisHuey

    url = os.environ.get("KARTOTEKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        require_in_ci(f"Redis not reachable at {url}")
    huey = RedisHuey("kartoteka-test", url=url)
    huey.flush()

    @huey.task()
    def add(a: int, b: int) -> int:
        return a + b

    result = add(2, 3)
    assert huey.pending_count() == 1
    task = huey.dequeue()
    assert task is not None
    huey.execute(task)
    assert result.get() == 5
    huey.flush()


@pytest.mark.parametrize("path", ["/health/"])
def test_health_needs_no_login(client: Client, db: Any, path: str) -> None:
    assert client.get(path).status_code == 200
