"""Plain list and card pages of activities (the timeline builds on these); tasks and the
calendar have their own modules, ``views/tasks.py`` and ``views/calendar.py``."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.views.decorators.http import require_safe

from kartoteka.activities import queries
from kartoteka.activities.models import Activity
from kartoteka.activities.templatetags.timeline import duration_text
from kartoteka.core import kinds
from kartoteka.core.dates import moment_text
from kartoteka.core.errors import NotFoundError
from kartoteka.core.ids import parse_id
from kartoteka.core.web import signed_in

PAGE = 50


def _one(queryset: QuerySet[Any], pk: int) -> Any:
    try:
        return queries.one(queryset, pk)
    except NotFoundError:
        raise Http404 from None


@require_safe
@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    """Every activity the user may see, newest first, a page at a time: when, what, with whom,
    whose. ``?before=<moment>_<id>`` (the "Older" link) continues after a row, with no OFFSET."""
    user = signed_in(request)
    rows = queries.activities(user).order_by("-occurred_at", "-id")
    before = _position(request.GET.get("before", ""))
    if before is not None:
        moment, pk = before
        rows = rows.filter(Q(occurred_at__lt=moment) | Q(occurred_at=moment, pk__lt=pk))
    page = list(rows[: PAGE + 1])
    older = None
    if len(page) > PAGE:
        page = page[:PAGE]
        older = f"{page[-1].occurred_at.isoformat()}_{page[-1].pk}"
    queries.visible_clients(user, page)
    kind = kinds.record_kind("activities")
    return render(
        request,
        "activities/record_list.html",
        {"kind": kind, "rows": page, "older": older, "first": before is not None},
    )


def _position(raw: str) -> tuple[datetime.datetime, int] | None:
    # A row's moment and id, as the "Older" link gives them; anything else starts from the top.
    moment, _sep, pk = raw.rpartition("_")
    when = parse_datetime(moment) if moment else None
    number = parse_id(pk)
    if when is None or timezone.is_naive(when) or number is None:
        return None
    return when, number


@require_safe
@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An activity's own page (where the audit log and the list lead): what happened, with
    whom, and the way to change it; the client's timeline shows it among the rest."""
    user = signed_in(request)
    activity = _one(queries.activities(user), pk)
    queries.visible_clients(user, [activity])
    editable, _deletable = queries.may_change(user, [activity])
    company, contact = activity.company_shown, activity.contact_shown  # type: ignore[attr-defined]
    company_url = reverse("clients:company-detail", args=[company.pk]) if company else ""
    contact_url = reverse("clients:contact-detail", args=[contact.pk]) if contact else ""
    people = activity.participants.order_by("last_name", "first_name")
    rows: list[tuple[Any, Any, str]] = [
        (_label("type"), activity.get_type_display(), ""),
        (_label("occurred_at"), moment_text(activity.occurred_at), ""),
        (_label("company"), company, company_url),
        (_label("contact"), contact, contact_url),
        (_label("direction"), activity.get_direction_display(), ""),
        (_label("duration"), duration_text(activity.duration), ""),
        (_label("outcome"), activity.get_outcome_display(), ""),
        (_label("reason"), activity.reason, ""),
        (_label("product_text"), activity.product_text, ""),
        (_label("place"), activity.place, ""),
        (_label("participants"), ", ".join(p.get_full_name() or p.username for p in people), ""),
        (_label("recording_url"), activity.recording_url, activity.recording_url),
        (_label("owner"), activity.owner, ""),
        (_label("branch"), activity.branch, ""),
        (_label("created_at"), moment_text(activity.created_at), ""),
        (_label("updated_at"), moment_text(activity.updated_at), ""),
    ]
    return render(
        request,
        "activities/activity_detail.html",
        {
            "object": activity,
            "client": contact or company,
            "client_url": contact_url or company_url,
            "rows": [row for row in rows if row[1] not in (None, "")],
            "may_edit": activity.pk in editable,
        },
    )


def _label(name: str) -> str:
    return str(capfirst(Activity._meta.get_field(name).verbose_name))  # type: ignore[union-attr]
