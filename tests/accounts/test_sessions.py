"""The absolute session limit counts from login, whatever the activity; the idle limit slides."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from django.test import Client
from django.utils import timezone

from tests.conftest import Personas
from tests.factories.accounts import PASSWORD


@contextmanager
def clock(moment: datetime) -> Iterator[None]:
    """Move both clocks the server reads (Django's and the system's) to ``moment``."""
    with (
        mock.patch("django.utils.timezone.now", return_value=moment),
        mock.patch("time.time", return_value=moment.timestamp()),
    ):
        yield


def _log_in(client: Client) -> None:
    response = client.post("/login/", {"username": "manager_a", "password": PASSWORD})
    assert response.status_code == 302


def test_session_ends_at_the_absolute_limit_even_when_busy(
    client: Client, personas: Personas, settings: Any
) -> None:
    # Given a user who logged in and then keeps working every half hour, never idle
    _log_in(client)
    start = timezone.now()
    lifetime = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    step = timedelta(minutes=30)
    moment = start
    while moment + step < start + lifetime - timedelta(minutes=1):
        moment += step
        with clock(moment):
            assert client.get("/").status_code == 200, moment - start
    # When the absolute limit since login has passed
    with clock(start + lifetime + step):
        response = client.get("/")
    # Then the session is over and the login page comes back
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.get("/").status_code == 302


def test_a_stored_login_time_past_the_limit_ends_the_session(
    client: Client, personas: Personas, settings: Any
) -> None:
    # Given a session logged in longer ago than the absolute limit but used a minute ago
    _log_in(client)
    client.get("/")
    session = client.session
    session["kartoteka_login_at"] = (
        int(timezone.now().timestamp()) - settings.SESSION_COOKIE_AGE - 5
    )
    session["kartoteka_last_seen"] = int(timezone.now().timestamp()) - 60
    session.save()
    # Then the next request finds it over
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/users/me/").status_code in (401, 403)


def test_api_over_an_expired_session_answers_401(
    client: Client, personas: Personas, settings: Any
) -> None:
    _log_in(client)
    assert client.get("/api/v1/users/me/").status_code == 200
    later = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)
    with clock(later):
        assert client.get("/api/v1/users/me/").status_code in (401, 403)
