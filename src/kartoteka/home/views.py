"""The start page after login: "My day"."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activities.task_rows import Ticks
from kartoteka.core import access, dates
from kartoteka.core.web import signed_in
from kartoteka.home.day import add_rows, my_day


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = signed_in(request)
    team = request.GET.get("view") == "team"
    now = timezone.now()
    day = my_day(user, now, team=team)
    # Where a tick's or a snooze's answer and its "Undo" lead: the page, never the fragment it
    # may have come in. Each row's two forms print the CSRF input; a ``{% csrf_token %}`` each
    # cost a millisecond.
    next_url, csrf = reverse("home"), csrf_input(request)
    add_rows(user, day, now, Ticks(csrf, next_url))
    titles = {"overdue": _("Overdue"), "today": _("Today"), "upcoming": _("Next 7 days")}
    # ``?fragment=tasks``: only the task column, which the page swaps in after a snooze.
    fragment = request.GET.get("fragment") == "tasks" and not team
    return render(
        request,
        "home/_day_tasks.html" if fragment else "home/home.html",
        {
            "section": "home",
            "heading": dates.day_heading(day.today),
            "day": day,
            "today": day.today,
            "team_view": team and day.head,
            "titles": titles,
            "may_create": access.has_any(user, "tasks", "create"),
            "next_url": next_url,
            "csrf_input": csrf,
        },
    )
