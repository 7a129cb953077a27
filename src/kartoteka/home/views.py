"""The start page after login: "My day"."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activities.views.tasks import mark_clients
from kartoteka.core import access, dates
from kartoteka.core.web import signed_in
from kartoteka.home.day import my_day


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = signed_in(request)
    team = request.GET.get("view") == "team"
    day = my_day(user, timezone.now(), team=team)
    mark_clients(user, [task for bucket in day.buckets for task in bucket.tasks])
    titles = {"overdue": _("Overdue"), "today": _("Today"), "upcoming": _("Next 7 days")}
    return render(
        request,
        "home/home.html",
        {
            "section": "home",
            "heading": dates.day_heading(day.today),
            "day": day,
            "today": day.today,
            "team_view": team and day.head,
            "titles": titles,
            "may_create": access.has_any(user, "tasks", "create"),
        },
    )
