"""Importing an iCalendar (.ics) file into one's own calendar.

The file is read whole and checked before anything is written; then every event is written in
one transaction, so a bad file changes nothing (all or nothing).

Repeating events are **expanded into their occurrences** when imported (each occurrence is an
ordinary event, marked with the series' UID and the occurrence's original start): the calendar,
the clash marks, the feed and every other reader then see plain events with no rule to evaluate
on each read, and a moved or deleted occurrence (RECURRENCE-ID, EXDATE) needs nothing special.
A series is expanded from its first occurrence up to :data:`HORIZON_DAYS` ahead of today; of a
long or endless series we keep at most :data:`MAX_OCCURRENCES`, those from
:data:`RECENT_DAYS` ago onwards first (the part of a daily stand-up that matters), then the
latest before that. Importing the same file (or a newer export of the same calendar) again
updates the events by UID and occurrence instead of adding them twice; occurrences a series no
longer has go to the trash.

Times are stored as moments (UTC): a TZID with a VTIMEZONE (Outlook's "W. Europe Standard Time",
"Екатеринбург"...) is converted by that definition, a known IANA name without one by the time
zone database, a floating time by the file's X-WR-TIMEZONE or else the site's time zone. An
all-day event (``VALUE=DATE``) runs from midnight of its first day to midnight after its last
day in the site's time zone.

**Who takes part.** The importing user organises every imported event and takes part in it. An
ORGANIZER or ATTENDEE whose e-mail address (any case) belongs to exactly one active user of the
CRM takes part too: participants are colleagues, so any active user may be matched, whatever the
importer's scope (the event then shows in their calendar as any meeting they are invited to).
Nobody is created for an unknown address: such people, and anyone who declined
(``PARTSTAT=DECLINED``), are listed by name and address at the end of the event's description,
where the card, the edit form and the subscription feed show them. A second import sets the
participants from the file again, as it does the title.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.activities.models import CalendarEvent, EventParticipant
from kartoteka.activities.services import events as event_services
from kartoteka.core import access
from kartoteka.core.errors import DomainError, ForbiddenError

#: the largest file taken
MAX_BYTES = 5 * 1024 * 1024
#: occurrences of a series are imported up to this many days after today
HORIZON_DAYS = 366
#: at most this many occurrences of one series...
MAX_OCCURRENCES = 300
#: ...those from this many days ago onwards first
RECENT_DAYS = 90
#: a file whose series unfold into more occurrences than this (before the per-series cut) is
#: refused rather than read for minutes
MAX_EXPANDED = 50_000
#: a broken property of these makes an event unreadable; others (an odd ATTENDEE) are ignored
ESSENTIAL = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", None}

_TITLE = CalendarEvent._meta.get_field("title").max_length or 300
_LOCATION = CalendarEvent._meta.get_field("location").max_length or 300
_UID = CalendarEvent._meta.get_field("ical_uid").max_length or 300


class IcalImportError(DomainError):
    """The file cannot be imported; ``problems`` says where and why, one line each."""

    code = "invalid_ics"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if problems else _("The file cannot be read."))
        self.problems = problems


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    #: to-dos and journal entries in the file: not calendar events, not imported
    skipped: int = 0
    #: occurrences of long series left out (see the module's docstring)
    cut: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class _Person:
    """An ORGANIZER or ATTENDEE of an event: lower-cased address, name (CN), declined."""

    email: str
    name: str
    declined: bool

    def __str__(self) -> str:
        shown = (
            f"{self.name} <{self.email}>" if self.name and self.name != self.email else self.email
        )
        return f"{shown} ({_('declined')})" if self.declined else shown


@dataclass
class _Occurrence:
    uid: str
    recurrence_id: str
    values: dict[str, Any]
    people: tuple[_Person, ...] = ()


# --- Reading ----------------------------------------------------------------------------------
# Google's birthday calendar writes RDATE:20131210Z, a date with a time zone mark it cannot have.
_DATE_WITH_Z = re.compile(rb"(?m)^((?:RDATE|EXDATE)(?:;[^:\r\n]*)?:)(\d{8})Z(\r?)$")


def _logical_lines(data: bytes) -> list[tuple[int, str]]:
    """The file's content lines, unfolded, each with the number of its first physical line."""
    text = data.decode("utf-8", errors="replace")
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and lines:
            first, so_far = lines[-1]
            lines[-1] = (first, so_far + raw[1:])
        elif raw.strip():
            lines.append((number, raw))
    return lines


def _event_lines(lines: list[tuple[int, str]]) -> list[tuple[int, dict[str, int]]]:
    """For each VEVENT in order: its BEGIN line, and the line of each of its properties."""
    found: list[tuple[int, dict[str, int]]] = []
    depth = 0
    for number, line in lines:
        upper = line.upper()
        if upper.startswith("BEGIN:VEVENT"):
            found.append((number, {}))
            depth = 1
        elif depth and upper.startswith("BEGIN:"):
            depth += 1
        elif depth and upper.startswith("END:"):
            depth -= 1
        elif depth == 1:
            name = re.split(r"[;:]", upper, maxsplit=1)[0]
            found[-1][1].setdefault(name, number)
    return found


def _parse(data: bytes, lines: list[tuple[int, str]]) -> icalendar.Calendar:
    try:
        parsed = icalendar.Calendar.from_ical(data, multiple=True)
    except ValueError as error:
        message = str(error)
        quoted = re.search(r"'([^']+)'", message)
        where = next(
            (n for n, line in lines if quoted and quoted.group(1).strip() in line),
            None,
        )
        reason = message.split(":", 1)[0] if quoted else message[:200]
        if where is not None:
            raise IcalImportError(
                [_("Line %(line)d: %(reason)s.") % {"line": where, "reason": reason}]
            ) from None
        raise IcalImportError(
            [_("This is not an iCalendar file: %(reason)s.") % {"reason": reason}]
        ) from None
    calendar = icalendar.Calendar()
    for component in parsed:
        if component.name == "VCALENDAR":
            for key, value in component.items():
                calendar.add(key, value) if key not in calendar else None
            for inner in component.subcomponents:
                calendar.add_component(inner)
        else:  # a bare VEVENT or VTODO, as some programs write them
            calendar.add_component(component)
    return calendar


def _describe(component: Any, line: int | None) -> str:
    title = str(component.get("SUMMARY") or "").strip() or str(component.get("UID") or "")
    if line is None:
        return _("Event “%(title)s”") % {"title": title}
    return _("Line %(line)d, event “%(title)s”") % {"line": line, "title": title}


def _check(calendar: icalendar.Calendar, places: list[tuple[int, dict[str, int]]]) -> list[str]:
    problems: list[str] = []
    for index, event in enumerate(calendar.walk("VEVENT")):
        begin, lines = places[index] if index < len(places) else (None, {})
        where = _describe(event, begin)
        for prop, message in getattr(event, "errors", []):
            if prop in ESSENTIAL:
                problems.append(
                    _("%(where)s: %(property)s cannot be read (%(reason)s).")
                    % {
                        "where": _describe(event, lines.get(prop or "", begin)),
                        "property": prop or _("a line"),
                        "reason": message,
                    }
                )
        if "DTSTART" not in event and not any(p == "DTSTART" for p, _m in event.errors):
            problems.append(_("%(where)s: it has no start (DTSTART).") % {"where": where})
            continue
        try:
            start = event.decoded("DTSTART")
            end = event.decoded("DTEND") if "DTEND" in event else None
        except (ValueError, TypeError, KeyError):
            continue  # reported above
        if end is not None and _moment(end, None) < _moment(start, None):
            problems.append(_("%(where)s: it ends before it starts.") % {"where": where})
    return problems


# --- Turning occurrences into values ------------------------------------------------------------
def _moment(value: date | datetime, floating: ZoneInfo | None) -> datetime:
    """A DTSTART/DTEND value as an aware moment; a date is its midnight in the site's zone."""
    site = timezone.get_default_timezone()
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            return timezone.make_aware(value, floating or site)
        return value
    return timezone.make_aware(datetime.combine(value, time.min), site)


def _recurrence_id(value: Any) -> str:
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            return value.strftime("%Y%m%dT%H%M%S")
        return value.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    return ""


def _text(component: Any, name: str, limit: int | None = None) -> str:
    value = component.get(name)
    text = str(value).strip() if value is not None else ""
    return text[:limit] if limit else text


def _uid(component: Any) -> str:
    uid = _text(component, "UID")
    if uid:
        return uid[:_UID]
    # No UID (it is required, but some programs leave it out): the same event imported twice
    # still gets the same one.
    basis = f"{component.get('DTSTART').to_ical()!r}|{_text(component, 'SUMMARY')}"
    return "kartoteka-" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _values(occurrence: Any, floating: ZoneInfo | None) -> dict[str, Any]:
    start = occurrence.decoded("DTSTART")
    if "DTEND" in occurrence:
        end = occurrence.decoded("DTEND")
    elif "DURATION" in occurrence:
        end = start + occurrence.decoded("DURATION")
    else:  # RFC 5545 3.6.1: a day without an end lasts the day; a moment lasts no time
        end = start + timedelta(days=1) if not isinstance(start, datetime) else start
    all_day = not isinstance(start, datetime)
    if all_day and not isinstance(end, datetime) and end <= start:
        end = start + timedelta(days=1)
    starts_at, ends_at = _moment(start, floating), _moment(end, floating)
    return {
        "title": _text(occurrence, "SUMMARY", _TITLE) or _("(no title)"),
        "description": _text(occurrence, "DESCRIPTION"),
        "location": _text(occurrence, "LOCATION", _LOCATION),
        "starts_at": starts_at,
        "ends_at": max(ends_at, starts_at),
        "all_day": all_day,
    }


def _people(occurrence: Any) -> tuple[_Person, ...]:
    """The organiser and attendees with an e-mail address, each address once (the organiser
    often invites themself too; the first mention wins)."""
    found: dict[str, _Person] = {}
    for name in ("ORGANIZER", "ATTENDEE"):
        raw = occurrence.get(name)
        for address in raw if isinstance(raw, list) else [raw] if raw is not None else []:
            text = str(address).strip()
            email = (text[7:] if text.lower().startswith("mailto:") else text).strip().lower()
            if "@" not in email or email in found:
                continue
            params = getattr(address, "params", {})
            found[email] = _Person(
                email=email,
                name=str(params.get("CN", "")).strip().strip('"'),
                declined=str(params.get("PARTSTAT", "")).upper() == "DECLINED",
            )
    return tuple(found.values())


def _users_by_email(occurrences: list[_Occurrence]) -> dict[str, User]:
    """Active users by lower-cased e-mail address, for the addresses in ``occurrences``; an
    address two active users share names neither (we cannot tell whom the file meant)."""
    emails = {person.email for item in occurrences for person in item.people}
    if not emails:
        return {}
    found: dict[str, list[User]] = defaultdict(list)
    for user in User.objects.annotate(address=Lower("email")).filter(
        is_active=True, address__in=emails
    ):
        found[user.address].append(user)  # type: ignore[attr-defined]
    return {email: users[0] for email, users in found.items() if len(users) == 1}


def _with_people(
    item: _Occurrence, actor: User, users: dict[str, User]
) -> tuple[dict[str, Any], set[int]]:
    """The occurrence's values with the people who are not participants listed at the end of
    its description, and the ids of its participants (the actor always among them)."""
    participants = {actor.pk}
    others: list[str] = []
    for person in item.people:
        user = users.get(person.email)
        if user is not None and not person.declined:
            participants.add(user.pk)
        elif user is None or user.pk != actor.pk:
            others.append(f"- {person}")
    values = dict(item.values)
    if others:
        listed = "\n".join([_("Also invited:"), *others])
        values["description"] = "\n\n".join(p for p in (values["description"], listed) if p)
    return values, participants


def _floating_zone(calendar: icalendar.Calendar) -> ZoneInfo | None:
    name = str(calendar.get("X-WR-TIMEZONE") or "").strip()
    try:
        return ZoneInfo(name) if name else None
    except (KeyError, ValueError):
        return None


def _occurrences(calendar: icalendar.Calendar, today: date) -> tuple[list[_Occurrence], int]:
    """Every occurrence to import (series cut as the module says), and how many were cut."""
    floating = _floating_zone(calendar)
    for event in calendar.walk("VEVENT"):
        if not _text(event, "UID"):  # every occurrence of the series gets the same one
            event.add("UID", _uid(event))
    repeating = {
        _uid(event)
        for event in calendar.walk("VEVENT")
        if "RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event
    }
    horizon = datetime.combine(today + timedelta(days=HORIZON_DAYS), time.min)
    recent_from = timezone.make_aware(
        datetime.combine(today - timedelta(days=RECENT_DAYS), time.min)
    )
    series: dict[str, list[_Occurrence]] = defaultdict(list)
    seen = 0
    try:
        for occurrence in _bounded(calendar, horizon):
            seen += 1
            if seen > MAX_EXPANDED:
                raise IcalImportError(
                    [
                        _("The file's repeating events make more than %(count)d occurrences.")
                        % {"count": MAX_EXPANDED}
                    ]
                )
            uid = _uid(occurrence)
            recurrence = (
                _recurrence_id(occurrence.decoded("RECURRENCE-ID"))
                if uid in repeating and "RECURRENCE-ID" in occurrence
                else ""
            )
            series[uid].append(
                _Occurrence(uid, recurrence, _values(occurrence, floating), _people(occurrence))
            )
    except IcalImportError:
        raise
    except Exception as error:  # noqa: BLE001 - the library's errors have no common base
        raise IcalImportError(
            [_("A repeating event cannot be expanded: %(reason)s.") % {"reason": error}]
        ) from None
    kept: list[_Occurrence] = []
    cut = 0
    for items in series.values():
        items.sort(key=lambda item: item.values["starts_at"])
        if len(items) <= MAX_OCCURRENCES:
            kept += items
            continue
        recent = [item for item in items if item.values["starts_at"] >= recent_from]
        chosen = recent[:MAX_OCCURRENCES]
        room = MAX_OCCURRENCES - len(chosen)
        older = [item for item in items if item.values["starts_at"] < recent_from]
        chosen = (older[-room:] if room else []) + chosen
        cut += len(items) - len(chosen)
        kept += chosen
    return kept, cut


def _bounded(calendar: icalendar.Calendar, horizon: datetime) -> Any:
    """Occurrences in time order up to ``horizon`` (a generator: an endless series stops)."""
    # Floating, as the library compares (a time zone here would shift nothing).
    since = datetime(1900, 1, 1)  # noqa: DTZ001
    for occurrence in recurring_ical_events.of(calendar).after(since):
        start = occurrence.decoded("DTSTART")
        naive = start if not isinstance(start, datetime) else start.replace(tzinfo=None)
        if (naive if isinstance(naive, datetime) else datetime.combine(naive, time.min)) > horizon:
            break
        yield occurrence


# --- Writing ----------------------------------------------------------------------------------
def ical_import(*, actor: User, data: bytes, today: date | None = None) -> ImportResult:
    """Import the events of the iCalendar file ``data`` into ``actor``'s calendar (organised
    by them), updating what an earlier import of the same events made; all or nothing.

    Attendees who are active users take part (see the module's docstring); the others are
    listed in the description.

    Raises :class:`IcalImportError` naming the line and event of each problem.
    """
    if not access.has_any(actor, "events", "create"):
        raise ForbiddenError()
    if len(data) > MAX_BYTES:
        raise IcalImportError([_("The file is larger than 5 MB.")])
    data = _DATE_WITH_Z.sub(rb"\1\2\3", data)
    lines = _logical_lines(data)
    calendar = _parse(data, lines)
    places = _event_lines(lines)
    problems = _check(calendar, places)
    if problems:
        raise IcalImportError(problems)
    result = ImportResult(
        skipped=len(calendar.walk("VTODO")) + len(calendar.walk("VJOURNAL")),
    )
    occurrences, result.cut = _occurrences(calendar, today or timezone.localdate())
    if not occurrences:
        return result
    uids = {item.uid for item in occurrences}
    users = _users_by_email(occurrences)
    with transaction.atomic():
        existing: dict[tuple[str, str], CalendarEvent] = {
            (event.ical_uid, event.ical_recurrence_id): event
            for event in CalendarEvent.objects.filter(owner=actor, ical_uid__in=uids)
        }
        taking_part: dict[int, set[int]] = defaultdict(set)
        for event_id, user_id in EventParticipant.objects.filter(
            event__in=list(existing.values())
        ).values_list("event_id", "user_id"):
            taking_part[event_id].add(user_id)
        wanted = set()
        for item in occurrences:
            key = (item.uid, item.recurrence_id)
            if key in wanted:
                continue  # the same occurrence twice in one file: the first one counts
            wanted.add(key)
            found = existing.get(key)
            values, participants = _with_people(item, actor, users)
            try:
                if found is None:
                    event_services.event_create(
                        actor=actor,
                        values={
                            **values,
                            "participants": sorted(participants),
                            "ical_uid": item.uid,
                            "ical_recurrence_id": item.recurrence_id,
                        },
                    )
                    result.created += 1
                elif (
                    any(getattr(found, k) != v for k, v in values.items())
                    or taking_part[found.pk] != participants
                ):
                    event_services.event_update(
                        actor=actor,
                        event=found,
                        version=found.version,
                        values={**values, "participants": sorted(participants)},
                    )
                    result.updated += 1
                else:
                    result.unchanged += 1
            except DomainError as error:
                problem = "; ".join(
                    f"{name}: {' '.join(messages)}" for name, messages in error.fields.items()
                )
                raise IcalImportError(
                    [
                        _("Event “%(title)s” (%(uid)s): %(reason)s")
                        % {
                            "title": item.values["title"],
                            "uid": item.uid,
                            "reason": problem or error.message,
                        }
                    ]
                ) from None
        for key, event in existing.items():
            if key not in wanted:
                event_services.event_trash(actor=actor, event=event)
                result.removed += 1
    return result
