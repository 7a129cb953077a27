"""What other apps add to a person's own record in the API (``GET /api/v1/users/me/``).

``accounts`` serves that record but may not import the apps above it; an app registers a value
here from its ``AppConfig.ready`` (the calendar adds ``calendar_feed_url``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from kartoteka.accounts.models import User

_FIELDS: dict[str, Callable[[HttpRequest, User], Any]] = {}


def register_field(name: str, compute: Callable[[HttpRequest, User], Any]) -> None:
    """``compute(request, user)`` gives the value of ``name`` in the user's own record."""
    _FIELDS[name] = compute


def fields(request: HttpRequest, user: User) -> dict[str, Any]:
    """Every registered value for ``user``, asked by ``request``."""
    return {name: compute(request, user) for name, compute in _FIELDS.items()}
