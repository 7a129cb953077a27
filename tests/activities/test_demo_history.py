"""`kartoteka demo` gives the demo company two years of history, tasks and this week's meetings."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, F
from django.utils import timezone

from kartoteka import cli, demo_activities
from kartoteka.accounts.models import User
from kartoteka.activities.models import (
    Activity,
    CalendarEvent,
    EventParticipant,
    ImportantDateReminder,
    Task,
)
from kartoteka.clients.models import Company, Contact


def test_demo_builds_history_tasks_and_meetings(db: Any, capsys: Any) -> None:
    assert cli.main(["demo", "--size", "200"]) == 0
    assert "activities" in capsys.readouterr().out
    now, today = timezone.now(), timezone.localdate()

    activities = Activity.objects.all()
    assert set(activities.values_list("type", flat=True)) == {
        "call",
        "meeting",
        "email",
        "note",
        "inquiry",
    }
    assert activities.count() >= 200 * 3
    # Two years, the recent months busiest, nothing in the future.
    assert not activities.filter(occurred_at__gt=now).exists()
    assert activities.filter(occurred_at__lt=now - datetime.timedelta(days=600)).exists()
    assert activities.filter(occurred_at__gte=now - datetime.timedelta(days=30)).exists()
    calls = activities.filter(type="call", outcome="reached")
    assert not calls.filter(duration__isnull=True).exists() and calls.exists()
    refusals = activities.filter(type="inquiry", outcome="refused")
    assert refusals.exists() and not refusals.filter(reason__isnull=True).exists()
    assert not activities.filter(type="inquiry", product_text="").exists()
    # Every activity is its client owner's, in the owner's branch.
    assert not activities.exclude(branch=F("owner__branch")).exists()
    assert not activities.filter(contact__isnull=False).exclude(owner=F("contact__owner")).exists()

    open_tasks = Task.objects.filter(done_at__isnull=True)
    assert open_tasks.filter(due_date__lt=today).exists()  # overdue
    assert open_tasks.filter(due_date=today).exists()
    assert open_tasks.filter(due_date__gt=today).exists()
    assert Task.objects.filter(done_at__isnull=False).exists()
    delegated = Task.objects.exclude(author__isnull=True).exclude(author=F("owner"))
    assert delegated.exists()

    monday = today - datetime.timedelta(days=today.weekday())
    this_week = CalendarEvent.objects.filter(
        starts_at__date__gte=monday, starts_at__date__lt=monday + datetime.timedelta(days=7)
    )
    assert this_week.exists()
    # The organiser always takes part; some meetings have a colleague too.
    assert EventParticipant.objects.filter(user=F("event__owner")).count() == (
        CalendarEvent.objects.count()
    )
    assert EventParticipant.objects.count() > CalendarEvent.objects.count()

    # Again: nothing is added twice.
    counts = (Activity.objects.count(), Task.objects.count(), CalendarEvent.objects.count())
    before_reminded = ImportantDateReminder.objects.filter(task__isnull=False).count()
    assert cli.main(["demo", "--size", "200"]) == 0
    assert counts == (Activity.objects.count(), Task.objects.count(), CalendarEvent.objects.count())
    # More clients: only the new ones get a history (and, as the daily job would, a task for a
    # new client's relative whose birthday is in the next days: which ones depends on the date).
    assert cli.main(["demo", "--size", "220"]) == 0
    assert Contact.objects.count() == 220
    assert Activity.objects.count() > counts[0]
    reminded = ImportantDateReminder.objects.filter(task__isnull=False).values("task")
    assert Task.objects.exclude(pk__in=reminded).count() == counts[1] - before_reminded


def test_every_client_has_a_past_and_one_company_a_long_one(db: Any, capsys: Any) -> None:
    assert cli.main(["demo", "--size", "300"]) == 0
    output = capsys.readouterr().out
    # Each phase is reported with its time, so a slow one at a million clients shows itself.
    assert "history: +" in output and "tasks: +" in output and " s\n" in output

    people_with_history = Activity.objects.filter(contact__isnull=False).values("contact")
    assert not Contact.objects.exclude(pk__in=people_with_history).exists()
    own_history = Activity.objects.filter(contact__isnull=True).values("company")
    assert not Company.objects.exclude(pk__in=own_history).exists()

    # The hot client: the first company, with a long timeline (hundreds of entries at this
    # size, 5,000 at a million contacts), far beyond any other company's.
    counts = sorted(
        Activity.objects.filter(company__isnull=False)
        .values("company")
        .annotate(n=Count("id"))
        .values_list("n", "company"),
        reverse=True,
    )
    (most, hot), (runner_up, _other) = counts[0], counts[1]
    assert hot == Company.objects.order_by("pk").first().pk  # type: ignore[union-attr]
    assert most >= demo_activities.hot_size(300) and most > 2 * runner_up

    # Clients' tasks over the two years: most past ones done, a few recent ones overdue.
    today = timezone.localdate()
    past = Task.objects.filter(due_date__lt=today - datetime.timedelta(days=60))
    assert past.count() > 50 and not past.filter(done_at__isnull=True).exists()
    assert Task.objects.filter(due_date__lt=today, done_at__isnull=True).exists()
    assert not Task.objects.filter(done_at__gt=timezone.now()).exists()


def test_the_history_is_the_same_for_the_same_seed(db: Any) -> None:
    assert cli.main(["demo", "--size", "100"]) == 0

    def history() -> list[tuple[Any, ...]]:
        return list(
            Activity.objects.order_by("pk").values_list(
                "type", "subject", "occurred_at", "company", "contact", "owner", "outcome"
            )
        )

    first = history()
    owners = list(User.objects.filter(roles__code__in=["sales_manager", "branch_head"]))
    Activity.all_objects.all().delete()
    demo_activities.add_history(owners, 2026)
    assert history() == first
