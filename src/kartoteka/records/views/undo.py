"""The "Undo" of a toast: after a single delete, unshare, saved-view delete or merge.

The page that did the act keeps its :class:`~kartoteka.records.services.undo.Undo` in the actor's
session under a random token and shows a toast "… · Undo" (a POST form). Only that session can
use the token, once, for :data:`LIFETIME` seconds; the service checks access again.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kartoteka.core.errors import DomainError, NotFoundError
from kartoteka.core.web import signed_in
from kartoteka.records.services import undo as undo_service

_KEY = "kartoteka_undo"
#: the toast leaves after 10 s; the button of a page left open still works this long
LIFETIME = 15 * 60
#: tickets kept per session (the newest)
KEPT = 10


def offer(request: HttpRequest, text: str, undo: undo_service.Undo, back: str) -> None:
    """Show ``text`` in a toast with "Undo"; after the undo the user lands on ``back``."""
    token = ticket(request, undo, back)
    messages.success(request, text, extra_tags=f"undo:{token}")


def ticket(request: HttpRequest, undo: undo_service.Undo, back: str) -> str:
    """Keep ``undo`` for this session and return its token (a page that answers a script shows
    the toast itself: a tick on "My day")."""
    token = secrets.token_urlsafe(12)
    now = time.time()
    tickets: dict[str, Any] = {
        key: kept
        for key, kept in request.session.get(_KEY, {}).items()
        if now - kept.get("at", 0) < LIFETIME
    }
    tickets[token] = {"operation": undo.operation, "data": undo.data, "back": back, "at": now}
    request.session[_KEY] = dict(sorted(tickets.items(), key=lambda kv: kv[1]["at"])[-KEPT:])
    return token


def _safe(request: HttpRequest, target: str, default: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default


@login_required
@require_POST
def undo(request: HttpRequest, token: str) -> HttpResponse:
    tickets = dict(request.session.get(_KEY, {}))
    ticket = tickets.pop(token, None)
    request.session[_KEY] = tickets
    fallback = _safe(request, str(request.POST.get("next", "")), "/")
    if ticket is None or time.time() - ticket.get("at", 0) >= LIFETIME:
        messages.error(request, _("There is nothing to undo any more."))
        return redirect(fallback)
    try:
        text = undo_service.undo(
            actor=signed_in(request), operation=ticket["operation"], data=ticket["data"]
        )
    except NotFoundError:  # gone or out of reach: the same answer, nothing leaks
        messages.error(request, _("There is nothing to undo any more."))
        return redirect(fallback)
    except DomainError as error:  # changed since, or already undone
        messages.error(request, error.message)
        return redirect(fallback)
    messages.success(request, text)
    return redirect(_safe(request, str(ticket.get("back", "")), fallback))
