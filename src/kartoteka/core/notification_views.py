"""The bell: its live stream (Server-Sent Events), its list, and marking notifications read.

The stream is a long-lived response. Under the ASGI server (``kartoteka serve``) it is an async
generator: waiting costs no thread, so open bells never hold up other requests; it reads the
database only when woken (``core/bus.py``) and returns its connection after each read. Under a
WSGI server (the test suite's live server) the same frames come from a plain generator.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from kartoteka.core import bus, notifications
from kartoteka.core.web import signed_in

#: a stream ends after this long; the browser reconnects (and the session is checked again)
STREAM_SECONDS = 300.0
#: a comment line this often keeps proxies from closing a quiet stream
KEEPALIVE_SECONDS = 15.0


def _release() -> None:
    # A stream lives for minutes: it must not hold a (pooled) database connection while it
    # waits. Inside a transaction (a test's) the connection is not ours to close.
    if not connection.in_atomic_block:
        connection.close()


def _frame(user_id: int, after: int | None) -> tuple[str, int]:
    """The next frame for ``user_id``: the unread count and what came after id ``after``."""
    try:
        fresh = notifications.newer_than(user_id, after or 0) if after is not None else []
        unread = notifications.Notification.objects.filter(
            user_id=user_id, read_at__isnull=True
        ).count()
        if after is None:
            after = (
                notifications.Notification.objects.filter(user_id=user_id)
                .order_by("-id")
                .values_list("id", flat=True)
                .first()
            ) or 0
    finally:
        _release()
    if fresh:
        after = fresh[-1].pk
    data = {
        "unread": unread,
        "items": [{"id": n.pk, "title": n.title, "body": n.body, "url": n.url} for n in fresh],
    }
    return f"id: {after}\nevent: update\ndata: {json.dumps(data, ensure_ascii=False)}\n\n", after


def _sync_stream(user_id: int, after: int | None) -> Iterator[str]:
    ends = time.monotonic() + STREAM_SECONDS
    with bus.subscribe(user_id) as doorbell:
        yield "retry: 3000\n\n"
        frame, after = _frame(user_id, after)
        yield frame
        while time.monotonic() < ends:
            if doorbell.wait(KEEPALIVE_SECONDS):
                frame, after = _frame(user_id, after)
                yield frame
            else:
                yield ": keepalive\n\n"


async def _async_stream(user_id: int, after: int | None) -> AsyncIterator[str]:
    read = sync_to_async(_frame, thread_sensitive=False)
    ends = time.monotonic() + STREAM_SECONDS
    with bus.subscribe(user_id) as doorbell:
        yield "retry: 3000\n\n"
        frame, after = await read(user_id, after)
        yield frame
        while time.monotonic() < ends:
            if await doorbell.wait_async(KEEPALIVE_SECONDS):
                frame, after = await read(user_id, after)
                yield frame
            else:
                yield ": keepalive\n\n"


@login_required
@require_safe
def stream(request: HttpRequest) -> StreamingHttpResponse:
    """``text/event-stream`` of the signed-in person's bell: an ``update`` event (unread count,
    new notifications) at once and whenever something changes."""
    user_id = signed_in(request).pk
    raw = request.headers.get("Last-Event-ID", "") or request.GET.get("after", "")
    after = int(raw) if raw.isdigit() and len(raw) < 19 else None
    content = (
        _async_stream(user_id, after)
        if isinstance(request, ASGIRequest)
        else _sync_stream(user_id, after)
    )
    # The view's own reads are done; the stream opens a connection only while it reads.
    _release()
    response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    """The bell's list: a page of one's notifications, or the dropdown's fragment."""
    me = signed_in(request)
    panel = "panel" in request.GET
    items = notifications.latest(me, notifications.LATEST if panel else 100)
    context = {"groups": notifications.by_day(items), "unread": notifications.unread_count(me)}
    template = "core/_notification_panel.html" if panel else "core/notification_list.html"
    return render(request, template, context)


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one's notification read and go where it leads (a fetch gets JSON instead)."""
    me = signed_in(request)
    notification = notifications.mark_read(user=me, notification_id=pk)
    if notification is None:
        raise Http404
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"unread": notifications.unread_count(me)})
    url = notification.url
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = ""
    return redirect(url or _back(request, "core:notification-list"))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark all of one's notifications read."""
    me = signed_in(request)
    notifications.mark_all_read(user=me)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"unread": 0})
    return redirect(_back(request, "core:notification-list"))
