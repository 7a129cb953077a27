"""Important dates: a task N days ahead, 29 February, once a year, consent, a real SMTP server."""

from __future__ import annotations

import datetime
import threading
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone, translation

from kartoteka.activities.models import ImportantDateReminder, ImportantDateSettings, Task
from kartoteka.activities.services import important_dates
from kartoteka.activities.services.important_dates import run_important_dates, settings_save
from kartoteka.clients.models import Contact, ContactEmail, RelatedPerson
from kartoteka.core.errors import DomainError, ForbiddenError
from tests.conftest import Personas
from tests.factories.clients import ContactFactory
from tests.test_mail import Inbox

pytestmark = pytest.mark.django_db(transaction=False)

DEC_10 = datetime.date(2026, 12, 10)


def _client(
    personas: Personas,
    *,
    consent: bool = False,
    email: str = "petrov@example.ru",
    **fields: Any,
) -> Contact:
    fields.setdefault("last_name", "Петров")
    fields.setdefault("first_name", "Павел")
    fields.setdefault("middle_name", "Петрович")
    contact = ContactFactory(owner=personas.manager_a, email_consent=consent, **fields)
    if email:
        ContactEmail.objects.create(contact=contact, address=email)
    return contact


def _wife(contact: Contact, **dates: Any) -> RelatedPerson:
    return RelatedPerson.objects.create(contact=contact, name="Анна", relation="spouse", **dates)


@pytest.fixture
def russian_owner(personas: Personas) -> None:
    personas.manager_a.language = "ru"
    personas.manager_a.save(update_fields=["language"])


def test_a_wifes_birthday_sets_a_task_for_the_owner_two_days_ahead(
    personas: Personas, russian_owner: None
) -> None:
    contact = _client(personas)
    _wife(contact, birthday=datetime.date(1990, 12, 12))

    assert run_important_dates(DEC_10).tasks == 1

    task = Task.objects.get()
    assert task.title == "Через 2 дня день рождения жены Петрова, Анны"
    assert task.owner == personas.manager_a and task.contact == contact
    assert task.due_date == datetime.date(2026, 12, 12) and task.author is None
    assert "36" in task.description  # she turns 36


def test_nothing_is_due_before_the_window(personas: Personas) -> None:
    _wife(_client(personas), birthday=datetime.date(1990, 12, 13))
    assert run_important_dates(DEC_10).tasks == 0
    assert not Task.objects.exists()


def test_the_clients_own_birthday_and_an_anniversary_in_english(personas: Personas) -> None:
    contact = _client(personas, birthday=datetime.date(1980, 12, 11))
    _wife(contact, anniversary=datetime.date(2010, 12, 10))

    assert run_important_dates(DEC_10).tasks == 2

    titles = sorted(Task.objects.values_list("title", flat=True))
    assert titles == [
        "Today: wedding anniversary of Петров and Анна",
        "Tomorrow: birthday of Петров Павел Петрович",
    ]


def test_days_ahead_is_the_installation_setting(personas: Personas) -> None:
    ImportantDateSettings.objects.create(pk=1, days_ahead=5)
    _wife(_client(personas), birthday=datetime.date(1990, 12, 15))
    assert run_important_dates(DEC_10).tasks == 1


def test_29_february_is_reminded_on_28_february_in_a_common_year(
    personas: Personas, russian_owner: None
) -> None:
    contact = _client(personas)
    _wife(contact, birthday=datetime.date(1996, 2, 29))

    assert run_important_dates(datetime.date(2027, 2, 25)).tasks == 0
    assert run_important_dates(datetime.date(2027, 2, 26)).tasks == 1
    task = Task.objects.get()
    assert task.due_date == datetime.date(2027, 2, 28)
    assert task.title.startswith("Через 2 дня день рождения")
    # In a leap year it is 29 February again.
    assert run_important_dates(datetime.date(2028, 2, 27)).tasks == 1
    assert Task.objects.latest("pk").due_date == datetime.date(2028, 2, 29)


def test_a_date_is_never_reminded_twice_in_a_year(personas: Personas) -> None:
    _wife(_client(personas), birthday=datetime.date(1990, 12, 12))

    assert run_important_dates(DEC_10).tasks == 1
    assert run_important_dates(DEC_10).tasks == 0
    assert run_important_dates(DEC_10 + datetime.timedelta(days=1)).tasks == 0
    # A larger N the next day sees the same date again: still once.
    ImportantDateSettings.objects.create(pk=1, days_ahead=7)
    assert run_important_dates(DEC_10 + datetime.timedelta(days=2)).tasks == 0
    assert Task.objects.count() == 1
    assert ImportantDateReminder.objects.get().year == 2026
    # Next year it comes round again.
    assert run_important_dates(datetime.date(2027, 12, 10)).tasks == 1


def test_a_date_across_new_year_counts_for_the_new_year(personas: Personas) -> None:
    _wife(_client(personas), birthday=datetime.date(1990, 1, 1))
    assert run_important_dates(datetime.date(2026, 12, 30)).tasks == 1
    assert ImportantDateReminder.objects.get().year == 2027
    assert run_important_dates(datetime.date(2027, 1, 1)).tasks == 0


def test_a_missed_day_is_caught_up(personas: Personas) -> None:
    _wife(_client(personas), birthday=datetime.date(1990, 12, 12))
    # The worker was down on the 10th: the 11th still reminds, "tomorrow".
    assert run_important_dates(datetime.date(2026, 12, 11)).tasks == 1
    assert Task.objects.get().title.startswith("Tomorrow")


def test_a_trashed_client_is_not_reminded(personas: Personas) -> None:
    contact = _client(personas, birthday=datetime.date(1980, 12, 12))
    _wife(contact, birthday=datetime.date(1990, 12, 12))
    Contact.objects.filter(pk=contact.pk).update(deleted_at=datetime.datetime.now(datetime.UTC))
    assert run_important_dates(DEC_10).tasks == 0


def test_the_second_of_two_racing_runs_backs_off(personas: Personas) -> None:
    contact = _client(personas)
    _wife(contact, birthday=datetime.date(1990, 12, 12))
    dues = important_dates.due_dates(DEC_10, 2)
    config = important_dates.get_settings()
    # Both workers found the date before either wrote: the unique row decides.
    assert important_dates._remind(dues[0], DEC_10, config) is True
    assert important_dates._remind(dues[0], DEC_10, config) is False
    assert Task.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_runs_remind_once(personas: Personas) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs a server database")
    for number in range(5):
        _wife(_client(personas, email=""), birthday=datetime.date(1990, 12, 11 + number % 2))
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            run_important_dates(DEC_10)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert Task.objects.count() == 5
    assert ImportantDateReminder.objects.count() == 5


# --- Email --------------------------------------------------------------------------------------
def _smtp(settings: Any, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.DEFAULT_FROM_EMAIL = "crm@romashka.ru"


def _text(envelope: Any) -> tuple[str, str]:
    message = message_from_bytes(envelope.content)
    subject = str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True).decode(message.get_content_charset())
    return subject, body.replace("\r\n", "\n")


def test_a_consenting_client_gets_the_email_through_smtp(
    personas: Personas, smtp_server: tuple[Inbox, int], settings: Any
) -> None:
    inbox, port = smtp_server
    _smtp(settings, port)
    settings_save(
        actor=personas.admin,
        values={
            "days_ahead": 2,
            "email_language": "en",
            "email_subject": "{{ person.name }}: {{ event }} on {{ date }}",
            "email_body": "{{ client.first_name }}, {{ person.name }}'s {{ event }} is on "
            "{{ date }} ({{ person.relation }}, in {{ days_text }}). {{ manager.email }}",
        },
    )
    contact = _client(personas, consent=True)
    _wife(contact, birthday=datetime.date(1990, 12, 12))

    outcome = run_important_dates(DEC_10)

    assert (outcome.tasks, outcome.emails_sent) == (1, 1)
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["petrov@example.ru"]
    subject, body = _text(envelope)
    assert subject == "Анна: birthday on 12 December"
    assert body.strip() == (
        "Павел, Анна's birthday is on 12 December (wife, in 2 days). manager_a@example.ru"
    )
    reminder = ImportantDateReminder.objects.get()
    assert reminder.email_status == "sent" and reminder.emailed_at is not None
    message_id = message_from_bytes(envelope.content)["Message-ID"]
    assert message_id == f"<important-date-{reminder.pk}-2026@romashka.ru>"
    # Run again: nothing new is sent.
    assert run_important_dates(DEC_10).emails_sent == 0
    assert len(inbox.messages) == 1


def test_the_builtin_russian_email(
    personas: Personas, smtp_server: tuple[Inbox, int], settings: Any
) -> None:
    inbox, port = smtp_server
    _smtp(settings, port)
    settings.LANGUAGE_CODE = "ru"
    contact = _client(personas, consent=True, birthday=datetime.date(1980, 12, 12))
    _wife(contact, birthday=datetime.date(1990, 12, 12))

    assert run_important_dates(DEC_10).emails_sent == 2

    texts = dict(_text(envelope) for envelope in inbox.messages)
    assert "Анна: день рождения 12 декабря" in texts
    assert texts["Анна: день рождения 12 декабря"].startswith(
        "Павел Петрович, здравствуйте!\n\n12 декабря — день рождения: Анна (жена). Осталось 2 дня"
    )
    assert "Павел, 12 декабря — ваш день рождения" in texts


def test_no_email_without_consent(
    personas: Personas, smtp_server: tuple[Inbox, int], settings: Any
) -> None:
    inbox, port = smtp_server
    _smtp(settings, port)
    _wife(_client(personas, consent=False), birthday=datetime.date(1990, 12, 12))

    outcome = run_important_dates(DEC_10)

    assert (outcome.tasks, outcome.emails_sent) == (1, 0)
    assert inbox.messages == []
    assert ImportantDateReminder.objects.get().email_status == ""
    assert "No email" in Task.objects.get().description


def test_consent_withdrawn_before_sending_sends_nothing(
    personas: Personas, smtp_server: tuple[Inbox, int], settings: Any, monkeypatch: Any
) -> None:
    inbox, port = smtp_server
    _smtp(settings, port)
    contact = _client(personas, consent=True)
    _wife(contact, birthday=datetime.date(1990, 12, 12))
    # The task is set, then the client withdraws consent before the email goes out.
    monkeypatch.setattr(important_dates, "send_pending_emails", lambda today, outcome=None: None)
    run_important_dates(DEC_10)
    monkeypatch.undo()
    Contact.objects.filter(pk=contact.pk).update(email_consent=False)

    important_dates.send_pending_emails(DEC_10)

    assert inbox.messages == []
    assert ImportantDateReminder.objects.get().email_status == "skipped"


def test_a_failed_send_is_retried_on_the_next_run(
    personas: Personas, smtp_server: tuple[Inbox, int], settings: Any
) -> None:
    inbox, port = smtp_server
    _smtp(settings, 1)  # nothing listens on port 1
    _wife(_client(personas, consent=True), birthday=datetime.date(1990, 12, 12))
    assert run_important_dates(DEC_10).emails_sent == 0
    reminder = ImportantDateReminder.objects.get()
    assert reminder.email_status == "pending" and reminder.email_attempts == 1
    _smtp(settings, port)
    assert run_important_dates(DEC_10).emails_sent == 1
    assert len(inbox.messages) == 1


def test_an_email_claimed_by_another_worker_is_not_sent_twice(
    personas: Personas, smtp_server: tuple[Inbox, int], settings: Any
) -> None:
    inbox, port = smtp_server
    _smtp(settings, port)
    _wife(_client(personas, consent=True), birthday=datetime.date(1990, 12, 12))
    reminder_holder: dict[str, Any] = {}

    original = important_dates._send_one

    def slow_other_worker(reminder_id: int, *args: Any) -> None:
        # While this worker sends, a second one looks: the claim keeps it away.
        reminder_holder["second"] = important_dates.send_pending_emails(DEC_10)
        original(reminder_id, *args)

    important_dates._send_one = slow_other_worker  # type: ignore[assignment]
    try:
        run_important_dates(DEC_10)
    finally:
        important_dates._send_one = original  # type: ignore[assignment]
    assert reminder_holder["second"].emails_sent == 0
    assert len(inbox.messages) == 1


def test_an_email_whose_date_passed_is_not_sent_late(
    personas: Personas, smtp_server: tuple[Inbox, int], settings: Any
) -> None:
    inbox, port = smtp_server
    _smtp(settings, 1)
    _wife(_client(personas, consent=True), birthday=datetime.date(1990, 12, 12))
    run_important_dates(DEC_10)
    _smtp(settings, port)
    assert run_important_dates(datetime.date(2026, 12, 13)).emails_skipped == 1
    assert inbox.messages == []


# --- The template sandbox ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "template",
    [
        "{% debug %}",
        "{% include 'base.html' %}",
        "{% extends 'base.html' %}",
        "{% load static %}{% static 'x' %}",
        "{% url 'home' %}",
        "{{ client.__class__ }}",
        "{{ client.first_name|stringformat:'999999999s' }}",
        "{{ client.first_name|ljust:'999999999' }}",
        "{% for c in client.first_name %}{% for d in client.first_name %}{% endfor %}{% endfor %}",
        "{% ssi '/etc/passwd' %}",
        "x" * 6000,
    ],
)
def test_a_template_reaching_outside_its_context_is_refused(
    personas: Personas, template: str
) -> None:
    with pytest.raises(DomainError) as refused:
        settings_save(actor=personas.admin, values={"days_ahead": 2, "email_body": template})
    assert "email_body" in refused.value.fields
    assert not ImportantDateSettings.objects.exists()


def test_names_outside_the_context_render_empty(personas: Personas) -> None:
    from kartoteka.activities import greetings

    with translation.override("en"):
        context = greetings.sample_context()
    text = greetings.render(
        "[{{ settings.SECRET_KEY }}][{{ request.user }}][{{ user.password }}][{{ csrf_token }}]"
        "[{{ client.first_name.upper }}]",
        context,
    )
    assert text == "[][][][][PAUL]"


def test_only_administrators_change_the_settings(personas: Personas) -> None:
    with pytest.raises(ForbiddenError):
        settings_save(actor=personas.manager_a, values={"days_ahead": 3})
    assert not ImportantDateSettings.objects.exists()


def test_a_text_equal_to_the_builtin_one_is_stored_empty(personas: Personas) -> None:
    defaults = important_dates.greetings.default_texts("ru")
    config = settings_save(
        actor=personas.admin,
        values={"days_ahead": 3, "email_language": "ru", **defaults},
    )
    assert config.days_ahead == 3
    assert (config.email_subject, config.email_body, config.own_subject) == ("", "", "")
    assert important_dates.effective_texts(config)["email_body"] == defaults["email_body"]


def test_the_worker_runs_the_rule_every_day(personas: Personas) -> None:
    from huey.contrib.djhuey import HUEY

    from kartoteka.activities import tasks

    # Due at 04:05 UTC (07:05 in Moscow), and at no other minute of the day.
    due = {task.name for task in HUEY.read_periodic(datetime.datetime(2026, 12, 10, 4, 5))}
    assert any(name.endswith("important_dates") for name in due)
    later = {task.name for task in HUEY.read_periodic(datetime.datetime(2026, 12, 10, 4, 6))}
    assert not any(name.endswith("important_dates") for name in later)
    _wife(_client(personas), birthday=timezone.localdate() + datetime.timedelta(days=1))
    assert tasks.important_dates.call_local() == 1
    assert tasks.important_dates.call_local() == 0
