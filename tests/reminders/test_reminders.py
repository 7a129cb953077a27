"""Task and meeting reminders: due, late, re-planned, per channel, exactly once in the bell."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from kartoteka import cli
from kartoteka.activities import reminders
from kartoteka.activities.models import Task
from kartoteka.activities.services.events import event_create
from kartoteka.activities.services.tasks import task_complete, task_create, task_update
from kartoteka.core import clock, notifications
from kartoteka.core.models import Delivery, Notification
from tests.conftest import Personas
from tests.reminders.conftest import Sink

pytestmark = pytest.mark.django_db


@pytest.fixture
def moment() -> datetime:
    """A reminder moment tomorrow, on the minute (the tests say when "now" is)."""
    return timezone.now().replace(second=0, microsecond=0) + timedelta(days=1)


def sweep_at(when: datetime, capture: Any) -> reminders.Swept:
    with capture(execute=True), clock.at(when):
        return reminders.sweep()


def remind(personas: Personas, when: datetime, **values: Any) -> Task:
    return task_create(
        actor=personas.manager_a,
        values={"title": "Позвонить Петрову", "remind_at": when, **values},
    )


def test_a_task_reminder_reaches_the_bell_and_the_mailbox_once(
    personas: Personas,
    moment: datetime,
    mail_to_smtp: Sink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    task = remind(personas, moment, due_at=moment + timedelta(hours=1))
    manager = personas.manager_a

    sweep_at(moment - timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 0 and mail_to_smtp.messages == []

    swept = sweep_at(moment + timedelta(seconds=30), django_capture_on_commit_callbacks)
    assert swept.dispatched.sent == 2
    bell = list(Notification.objects.filter(user=manager))
    assert [(n.kind, n.title, n.url) for n in bell] == [
        ("task_reminder", "Task: Позвонить Петрову", f"/tasks/{task.pk}/")
    ]
    assert notifications.unread_count(manager) == 1
    [mail] = mail_to_smtp.parsed()
    assert mail_to_smtp.messages[0].rcpt_tos == [manager.email]
    assert mail["Subject"].strip() == "Task: Позвонить Петрову"
    assert f"https://crm.romashka.ru/tasks/{task.pk}/" in mail.get_content()
    delivery = Delivery.objects.get(channel="email")
    assert mail["Message-ID"] == delivery.message_id  # recorded before it was sent

    # Later sweeps, and a second sweep of the same minute, send nothing again.
    for later in (moment + timedelta(seconds=31), moment + timedelta(minutes=5)):
        swept = sweep_at(later, django_capture_on_commit_callbacks)
        assert swept.planned == 0 or swept.dispatched.sent == 0
    assert Notification.objects.count() == 1 and len(mail_to_smtp.messages) == 1
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_a_reminder_due_while_no_worker_ran_is_delivered_late(
    personas: Personas,
    moment: datetime,
    mail_to_smtp: Sink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    remind(personas, moment)
    sweep_at(moment - timedelta(minutes=10), django_capture_on_commit_callbacks)
    # The worker is down for three hours past the reminder; the first sweep after catches up.
    sweep_at(moment + timedelta(hours=3), django_capture_on_commit_callbacks)
    assert Notification.objects.filter(user=personas.manager_a).count() == 1
    assert len(mail_to_smtp.messages) == 1


def test_the_very_first_sweep_delivers_what_fell_due_before_it(
    personas: Personas, moment: datetime, django_capture_on_commit_callbacks: Any
) -> None:
    remind(personas, moment)
    sweep_at(moment + timedelta(hours=5), django_capture_on_commit_callbacks)
    assert Notification.objects.filter(user=personas.manager_a).count() == 1


def test_changing_remind_at_re_plans_the_reminder(
    personas: Personas, moment: datetime, django_capture_on_commit_callbacks: Any
) -> None:
    task = remind(personas, moment)
    sweep_at(moment - timedelta(minutes=5), django_capture_on_commit_callbacks)
    task = task_update(
        actor=personas.manager_a,
        task=task,
        version=task.version,
        values={"remind_at": moment + timedelta(hours=1)},
    )
    sweep_at(moment + timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 0  # not at the old moment
    sweep_at(moment + timedelta(hours=1, minutes=1), django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 1  # at the new one

    # Reminded, then set to remind again later: a second reminder at the new moment.
    task.refresh_from_db()
    task_update(
        actor=personas.manager_a,
        task=task,
        version=task.version,
        values={"remind_at": moment + timedelta(hours=3)},
    )
    sweep_at(moment + timedelta(hours=3, minutes=1), django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 2


def test_a_task_done_or_moved_before_its_reminder_was_sent_is_not_reminded(
    personas: Personas,
    moment: datetime,
    mail_to_smtp: Sink,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    task = remind(personas, moment)
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # the mail server is down: the mail waits for another try
    notifications.set_channels(user=personas.manager_a, chosen={"task_reminder": ["email"]})
    swept = sweep_at(moment + timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert swept.dispatched.failed == 1
    waiting = Delivery.objects.get()
    assert waiting.state == "pending" and waiting.not_before > moment + timedelta(minutes=1)

    task_complete(actor=personas.manager_a, task=task)
    settings.EMAIL_PORT = live_port
    swept = sweep_at(moment + timedelta(hours=1), django_capture_on_commit_callbacks)
    assert swept.dispatched.cancelled == 1
    assert mail_to_smtp.messages == []
    assert Delivery.objects.get().state == "cancelled"


def test_a_mail_that_failed_is_sent_once_the_server_is_back(
    personas: Personas,
    moment: datetime,
    mail_to_smtp: Sink,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    remind(personas, moment)
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1
    sweep_at(moment + timedelta(minutes=1), django_capture_on_commit_callbacks)
    settings.EMAIL_PORT = live_port
    sweep_at(moment + timedelta(minutes=1, seconds=30), django_capture_on_commit_callbacks)
    assert mail_to_smtp.messages == []  # still waiting out the minute's pause after a failure
    sweep_at(moment + timedelta(minutes=10), django_capture_on_commit_callbacks)
    assert len(mail_to_smtp.messages) == 1
    assert Delivery.objects.get(channel="email").attempts == 2


def test_each_person_gets_reminders_only_through_the_channels_they_chose(
    personas: Personas,
    moment: datetime,
    mail_to_smtp: Sink,
    django_capture_on_commit_callbacks: Any,
) -> None:
    manager, teammate = personas.manager_a, personas.teammate_a
    notifications.set_channels(user=manager, chosen={"task_reminder": ["in_app"]})
    notifications.set_channels(user=manager, chosen={"meeting_reminder": ["email"]})
    notifications.set_channels(user=teammate, chosen={"meeting_reminder": []})
    remind(personas, moment)
    event_create(
        actor=manager,
        values={
            "title": "Демо для «Ромашки»",
            "starts_at": moment + timedelta(minutes=30),
            "ends_at": moment + timedelta(minutes=90),
            "remind_before": 30,
            "location": "Переговорная 2",
            "participants": [teammate.pk],
        },
    )
    sweep_at(moment + timedelta(seconds=10), django_capture_on_commit_callbacks)
    assert list(Notification.objects.values_list("user__username", "kind")) == [
        ("manager_a", "task_reminder")
    ]
    [mail] = mail_to_smtp.parsed()
    assert mail["Subject"].strip() == "Meeting: Демо для «Ромашки»" and mail["To"] == manager.email
    body = mail.get_content()
    assert "Переговорная 2" in body


def test_a_meeting_reminds_every_participant_in_their_language(
    personas: Personas, moment: datetime, django_capture_on_commit_callbacks: Any
) -> None:
    manager, teammate = personas.manager_a, personas.teammate_a
    teammate.language = "ru"
    teammate.save(update_fields=["language"])
    event_create(
        actor=manager,
        values={
            "title": "Планёрка",
            "starts_at": moment + timedelta(hours=2),
            "ends_at": moment + timedelta(hours=3),
            "remind_before": 120,
            "participants": [teammate.pk],
        },
    )
    sweep_at(moment - timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 0
    sweep_at(moment, django_capture_on_commit_callbacks)
    assert dict(Notification.objects.values_list("user__username", "title")) == {
        "manager_a": "Meeting: Планёрка",
        "teammate_a": "Встреча: Планёрка",
    }


def test_jobs_run_at_runs_every_periodic_job_as_of_that_moment(
    personas: Personas, moment: datetime, capsys: Any
) -> None:
    remind(personas, moment)
    assert cli.main(["jobs", "run", "--at", (moment - timedelta(minutes=1)).isoformat()]) == 0
    assert Notification.objects.count() == 0
    local = timezone.localtime(moment + timedelta(minutes=1)).replace(tzinfo=None)
    assert cli.main(["jobs", "run", "--at", local.isoformat()]) == 0  # local time, no offset
    out = capsys.readouterr().out
    assert "purge_trash: ok" in out
    assert "reminders_sweep: ok (reminders: 2 planned; sent 2, failed 0" in out
    assert Notification.objects.filter(user=personas.manager_a).count() == 1
    assert cli.main(["jobs", "run", "--at", "tomorrow"]) == 2


def test_jobs_run_finds_every_registered_periodic_job() -> None:
    from kartoteka.core.jobs import periodic_tasks

    names = {task.name for task in periodic_tasks()}
    assert {"purge_trash", "purge_notifications", "reminders_sweep"} <= names


def test_a_reminder_set_to_a_moment_just_past_is_delivered_at_once(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    sweep_at(now, django_capture_on_commit_callbacks)
    remind(personas, now - timedelta(minutes=30))  # set after the sweep passed that moment
    sweep_at(now + timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert Notification.objects.filter(user=personas.manager_a).count() == 1
