"""Phones are shown the way people read them, whichever way they were typed."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from kartoteka.core.phones import format_phone, normalize_phone


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("8 916 123-45-67", "+7 916 123-45-67"),
        ("+7(916)1234567", "+7 916 123-45-67"),
        ("9161234567", "+7 916 123-45-67"),
        ("8 (495) 123-45-67", "+7 495 123-45-67"),
        ("8 (812) 123-45-67", "+7 812 123-45-67"),
        ("+49 30 1234567", "+49 30 1234567"),
    ],
)
def test_any_typing_is_stored_as_e164_and_shown_grouped(typed: str, shown: str) -> None:
    assert format_phone(normalize_phone(typed)) == shown


def test_mobile_shortcut_groups_exactly_like_the_general_formatter() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        e164 = "+79" + "".join(rng.choice("0123456789") for _ in range(9))
        general = phonenumbers.format_number(
            phonenumbers.parse(e164, "RU"), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        assert format_phone(e164) == general, e164
