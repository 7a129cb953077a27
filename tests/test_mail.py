"""Mail settings work against a real SMTP server on loopback."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kartoteka import cli


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # aiosmtpd logs from its own thread, after pytest has closed the captured stream.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_check_sends_a_test_message_through_configured_smtp(
    smtp_server: tuple[Inbox, int], settings: Any, db: Any, capsys: Any
) -> None:
    inbox, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.DEFAULT_FROM_EMAIL = "crm@romashka.ru"
    assert cli.main(["check", "--mail-to", "boss@romashka.ru"]) == 0
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.mail_from == "crm@romashka.ru" and envelope.rcpt_tos == ["boss@romashka.ru"]
    assert message_from_bytes(envelope.content)["Subject"] == "Kartoteka: test message"


def test_check_reports_an_unreachable_mail_server(settings: Any, db: Any, capsys: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", dead_port
    assert cli.main(["check", "--mail-to", "boss@romashka.ru"]) == 1
    assert "mail: FAILED" in capsys.readouterr().out
