"""What a list page remembers and adapts per user: the last list (for the sidebar, the card's
breadcrumb and Prev/Next), the row density, and the columns that cannot vary for the viewer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, QueryDict
from django.urls import reverse

from kartoteka.accounts.models import User
from kartoteka.accounts.preferences import DENSITIES
from kartoteka.core import access
from kartoteka.core.pagination import neighbours

#: not part of the list as one returns to it
NOT_REMEMBERED = ("from",)


def session_key(kind: str) -> str:
    return f"list:{kind}"


def remember(request: HttpRequest, kind: str) -> None:
    """Keep the list's query string (filters, sort, page, view) for the way back to it."""
    params = request.GET.copy()
    for key in NOT_REMEMBERED:
        params.pop(key, None)
    query = params.urlencode()
    if request.session.get(session_key(kind), "") != query:
        request.session[session_key(kind)] = query


def remembered(request: HttpRequest, kind: str) -> str:
    """The last list's query string, "" for none."""
    session = getattr(request, "session", None)
    return str(session.get(session_key(kind), "")) if session is not None else ""


def list_url(request: HttpRequest, kind: str) -> str:
    """The list as the user left it."""
    query = remembered(request, kind)
    return reverse(f"clients:{kind}-list") + (f"?{query}" if query else "")


def hidden_columns(user: User, entity: str) -> set[str]:
    """Columns (and filters) that cannot vary for the viewer, hidden unless chosen: the owner
    for one who sees only their own records; the branch for one who sees a single branch."""
    scopes = access.scopes_for(user, entity, "view")
    if "all" in scopes:
        return set()
    if scopes <= {"own"}:
        return {"owner", "branch"}
    return {"branch"}


def density(request: HttpRequest, user: User) -> str:
    """The list's density: a saved view's (``?density=``) or else the user's own."""
    chosen = request.GET.get("density", "")
    return chosen if chosen in DENSITIES else user.list_density


def walk(
    request: HttpRequest,
    kind: str,
    obj: Any,
    listing: Callable[..., Any],
    sortable: dict[str, tuple[str, ...]],
) -> dict[str, Any]:
    """The card's way back and Prev/Next through the list it was opened from (two queries)."""
    user = request.user
    assert isinstance(user, User)
    params = QueryDict(remembered(request, kind))
    listed = listing(user, text=params.get("q", ""), params=params)
    previous_pk, next_pk = neighbours(
        listed, params, obj, sortable, access.alternatives(user, listed.model)
    )

    def card(pk: int | None) -> str:
        return reverse(f"clients:{kind}-detail", kwargs={"pk": pk}) if pk else ""

    return {
        "list_url": list_url(request, kind),
        "prev_url": card(previous_pk),
        "next_url": card(next_pk),
    }
