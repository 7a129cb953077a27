"""Russian taxpayer number (INN) check digits: 10 digits for organisations, 12 for people."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def is_valid_inn(value: str) -> bool:
    if not value.isdigit() or len(value) not in (10, 12):
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
