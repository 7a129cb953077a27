"""Important dates: a task for the owner and a greeting for the client, N days before a birthday
or an anniversary.

:func:`run_important_dates` is the daily rule (the worker's periodic job calls it; tests call it
with the date they want). Every date whose next occurrence falls within the next N days —
the client's own birthday, and each related person's birthday and anniversary — is reminded once
a year: a row of :class:`ImportantDateReminder` keyed by (source, year) is written first, under a
unique constraint, in the same transaction as the owner's task. A second run, a second worker at
the same moment, or a larger N the next day find the row (or lose the race for it) and do
nothing. Looking at the whole window rather than at "exactly N days from today" means a day the
worker was down is caught up the next day, and a date added to a card a day late is still
reminded.

Emails go out after the tasks, one by one: a worker claims a pending email with a conditional
UPDATE (so two workers never send the same one), checks the consent again at send time (a client
who withdrew it yesterday gets nothing), sends, and marks it sent. A send that fails is retried
on the next run, up to :data:`MAX_ATTEMPTS`; a worker killed while sending lets its claim lapse
after :data:`CLAIM` and the next run sends it (with the same Message-ID, so should the server have
taken the first copy after all, mail programs show one message). An email whose date has passed is
not sent late.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from kartoteka.accounts.models import User
from kartoteka.activities import greetings
from kartoteka.activities.models import ImportantDateReminder, ImportantDateSettings, Task
from kartoteka.activities.models.dates import MAX_DAYS_AHEAD
from kartoteka.clients.models import Contact, ContactEmail, RelatedPerson
from kartoteka.core import audit, names, records
from kartoteka.core.dates import in_year
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.models import AuditEntry

log = logging.getLogger(__name__)

#: how long a worker holds an email it is sending before another may take it
CLAIM = datetime.timedelta(minutes=10)
#: sends tried before an email is given up as failed
MAX_ATTEMPTS = 5
TEXT_FIELDS = ("email_subject", "email_body", "own_subject", "own_body")


# --- Settings ------------------------------------------------------------------------------------
def get_settings() -> ImportantDateSettings:
    """The installation's settings (the defaults until an administrator saves them)."""
    found = ImportantDateSettings.objects.filter(pk=1).first()
    return found if found is not None else ImportantDateSettings(pk=1)


def email_language(config: ImportantDateSettings) -> str:
    return config.email_language or django_settings.LANGUAGE_CODE


def effective_texts(config: ImportantDateSettings) -> dict[str, str]:
    """The subjects and texts in use: the administrator's, or the built-in ones."""
    defaults = greetings.default_texts(email_language(config))
    return {name: getattr(config, name) or defaults[name] for name in TEXT_FIELDS}


def settings_save(*, actor: User, values: dict[str, Any]) -> ImportantDateSettings:
    """Save the important-date settings (needs settings "edit"); audited.

    ``values``: ``days_ahead``, ``email_language`` and the four texts. A text equal to the
    built-in one is stored empty, so it follows the language if that changes later. A template
    the sandbox refuses is reported by field and nothing is saved.
    """
    from kartoteka.core import access

    if not access.has_any(actor, "settings", "edit"):
        raise ForbiddenError()
    errors: dict[str, list[str]] = {}
    days = values.get("days_ahead")
    if not isinstance(days, int) or not 0 <= days <= MAX_DAYS_AHEAD:
        errors["days_ahead"] = [
            _("Between 0 and %(max)s days.") % {"max": MAX_DAYS_AHEAD},
        ]
    language = values.get("email_language") or ""
    if language not in ("", *dict(django_settings.LANGUAGES)):
        errors["email_language"] = [_("Choose a language from the list.")]
        language = ""
    defaults = greetings.default_texts(language or django_settings.LANGUAGE_CODE)
    texts: dict[str, str] = {}
    for name in TEXT_FIELDS:
        text = str(values.get(name) or "").replace("\r\n", "\n").strip()
        problem = greetings.check_template(text) if text else ""
        if problem:
            errors[name] = [problem]
        texts[name] = "" if text == defaults[name].strip() else text
    if errors:
        raise DomainError(fields=errors)
    with transaction.atomic():
        config = ImportantDateSettings.objects.select_for_update().filter(pk=1).first()
        config = config or ImportantDateSettings(pk=1)
        before = {name: getattr(config, name) for name in ("days_ahead", "email_language")}
        before.update({name: getattr(config, name) for name in TEXT_FIELDS})
        config.days_ahead = days  # type: ignore[assignment]
        config.email_language = language
        for name, text in texts.items():
            setattr(config, name, text)
        config.updated_at, config.updated_by = timezone.now(), actor
        config.save()
        changes = {
            name: [old, getattr(config, name)]
            for name, old in before.items()
            if old != getattr(config, name)
        }
        if changes:
            audit.record(
                actor=actor,
                action=AuditEntry.Action.UPDATE,
                obj=config,
                changes=changes,
                object_repr=str(_("Important dates")),
            )
    return config


# --- The daily rule ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Due:
    """One date to remind: where it comes from and when it falls."""

    source: str
    date: datetime.date
    kind: str
    contact: Contact
    person: RelatedPerson | None = None


@dataclass
class Outcome:
    """What one run did, for the job's log and the tests."""

    tasks: int = 0
    emails_sent: int = 0
    emails_failed: int = 0
    emails_skipped: int = 0


def _days_in_window(today: datetime.date, days: int) -> list[datetime.date]:
    return [today + datetime.timedelta(days=n) for n in range(days + 1)]


def _matches(field: str, window: list[datetime.date]) -> Q:
    """Dates in ``field`` whose month and day fall in ``window`` (29 February where its year has
    none falls on 28 February)."""
    condition = Q()
    for day in window:
        condition |= Q(**{f"{field}__month": day.month, f"{field}__day": day.day})
        if (
            day.month == 2
            and day.day == 28
            and in_year(datetime.date(2000, 2, 29), day.year) == day
        ):
            condition |= Q(**{f"{field}__month": 2, f"{field}__day": 29})
    return condition


def _occurrence(day: datetime.date, window: list[datetime.date]) -> datetime.date | None:
    """The date in ``window`` that is ``day``'s occurrence, if any."""
    for candidate in window:
        if in_year(day, candidate.year) == candidate:
            return candidate
    return None


def due_dates(today: datetime.date, days: int) -> list[Due]:
    """Every important date falling from ``today`` to ``today + days`` (inclusive), of clients
    not in the trash."""
    window = _days_in_window(today, days)
    found: list[Due] = []
    contacts = (
        Contact.objects.filter(_matches("birthday", window))
        .select_related("owner", "branch")
        .order_by("pk")
    )
    for contact in contacts.iterator(chunk_size=2000):
        when = _occurrence(contact.birthday, window)
        if when is not None:
            found.append(Due(f"contact:{contact.pk}:birthday", when, "birthday", contact))
    people = (
        RelatedPerson.objects.filter(contact__deleted_at__isnull=True)
        .filter(_matches("birthday", window) | _matches("anniversary", window))
        .select_related("contact__owner", "contact__branch")
        .order_by("pk")
    )
    for person in people.iterator(chunk_size=2000):
        for kind in ("birthday", "anniversary"):
            value = getattr(person, kind)
            when = _occurrence(value, window) if value else None
            if when is not None:
                source = f"related:{person.pk}:{kind}"
                found.append(Due(source, when, kind, person.contact, person))
    return found


def _already(dues: list[Due]) -> set[tuple[str, int]]:
    done: set[tuple[str, int]] = set()
    sources = [due.source for due in dues]
    for start in range(0, len(sources), 500):
        part = sources[start : start + 500]
        done.update(
            ImportantDateReminder.objects.filter(source__in=part).values_list("source", "year")
        )
    return done


def run_important_dates(today: datetime.date | None = None) -> Outcome:
    """Remind every important date due within the configured days ahead, once a year each, then
    send the pending emails. Idempotent: safe to run again, and on several workers at once."""
    today = today or timezone.localdate()
    config = get_settings()
    outcome = Outcome()
    dues = due_dates(today, config.days_ahead)
    done = _already(dues)
    for due in dues:
        if (due.source, due.date.year) in done:
            continue
        if _remind(due, today, config):
            outcome.tasks += 1
    send_pending_emails(today, outcome=outcome)
    return outcome


def _email_address(contact: Contact) -> str:
    first = ContactEmail.objects.filter(contact=contact).order_by("position", "id").first()
    return first.address if first is not None else ""


def _remind(due: Due, today: datetime.date, config: ImportantDateSettings) -> bool:
    """Write the (source, year) row and the owner's task in one transaction; False when another
    run got there first."""
    contact = due.contact
    owner = contact.owner if contact.owner is not None and contact.owner.is_active else None
    address = _email_address(contact) if contact.email_consent else ""
    try:
        with transaction.atomic():
            reminder = ImportantDateReminder.objects.create(
                source=due.source,
                year=due.date.year,
                date=due.date,
                occasion=due.kind,
                contact=contact,
                email_status=ImportantDateReminder.Email.PENDING if address else "",
                email_to=address,
            )
            language = owner.language if owner is not None else django_settings.LANGUAGE_CODE
            with translation.override(language):
                title, description = task_text(due, today, emailed=bool(address))
            task = records.create_record(
                actor=None,
                model=Task,
                values={
                    "title": title[:300],
                    "description": description,
                    "due_date": due.date,
                    "contact": contact,
                    "owner": owner,
                    "branch": owner.branch if owner is not None else contact.branch,
                },
            )
            reminder.task = task
            reminder.save(update_fields=["task"])
    except IntegrityError:
        # Another worker reminded this date a moment ago: its row and task stand.
        return False
    return True


# --- Words ---------------------------------------------------------------------------------------
def _is_russian() -> bool:
    return (translation.get_language() or "").startswith("ru")


def _person_names(person: RelatedPerson) -> tuple[str, str]:
    """(the person's sex as the name tells, their name in the genitive for a Russian title)."""
    words = person.name.split()
    first = words[0] if words else ""
    sex = names.sex_of(first)
    if not _is_russian() or len(words) != 1:
        return sex, person.name  # a full name is left as written rather than declined wrongly
    return sex, names.genitive(first_name=first, sex=sex)


def _relation_genitive(relation: str, sex: str) -> str:
    """ "жены", "сына", "коллеги": the relation as it follows "день рождения" in Russian; in
    English the plain word ("wife")."""
    male, female = sex == "male", sex == "female"
    if relation == "spouse":
        return (
            pgettext("genitive", "husband")
            if male
            else pgettext("genitive", "wife")
            if female
            else pgettext("genitive", "spouse")
        )
    if relation == "child":
        return (
            pgettext("genitive", "son")
            if male
            else pgettext("genitive", "daughter")
            if female
            else pgettext("genitive", "child")
        )
    if relation == "parent":
        return (
            pgettext("genitive", "father")
            if male
            else pgettext("genitive", "mother")
            if female
            else pgettext("genitive", "parent")
        )
    if relation == "friend":
        return pgettext("genitive female", "friend") if female else pgettext("genitive", "friend")
    if relation == "colleague":
        return pgettext("genitive", "colleague")
    return pgettext("genitive", "close person")


def _when(days: int) -> str:
    if days == 0:
        return _("Today")
    if days == 1:
        return _("Tomorrow")
    return ngettext("In %(days)s day", "In %(days)s days", days) % {"days": days}


def task_text(due: Due, today: datetime.date, *, emailed: bool) -> tuple[str, str]:
    """The owner's task title and description, in the active language.

    "Через 2 дня день рождения жены Петрова, Анны" — the client by surname, the close person by
    name, both declined; the task itself links the client's card.
    """
    contact = due.contact
    russian = _is_russian()
    client_sex = names.sex_of(contact.first_name, contact.middle_name, contact.last_name)
    surname = (
        names.genitive(last_name=contact.last_name, sex=client_sex)
        if russian
        else contact.last_name
    )
    if due.person is None:
        full = (
            names.genitive(
                last_name=contact.last_name,
                first_name=contact.first_name,
                middle_name=contact.middle_name,
                sex=client_sex,
            )
            if russian
            else contact.full_name
        )
        what = _("birthday of %(client)s") % {"client": full}
    else:
        sex, person = _person_names(due.person)
        relation = _relation_genitive(due.person.relation, sex)
        if due.kind == "birthday":
            what = _("birthday of %(client)s's %(relation)s, %(person)s") % {
                "client": surname,
                "relation": relation,
                "person": person,
            }
        elif due.person.relation == "spouse":
            what = _("wedding anniversary of %(client)s and %(person)s") % {
                "client": surname,
                "person": person,
            }
        else:
            what = _("anniversary of %(client)s's %(relation)s, %(person)s") % {
                "client": surname,
                "relation": relation,
                "person": person,
            }
    days = (due.date - today).days
    title = _("%(when)s: %(what)s") % {"when": _when(days), "what": what}
    lines = [
        _("Client: %(name)s") % {"name": contact.full_name},
        _("Date: %(date)s") % {"date": dateformat.format(due.date, "d.m.Y")},
    ]
    original = due.person and getattr(due.person, due.kind)
    if due.person is None:
        original = contact.birthday
    if original and original.year > 1900 and due.date.year > original.year:
        years = due.date.year - original.year
        lines.append(
            ngettext("It will be %(years)s year.", "It will be %(years)s years.", years)
            % {"years": years}
        )
    lines.append(
        _("The client will get a greeting by email.")
        if emailed
        else _("No email to the client: no consent or no address.")
    )
    return title, "\n".join(lines)


# --- Emails --------------------------------------------------------------------------------------
def send_pending_emails(today: datetime.date, *, outcome: Outcome | None = None) -> Outcome:
    """Send every pending greeting whose date has not passed, each by one worker only."""
    outcome = outcome or Outcome()
    config = get_settings()
    texts = effective_texts(config)
    language = email_language(config)
    now = timezone.now()
    pending = ImportantDateReminder.objects.filter(
        email_status=ImportantDateReminder.Email.PENDING
    ).filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lt=now))
    for reminder_id, date in pending.order_by("date", "pk").values_list("pk", "date"):
        if date < today:
            ImportantDateReminder.objects.filter(
                pk=reminder_id, email_status=ImportantDateReminder.Email.PENDING
            ).update(email_status=ImportantDateReminder.Email.SKIPPED, email_error="too late")
            outcome.emails_skipped += 1
            continue
        claimed = (
            ImportantDateReminder.objects.filter(
                pk=reminder_id, email_status=ImportantDateReminder.Email.PENDING
            )
            .filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lt=now))
            .update(
                email_claimed_until=timezone.now() + CLAIM, email_attempts=F("email_attempts") + 1
            )
        )
        if claimed:
            _send_one(reminder_id, today, texts, language, outcome)
    return outcome


def _occasion(reminder: ImportantDateReminder, today: datetime.date) -> greetings.Occasion:
    contact = reminder.contact
    person = None
    if reminder.source.startswith("related:"):
        person = RelatedPerson.objects.filter(pk=int(reminder.source.split(":")[1])).first()
    owner = contact.owner
    return greetings.Occasion(
        date=reminder.date,
        days=max(0, (reminder.date - today).days),
        own=person is None,
        kind=reminder.occasion,
        client_first_name=contact.first_name,
        client_middle_name=contact.middle_name,
        client_last_name=contact.last_name,
        person_name=person.name if person else "",
        relation=person.relation if person else "",
        sex=names.sex_of(person.name.split()[0]) if person and person.name.split() else "",
        manager_name=owner.get_full_name() if owner else "",
        manager_email=owner.email if owner else "",
        manager_phone=owner.phone if owner else "",
    )


def message_id(reminder: ImportantDateReminder) -> str:
    """The greeting's Message-ID, fixed per reminder."""
    domain = django_settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<important-date-{reminder.pk}-{reminder.year}@{domain}>"


def _send_one(
    reminder_id: int,
    today: datetime.date,
    texts: dict[str, str],
    language: str,
    outcome: Outcome,
) -> None:
    reminder = ImportantDateReminder.objects.select_related("contact__owner").get(pk=reminder_id)
    contact = reminder.contact
    address = _email_address(contact)
    if contact.deleted_at is not None or not contact.email_consent or not address:
        # Consent is checked again at send time: withdrawn since the task was set, nothing goes.
        ImportantDateReminder.objects.filter(pk=reminder_id).update(
            email_status=ImportantDateReminder.Email.SKIPPED,
            email_error="no consent or no address",
            email_claimed_until=None,
        )
        outcome.emails_skipped += 1
        return
    own = not reminder.source.startswith("related:")
    context = greetings.context_for(_occasion(reminder, today), language)
    subject_template = texts["own_subject" if own else "email_subject"]
    body_template = texts["own_body" if own else "email_body"]
    try:
        subject = " ".join(greetings.render(subject_template, context).split())[:250]
        body = greetings.render(body_template, context)
        EmailMessage(
            subject=subject,
            body=body,
            to=[address],
            # The same id on every attempt: a copy sent again after a worker died between the
            # server's "accepted" and our "sent" is recognised by mail programs as one message.
            headers={"Message-ID": message_id(reminder)},
        ).send()
    except Exception as error:  # noqa: BLE001 - a bad server or template is retried, then failed
        gave_up = reminder.email_attempts >= MAX_ATTEMPTS
        log.warning("important date email %s failed: %s", reminder_id, error.__class__.__name__)
        ImportantDateReminder.objects.filter(pk=reminder_id).update(
            email_status=(
                ImportantDateReminder.Email.FAILED
                if gave_up
                else ImportantDateReminder.Email.PENDING
            ),
            email_error=f"{error.__class__.__name__}: {error}"[:300],
            email_claimed_until=None,
        )
        if gave_up:
            outcome.emails_failed += 1
        return
    ImportantDateReminder.objects.filter(pk=reminder_id).update(
        email_status=ImportantDateReminder.Email.SENT,
        emailed_at=timezone.now(),
        email_to=address,
        email_error="",
        email_claimed_until=None,
    )
    outcome.emails_sent += 1
