"""The start page after login."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.clients import queries as client_queries
from kartoteka.core import dates
from kartoteka.core.models import AuditEntry
from kartoteka.core.web import signed_in


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = signed_in(request)
    return render(
        request,
        "home/home.html",
        {
            "section": "home",
            "today": dates.day_heading(timezone.localdate()),
            "my_companies": client_queries.companies(user).filter(owner=user).order_by("-pk")[:10],
            "my_contacts": client_queries.contacts(user).filter(owner=user).order_by("-pk")[:10],
            "recent": AuditEntry.objects.filter(actor=user)
            .exclude(action__in=[AuditEntry.Action.LOGIN])
            .order_by("-id")[:10],
        },
    )
