"""Reminder fixtures: a real SMTP server on loopback that can hold a message, and tasks."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller


class Sink:
    """An SMTP server's mailbox. ``hold_on`` makes it stop before answering that command
    (``"RCPT"`` or ``"DATA"``) until ``release`` is set: a sender is then caught mid-send."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.hold_on = ""
        self.holding = threading.Event()
        self.release = threading.Event()
        #: messages fully received but not yet answered (the sender may die before the answer)
        self.unanswered: list[Any] = []

    async def _hold(self, command: str) -> None:
        import asyncio

        if self.hold_on == command:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        await self._hold("RCPT")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.hold_on == "DATA":
            self.unanswered.append(envelope)
        await self._hold("DATA")
        self.messages.append(envelope)
        return "250 OK"

    def parsed(self) -> list[Any]:
        return [
            message_from_bytes(envelope.content, policy=policy.default)
            for envelope in self.messages
        ]

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.parsed()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    port = free_port()
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    sink.release.set()
    controller.stop()


@pytest.fixture
def mail_to_smtp(smtp: tuple[Sink, int], settings: Any) -> Sink:
    sink, port = smtp
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.DEFAULT_FROM_EMAIL = "crm@romashka.ru"
    settings.SITE_URL = "https://crm.romashka.ru"
    return sink


def at(text: str) -> datetime:
    """A moment in Moscow time, as people write it."""
    from django.utils import timezone

    return timezone.make_aware(datetime.fromisoformat(text))
