"""Record ids typed into URLs, filters and pickers: a positive 64-bit integer, or nothing.

``str.isdigit`` is not enough: it accepts "²" and "١" (which ``int`` refuses or reads as another
number) and any number of digits, while SQLite binds at most 64 bits (a longer one raises
OverflowError) and PostgreSQL's bigint holds no more either. An id outside this range names
nothing, exactly like an id that does not exist.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import IntegerField
from django.db.models.lookups import In

#: the largest id a bigint column holds
MAX_ID = 2**63 - 1

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(raw: Any) -> int | None:
    """``raw`` as a record id (1..MAX_ID), or None when it cannot name a record."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        number = raw
    else:
        text = str(raw).strip()
        if not _ASCII_DIGITS.fullmatch(text):
            return None
        number = int(text)
    return number if 1 <= number <= MAX_ID else None


class IntegerIn(In):  # type: ignore[type-arg]
    """``pk__in=[...]`` and every ``in`` over an integer column, minus the values no such column
    holds. Django drops them itself for ``exact``, ``lt`` and the like (an id beyond 64 bits
    matches nothing) but not for ``in``, where SQLite refuses to bind them (OverflowError, a 500
    on any form whose multiple picker gets a crafted id)."""

    def get_prep_lookup(self) -> Any:
        prepared = super().get_prep_lookup()
        if self.rhs_is_direct_value() and isinstance(prepared, list | tuple | set):
            prepared = [
                value
                for value in prepared
                if not (isinstance(value, int) and not -MAX_ID - 1 <= value <= MAX_ID)
            ]
        return prepared


def register_lookups() -> None:
    IntegerField.register_lookup(IntegerIn)
