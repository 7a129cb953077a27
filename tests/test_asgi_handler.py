"""The server's ASGI handler: a request's synchronous work in one hop, streams still streamed."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from kartoteka.accounts.services import token_create
from kartoteka.clients.models import Contact
from kartoteka.core.asgi_handler import OneHopASGIHandler
from tests.conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def serve(
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    leave_after_first_body: bool = False,
) -> tuple[int, dict[bytes, bytes], list[bytes]]:
    """One request through the handler as the server calls it; the client may leave early."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        left = asyncio.Event()
        body_given = False

        async def receive() -> dict[str, Any]:
            nonlocal body_given
            if not body_given:
                body_given = True
                return {"type": "http.request", "body": body, "more_body": False}
            await left.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if leave_after_first_body and message.get("body"):
                left.set()

        # A stream that ignored the client leaving would run for minutes: fail instead.
        await asyncio.wait_for(OneHopASGIHandler()(scope, receive, send), timeout=30)

    # Its own thread and loop, as the server has: another test may have left a loop running here.
    with ThreadPoolExecutor(max_workers=1) as server:
        server.submit(asyncio.run, run()).result()
    start = sent[0]
    return start["status"], dict(start["headers"]), [m.get("body", b"") for m in sent[1:]]


def test_a_json_post_is_read_written_and_answered(personas: Personas) -> None:
    token = token_create(actor=None, user=personas.manager_a, name="asgi")
    body = json.dumps({"last_name": "Асгинов", "first_name": "Пётр"}).encode()
    status, headers, parts = serve(
        "POST",
        "/api/v1/contacts/",
        body=body,
        headers=[
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    )
    assert status == 201, b"".join(parts).decode()
    assert headers[b"Content-Type"] == b"application/json"
    assert json.loads(b"".join(parts))["last_name"] == "Асгинов"
    assert Contact.objects.filter(last_name="Асгинов").count() == 1


def test_a_page_answers_with_its_cookies_and_a_wrong_token_is_refused(
    personas: Personas,
) -> None:
    status, headers, parts = serve("GET", "/login/")
    assert status == 200
    assert b"csrfmiddlewaretoken" in b"".join(parts)
    status, _headers, parts = serve(
        "GET", "/api/v1/users/me/", headers=[(b"authorization", b"Bearer nonsense")]
    )
    assert status == 401
    assert json.loads(b"".join(parts))["error"]["code"] == "authentication_failed"


def test_the_bell_stream_streams_and_ends_when_the_client_leaves(personas: Personas) -> None:
    client = Client()
    client.force_login(personas.manager_a)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    status, headers, parts = serve(
        "GET",
        "/notifications/stream/",
        headers=[(b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())],
        leave_after_first_body=True,
    )
    assert status == 200
    assert headers[b"Content-Type"].startswith(b"text/event-stream")
    assert parts[0].startswith(b"retry:")
