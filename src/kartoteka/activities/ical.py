"""Writing a person's calendar as iCalendar (RFC 5545) for Outlook, Google Calendar and
Thunderbird to subscribe to.

Timed events are written in UTC (``DTSTART:20261123T070000Z``), so no VTIMEZONE is needed and
every program shows them in its own zone; all-day events as dates (``DTSTART;VALUE=DATE``, the
end exclusive) in the site's time zone. Each event keeps one UID for good (an imported event its
original UID and, for an occurrence of a series, a RECURRENCE-ID-free UID of its own), so a
subscribing program updates what it showed instead of duplicating it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils import timezone

from kartoteka.activities.models import CalendarEvent

UTC = ZoneInfo("UTC")
PRODID = "-//Kartoteka//Kartoteka CRM//RU"


def site_domain() -> str:
    """The UIDs' right-hand side: the same whatever host name the feed was asked by (a
    subscriber must see one UID per event), different per installation."""
    digest = hashlib.sha256(f"uid:{settings.SECRET_KEY}".encode()).hexdigest()[:12]
    return f"{digest}.kartoteka"


def event_uid(event: CalendarEvent, domain: str) -> str:
    """The event's UID in the feed: stable for its whole life."""
    if event.ical_uid and not event.ical_recurrence_id:
        return event.ical_uid
    if event.ical_uid:  # one occurrence of an imported series: a UID of its own
        return f"{event.ical_recurrence_id}-{event.ical_uid}"
    return f"event-{event.pk}@{domain}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def calendar_of(events: Iterable[CalendarEvent], *, domain: str, name: str) -> bytes:
    """``events`` as one VCALENDAR (``events`` prefetch their participants)."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", name)
    calendar.add("X-PUBLISHED-TTL", "PT15M")
    calendar.add("REFRESH-INTERVAL", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    stamp = _utc(timezone.now()).replace(microsecond=0)
    for event in events:
        item = icalendar.Event()
        item.add("UID", event_uid(event, domain))
        item.add("DTSTAMP", stamp)
        item.add("LAST-MODIFIED", _utc(event.updated_at).replace(microsecond=0))
        item.add("SEQUENCE", max(event.version - 1, 0))
        item.add("SUMMARY", event.title)
        if event.all_day:
            first = timezone.localtime(event.starts_at).date()
            last = timezone.localtime(event.ends_at).date()
            item.add("DTSTART", first)
            item.add("DTEND", max(last, first + timedelta(days=1)))
        else:
            item.add("DTSTART", _utc(event.starts_at).replace(microsecond=0))
            item.add("DTEND", _utc(event.ends_at).replace(microsecond=0))
        if event.location:
            item.add("LOCATION", event.location)
        description = event.description
        # only a client the subscriber may see (see queries.visible_clients)
        client = getattr(event, "company_shown", None) or getattr(event, "contact_shown", None)
        if client is not None:
            description = f"{client}\n{description}".strip()
        if description:
            item.add("DESCRIPTION", description)
        organiser = event.owner
        if organiser is not None and organiser.email:
            item.add("ORGANIZER", f"mailto:{organiser.email}", parameters={"CN": str(organiser)})
        for person in event.participants.all():
            if person.email and person.pk != event.owner_id:  # type: ignore[attr-defined]
                item.add("ATTENDEE", f"mailto:{person.email}", parameters={"CN": str(person)})
        item.add("TRANSP", "TRANSPARENT" if event.all_day else "OPAQUE")
        calendar.add_component(item)
    return bytes(calendar.to_ical())
