"""What other apps add to a person's own record in the API (``GET /api/v1/users/me/``).

``accounts`` serves that record but may not import the apps above it; an app registers a value
here from its ``AppConfig.ready`` (the calendar adds ``calendar_feed_url``). A value is a SQL
expression over the user's row plus how to present what it reads, so the whole record beyond
the signed-in user is one statement however many apps add to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest


@dataclass(frozen=True)
class Field:
    #: a scalar SQL expression (usually a sub-select) over the user's row, aliased ``u``
    column: Callable[[], str]
    #: what the API shows for the value read, in the asking request
    present: Callable[[HttpRequest, Any], Any]


_FIELDS: dict[str, Field] = {}


def register_field(
    name: str, column: Callable[[], str], present: Callable[[HttpRequest, Any], Any]
) -> None:
    """``name`` in the user's own record is ``present(request, <column read for the user>)``."""
    _FIELDS[name] = Field(column, present)


def columns() -> dict[str, str]:
    """Every registered value's SQL expression, by name."""
    return {name: field.column() for name, field in _FIELDS.items()}


def fields(request: HttpRequest, read: dict[str, Any]) -> dict[str, Any]:
    """Every registered value as the API shows it, from what :func:`columns` read."""
    return {name: field.present(request, read.get(name)) for name, field in _FIELDS.items()}
