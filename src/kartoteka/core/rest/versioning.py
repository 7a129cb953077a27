"""Helpers shared by the REST endpoints of every app."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.request import Request

from kartoteka.core.errors import DomainError


def required_version(request: Request) -> int:
    """An update must say which version it edits, so a stale one can be refused (409)."""
    raw: Any = request.data.get("version") if hasattr(request.data, "get") else None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise DomainError(
            _("Send the record's current version with every change."),
            fields={"version": [_("This field is required: the version you last read.")]},
        ) from None
