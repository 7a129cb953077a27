"""Russian taxpayer number (INN) check digits: 10 digits for organisations, 12 for people."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def _digits(value: str) -> bool:
    # ASCII only: str.isdigit also accepts "²" and other digits int() cannot read.
    return value.isascii() and value.isdigit()


def is_valid_inn(value: str) -> bool:
    if not _digits(value) or len(value) not in (10, 12):
        return False
    digits = [int(ch) for ch in value]
    if len(value) == 10:
        return _check(digits, _WEIGHTS_10) == digits[9]
    return _check(digits, _WEIGHTS_11) == digits[10] and _check(digits, _WEIGHTS_12) == digits[11]


def validate_inn(value: str) -> None:
    if value and not is_valid_inn(value):
        raise ValidationError(
            _("INN must be 10 or 12 digits with correct check digits."), code="inn"
        )


def inn_with_check_digits(body: str) -> str:
    """Complete a 9- or 10-digit body to a valid INN (used by the demo generator)."""
    digits = [int(ch) for ch in body]
    if len(digits) == 9:
        return body + str(_check(digits, _WEIGHTS_10))
    if len(digits) == 10:
        eleventh = _check(digits, _WEIGHTS_11)
        return body + str(eleventh) + str(_check([*digits, eleventh], _WEIGHTS_12))
    raise ValueError("an INN body has 9 or 10 digits")


def is_valid_kpp(value: str) -> bool:
    """KPP: 9 characters; digits except positions 5-6, which may be capital Latin letters."""
    if len(value) != 9:
        return False
    return value.isascii() and value[:4].isdigit() and value[4:6].isalnum() and value[6:].isdigit()


def is_valid_ogrn(value: str) -> bool:
    """OGRN (13 digits, check = number mod 11 mod 10) or OGRNIP (15 digits, mod 13 mod 10)."""
    if not _digits(value) or len(value) not in (13, 15):
        return False
    body, check = int(value[:-1]), int(value[-1])
    modulus = 11 if len(value) == 13 else 13
    return body % modulus % 10 == check


def validate_kpp(value: str) -> None:
    if value and not is_valid_kpp(value):
        raise ValidationError(_("KPP must be 9 characters, e.g. 770101001."), code="kpp")


def validate_ogrn(value: str) -> None:
    if value and not is_valid_ogrn(value):
        raise ValidationError(
            _("OGRN must be 13 digits (15 for an entrepreneur) with a correct check digit."),
            code="ogrn",
        )


def ogrn_with_check_digit(body: str) -> str:
    modulus = 11 if len(body) == 12 else 13
    return body + str(int(body) % modulus % 10)
