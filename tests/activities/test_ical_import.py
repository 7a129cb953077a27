"""Importing real .ics files (shared/fixtures/calendar): time zones, all-day events, repeating
events, re-import by UID, refusals that name the line, all or nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from kartoteka.activities.models import CalendarEvent
from kartoteka.activities.services.ical_import import (
    MAX_OCCURRENCES,
    IcalImportError,
    ImportResult,
    ical_import,
)
from kartoteka.core.models import AuditEntry
from tests.activities.ics_fixtures import ics_folder
from tests.conftest import Personas

UTC = ZoneInfo("UTC")
MOSCOW = ZoneInfo("Europe/Moscow")
#: "today" for the imports: a series is cut relative to it
TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # The services speak the active language; these tests read their English.
    with translation.override("en"):
        yield


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def load(personas: Personas, folder: Path, name: str, data: bytes | None = None) -> ImportResult:
    raw = data if data is not None else (folder / name).read_bytes()
    return ical_import(actor=personas.manager_a, data=raw, today=TODAY)


def mine(**lookup: Any) -> Any:
    return CalendarEvent.objects.filter(**lookup).order_by("starts_at")


# (file, events imported) for every calendar file; the to-do files hold no events
COUNTS = {
    "android-etar_valarm.ics": 1,
    "google-calendar_birthdays_rdate-recurrence-id.ics": 6,
    "google-calendar_valarm.ics": 1,
    "google-calendar_weekly-rrule_apple-location.ics": MAX_OCCURRENCES,
    "outlook-2007_comma-tzid.ics": 1,
    "outlook-2007_cyrillic-tzid.ics": 1,
    "outlook-2010_request_vtimezone.ics": 1,
    "outlook-style_non-ascii-tzid.ics": 1,
    "python-caldav_valarm.ics": 1,
    "rfc5545_vtodo_valarm.ics": 0,
    "rrule_exdates-multiple-lines.ics": 10,
    "thunderbird_daily-rrule_recurrence-id-override.ics": MAX_OCCURRENCES,
    "thunderbird_valarm_long-vtimezone.ics": 1,
    "thunderbird_vtodo.ics": 0,
    "thunderbird_windows-tzid_weekly-rrule_exdate_attendees.ics": 27,
    "vtodo_example.ics": 0,
    "zimbra_multiple-rrules_valarm.ics": 36,
    "zimbra_rrule-rdate-period-exdate.ics": 184,
}


def test_every_fixture_imports_with_the_expected_count(personas: Personas) -> None:
    ics_dir = ics_folder()
    assert {path.name for path in ics_dir.glob("*.ics")} == set(COUNTS)
    for name, count in COUNTS.items():
        before = CalendarEvent.objects.count()
        result = load(personas, ics_dir, name)
        assert result.created == count, (name, result)
        assert CalendarEvent.objects.count() - before == count, name
        if count == 0:
            assert result.skipped == 1, name  # the to-do is reported, not imported
    assert not mine(owner=personas.manager_b).exists()
    assert all(e.participants.get() == personas.manager_a for e in mine()[:20])


def test_time_zones_are_converted(personas: Personas) -> None:
    ics_dir = ics_folder()
    # Outlook's Windows zone name, defined by its VTIMEZONE: 12:00 EDT is 16:00 UTC.
    load(personas, ics_dir, "outlook-2010_request_vtimezone.ics")
    team = mine(title="Team Meeting").get()
    assert team.starts_at == utc(2013, 6, 10, 16)
    assert team.ends_at == utc(2013, 6, 10, 17)
    assert team.location == "Auditorium 16"
    assert team.description.startswith("Meeting will discuss objectives for next project.\n")
    # A Cyrillic TZID (Екатеринбург, summer time +06:00) and no DTEND: a moment.
    load(personas, ics_dir, "outlook-2007_cyrillic-tzid.ics")
    yekaterinburg = mine(ical_uid="CyrillicTest").get()
    assert yekaterinburg.starts_at == utc(2008, 5, 30, 9)
    assert yekaterinburg.ends_at == yekaterinburg.starts_at
    assert yekaterinburg.title == "(no title)"
    # Thunderbird's "W. Europe Standard Time": winter +01:00, summer +02:00, an override moved.
    load(personas, ics_dir, "thunderbird_windows-tzid_weekly-rrule_exdate_attendees.ics")
    series = list(mine(title="Billings-task-setting follow-up series"))
    starts = [event.starts_at for event in series]
    assert starts[0] == utc(2026, 1, 23, 10)
    assert starts[1] == utc(2026, 1, 30, 9, 30)  # RECURRENCE-ID: this one moved to 10:30
    assert starts[-1] == utc(2026, 7, 31, 9)
    assert utc(2026, 4, 3, 9) not in starts  # EXDATE
    # UTC stays UTC; a file's floating time would take its X-WR-TIMEZONE.
    load(personas, ics_dir, "google-calendar_valarm.ics")
    assert mine(title="event with alarms").get().starts_at == utc(2024, 10, 4, 18, 15)


def test_all_day_events_stay_all_day(personas: Personas) -> None:
    ics_dir = ics_folder()
    load(personas, ics_dir, "google-calendar_birthdays_rdate-recurrence-id.ics")
    birthdays = list(mine(title="PErson #2's birthday"))
    assert len(birthdays) == 6
    assert all(event.all_day for event in birthdays)
    first = birthdays[0]
    # Midnight to midnight in the site's time zone (Europe/Moscow).
    assert first.starts_at.astimezone(MOSCOW) == datetime(2012, 12, 10, tzinfo=MOSCOW)
    assert first.ends_at - first.starts_at == timedelta(days=1)
    assert sorted({e.starts_at.astimezone(MOSCOW).year for e in birthdays}) == [2012, 2013, 2014]


def test_repeating_events_are_expanded(personas: Personas) -> None:
    ics_dir = ics_folder()
    load(personas, ics_dir, "rrule_exdates-multiple-lines.ics")
    tuesdays = [e.starts_at.astimezone(ZoneInfo("Europe/Vienna")) for e in mine()]
    assert len(tuesdays) == 10
    assert all(day.weekday() == 1 and day.hour == 10 for day in tuesdays)
    for excluded in (date(2012, 4, 3), date(2012, 4, 10), date(2012, 4, 17), date(2012, 5, 29)):
        assert excluded not in {day.date() for day in tuesdays}
    assert tuesdays[-1].date() == date(2012, 7, 3)  # UNTIL is inclusive
    assert len({e.ical_recurrence_id for e in mine()}) == 10
    # RRULE + RDATE (also as PERIOD) + EXDATE + overrides, Zimbra's broken empty VTIMEZONE
    load(personas, ics_dir, "zimbra_rrule-rdate-period-exdate.ics")
    crazy = list(mine(title="Crazy Event Thingy!"))
    moved = [e for e in crazy if e.description.startswith("I HAZ CHANGED!")]
    assert len(moved) == 1 and moved[0].starts_at == utc(2012, 10, 2, 22)


def test_an_endless_series_is_cut_around_today(personas: Personas) -> None:
    ics_dir = ics_folder()
    result = load(personas, ics_dir, "thunderbird_daily-rrule_recurrence-id-override.ics")
    assert result.created == MAX_OCCURRENCES and result.cut > 0
    days = [e.starts_at.astimezone(ZoneInfo("Europe/Paris")).date() for e in mine()]
    assert days[0] == TODAY - timedelta(days=90)
    assert days == [days[0] + timedelta(days=n) for n in range(MAX_OCCURRENCES)]


def test_importing_again_updates_instead_of_duplicating(personas: Personas) -> None:
    ics_dir = ics_folder()
    name = "thunderbird_windows-tzid_weekly-rrule_exdate_attendees.ics"
    original = (ics_dir / name).read_bytes()
    assert load(personas, ics_dir, name).created == 27
    again = load(personas, ics_dir, name)
    assert (again.created, again.updated, again.unchanged, again.removed) == (0, 0, 27, 0)
    renamed = original.replace(b"SUMMARY:Billings", b"SUMMARY:Renamed")
    changed = load(personas, ics_dir, name, renamed)
    assert (changed.created, changed.updated) == (0, 27)
    assert mine(title__startswith="Renamed").count() == 27
    # The series ends a month earlier: its last occurrences go to the trash.
    shorter = renamed.replace(b"UNTIL=20260731T090000Z", b"UNTIL=20260626T090000Z")
    cut = load(personas, ics_dir, name, shorter)
    assert (cut.created, cut.removed) == (0, 5)
    assert CalendarEvent.objects.count() == 22
    assert CalendarEvent.all_objects.count() == 27


BROKEN = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//EN\r
BEGIN:VEVENT\r
UID:good-1\r
SUMMARY:Good one\r
DTSTART:20261124T100000Z\r
DTEND:20261124T110000Z\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:bad-1\r
SUMMARY:Broken one\r
DTSTART:2026-13-45\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_a_bad_file_names_the_line_and_the_event_and_imports_nothing(
    personas: Personas,
) -> None:
    with pytest.raises(IcalImportError) as caught:
        ical_import(actor=personas.manager_a, data=BROKEN, today=TODAY)
    problem = caught.value.problems[0]
    assert "Line 13" in problem and "Broken one" in problem and "DTSTART" in problem
    assert not CalendarEvent.all_objects.exists()  # not even the good one
    backwards = BROKEN.replace(
        b"DTSTART:2026-13-45", b"DTSTART:20261124T100000Z\r\nDTEND:20261124T090000Z"
    )
    with pytest.raises(IcalImportError) as caught:
        ical_import(actor=personas.manager_a, data=backwards, today=TODAY)
    assert "ends before it starts" in caught.value.problems[0]
    with pytest.raises(IcalImportError) as caught:
        ical_import(actor=personas.manager_a, data=b"hello world\n", today=TODAY)
    assert "Line 1" in caught.value.problems[0]
    assert not CalendarEvent.all_objects.exists()


def test_the_upload_page(personas: Personas, login: Any) -> None:
    ics_dir = ics_folder()
    client = login(personas.manager_a)
    assert client.get("/calendar/import/").status_code == 200
    name = "outlook-2010_request_vtimezone.ics"
    upload = SimpleUploadedFile(name, (ics_dir / name).read_bytes(), "text/calendar")
    response = client.post("/calendar/import/", {"file": upload})
    assert response.status_code == 302
    assert mine(title="Team Meeting").exists()
    bad = client.post(
        "/calendar/import/", {"file": SimpleUploadedFile("bad.ics", BROKEN, "text/calendar")}
    )
    assert bad.status_code == 422
    assert re.search("Line 13|Строка 13", bad.content.decode())
    assert login(personas.auditor).get("/calendar/import/").status_code == 403


def invitation(*attendees: str, organiser: str = "teammate_a@example.ru") -> bytes:
    """A one-event .ics file as a mail program sends it: an organiser and attendee lines."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Test//EN",
        "BEGIN:VEVENT",
        "UID:invite-1@example.ru",
        "SUMMARY:Демо для «Альфы»",
        "DESCRIPTION:Показать отчёты",
        "DTSTART:20261124T100000Z",
        "DTEND:20261124T110000Z",
        f"ORGANIZER;CN=Организатор:mailto:{organiser}",
        *(f"ATTENDEE{':' if line.startswith('mailto:') else ';'}{line}" for line in attendees),
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines).encode()


def test_attendees_who_are_users_take_part_and_the_others_are_listed(
    personas: Personas,
) -> None:
    # Given: a former colleague (inactive) and two people sharing one address.
    gone = personas.service_a
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    for shared in (personas.head, personas.auditor):
        shared.email = "sales@example.ru"
        shared.save(update_fields=["email"])
    data = invitation(
        "CN=Me;PARTSTAT=ACCEPTED:mailto:MANAGER_A@Example.RU",
        "CN=Colleague:mailto:colleague_a@example.ru",
        "CN=Other branch:mailto:manager_b@example.ru",
        "CN=Marketer;PARTSTAT=DECLINED:mailto:marketer@example.ru",
        "CN=Иван Петров;PARTSTAT=NEEDS-ACTION:mailto:ivan@client.ru",
        "CN=Former:mailto:service_a@example.ru",
        "CN=Sales:mailto:sales@example.ru",
        "mailto:ivan@client.ru",  # the same person twice: listed once
    )
    # When
    result = ical_import(actor=personas.manager_a, data=data, today=TODAY)
    # Then: the organiser and the matched attendees take part; the importer organises.
    event = CalendarEvent.objects.get(ical_uid="invite-1@example.ru")
    assert result.created == 1
    assert event.owner == personas.manager_a
    assert set(event.participants.all()) == {
        personas.manager_a,
        personas.teammate_a,
        personas.colleague_a,
        personas.manager_b,
    }
    assert event.description == (
        "Показать отчёты\n\n"
        "Also invited:\n"
        "- Marketer <marketer@example.ru> (declined)\n"
        "- Иван Петров <ivan@client.ru>\n"
        "- Former <service_a@example.ru>\n"
        "- Sales <sales@example.ru>"
    )
    assert not type(personas.manager_a).objects.filter(email="ivan@client.ru").exists()
    # The colleagues see it in their calendars, as any meeting they are invited to.
    assert CalendarEvent.objects.filter(participants=personas.colleague_a).count() == 1


def test_importing_the_invitation_again_follows_its_attendees(personas: Personas) -> None:
    first = invitation("mailto:colleague_a@example.ru", "mailto:ivan@client.ru")
    ical_import(actor=personas.manager_a, data=first, today=TODAY)
    event = CalendarEvent.objects.get()
    again = ical_import(actor=personas.manager_a, data=first, today=TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    # The colleague is taken off the invitation: the next import takes them off the meeting,
    # as one audited change.
    changed = invitation("mailto:ivan@client.ru")
    result = ical_import(actor=personas.manager_a, data=changed, today=TODAY)
    assert (result.created, result.updated) == (0, 1)
    event.refresh_from_db()
    assert set(event.participants.all()) == {personas.manager_a, personas.teammate_a}
    assert event.version == 2
    entry = AuditEntry.objects.filter(object_id=event.pk, action=AuditEntry.Action.UPDATE).get()
    assert entry.changes == {
        "participants": [
            sorted(str(p) for p in (personas.manager_a, personas.teammate_a, personas.colleague_a)),
            sorted(str(p) for p in (personas.manager_a, personas.teammate_a)),
        ]
    }


def test_an_invitation_without_known_attendees_stays_the_importers(personas: Personas) -> None:
    data = invitation("mailto:ivan@client.ru", organiser="boss@client.ru")
    ical_import(actor=personas.manager_a, data=data, today=TODAY)
    event = CalendarEvent.objects.get()
    assert list(event.participants.all()) == [personas.manager_a]
    listed = "Also invited:\n- Организатор <boss@client.ru>\n- ivan@client.ru"
    assert event.description.endswith(listed)
