"""Plain list and card pages of activities (the timeline builds on these); tasks and the
calendar have their own modules, ``views/tasks.py`` and ``views/calendar.py``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kartoteka.activities import queries
from kartoteka.core import kinds
from kartoteka.core.errors import NotFoundError
from kartoteka.core.web import signed_in

PAGE = 50


def _list(request: HttpRequest, entity: str, rows: object) -> HttpResponse:
    kind = kinds.record_kind(entity)
    return render(request, "activities/record_list.html", {"kind": kind, "rows": rows})


def _card(request: HttpRequest, entity: str, obj: object) -> HttpResponse:
    kind = kinds.record_kind(entity)
    assert kind is not None
    shown = [
        (kind.label_of(item), getattr(obj, item.name))
        for item in kind.fields
        if item.export is True and item.name != "id"
    ]
    return render(
        request, "activities/record_card.html", {"kind": kind, "object": obj, "shown": shown}
    )


def _one(queryset: QuerySet[Any], pk: int) -> Any:
    try:
        return queries.one(queryset, pk)
    except NotFoundError:
        raise Http404 from None


@require_safe
@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    return _list(
        request, "activities", queries.activities(user).order_by("-occurred_at", "-id")[:PAGE]
    )


@require_safe
@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _card(request, "activities", _one(queries.activities(signed_in(request)), pk))
