from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kartoteka.core import access, trash
from kartoteka.core.web import signed_in


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the sidebar may show: only sections the user has any right to."""
    user = signed_in(request)
    if not user.is_authenticated:
        return {}
    return {
        "nav": {
            "companies": access.has_any(user, "companies", "view"),
            "contacts": access.has_any(user, "contacts", "view"),
            "create_companies": access.has_any(user, "companies", "create"),
            "create_contacts": access.has_any(user, "contacts", "create"),
            "tasks": access.has_any(user, "tasks", "view"),
            "calendar": access.has_any(user, "events", "view"),
            "users": access.has_any(user, "users", "edit")
            or access.has_any(user, "users", "assign"),
            "roles": access.has_any(user, "roles", "edit"),
            "settings": access.has_any(user, "settings", "view"),
            "batches": access.has_any(user, "batches", "view"),
            "branches": access.has_any(user, "branches", "edit"),
            "audit": access.has_any(user, "audit", "view"),
            # Everyone who deletes or owns records has a trash: their own deleted records.
            "trash": trash.may_use(user),
        },
        # The sidebar returns to each list as it was left (the list page keeps its query).
        "back_to": {kind: _remembered(request, kind) for kind in ("company", "contact")},
    }


def _remembered(request: HttpRequest, kind: str) -> str:
    session = getattr(request, "session", None)
    query = str(session.get(f"list:{kind}", "")) if session is not None else ""
    return f"?{query}" if query else ""
