"""Fixtures of the activities tests: the real SMTP server on loopback from tests/test_mail.py."""

from tests.test_mail import smtp_server  # noqa: F401 - a fixture, used by name
