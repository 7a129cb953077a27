from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kartoteka.core import access


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the sidebar may show: only sections the user has any right to."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "nav": {
            "companies": access.has_any(user, "companies", "view"),  # type: ignore[arg-type]
            "contacts": access.has_any(user, "contacts", "view"),  # type: ignore[arg-type]
            "users": access.has_any(user, "users", "edit"),  # type: ignore[arg-type]
            "roles": access.has_any(user, "roles", "edit"),  # type: ignore[arg-type]
            "branches": access.has_any(user, "branches", "edit"),  # type: ignore[arg-type]
            "audit": access.has_any(user, "audit", "view"),  # type: ignore[arg-type]
            "trash": access.has_any(user, "trash", "view"),  # type: ignore[arg-type]
        }
    }
