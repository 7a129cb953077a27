"""The calendar: its JSON feed (scoped, participants, clashes, bounded queries), drag and resize
with the version check and undo, quick create, the card, and the iCalendar subscription."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import icalendar
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from kartoteka.accounts.models import User
from kartoteka.accounts.services import token_create
from kartoteka.activities.models import CalendarEvent, CalendarFeed, EventParticipant
from kartoteka.activities.services.events import event_create
from kartoteka.activities.services.feeds import feed_create, feed_revoke
from kartoteka.core.models import AuditEntry
from tests.conftest import Personas

MONDAY = datetime(2026, 11, 23)  # a week to look at: Monday 23 November 2026


def at(day: int, hour: float) -> datetime:
    """A moment of that week in the site's time zone (Europe/Moscow)."""
    return timezone.make_aware(MONDAY + timedelta(days=day, hours=hour))


def meeting(
    organiser: User, title: str, start: datetime, minutes: int = 60, *others: User, **extra: Any
) -> CalendarEvent:
    return event_create(
        actor=organiser,
        values={
            "title": title,
            "starts_at": start,
            "ends_at": start + timedelta(minutes=minutes),
            "participants": [organiser, *others],
            **extra,
        },
    )


def feed(
    client: Client, who: str = "me", start: str = "2026-11-23", end: str = "2026-11-30"
) -> Any:
    response = client.get(
        "/calendar/events/", {"start": f"{start}T00:00:00", "end": f"{end}T00:00:00", "who": who}
    )
    assert response.status_code == 200, response.content
    return {item["title"]: item for item in response.json()}


@pytest.fixture
def week(personas: Personas) -> dict[str, CalendarEvent]:
    a, b = personas.manager_a, personas.manager_b
    return {
        "own": meeting(a, "Демо для «Альфы»", at(0, 10)),
        "teammate": meeting(personas.teammate_a, "Звонок тиммейта", at(1, 9)),
        "kazan": meeting(b, "Казанская тайна", at(0, 10)),
        # Organised in Kazan, with manager_a invited: a participant sees it.
        "invited": meeting(b, "Казань зовёт Москву", at(2, 14), 60, a),
    }


def test_the_feed_shows_only_what_the_access_rule_allows(
    personas: Personas, week: dict[str, CalendarEvent], login: Any
) -> None:
    client = login(personas.manager_a)
    for who in ("me", "team", "branch", "all"):  # "all" is not manager_a's: it falls back
        shown = feed(client, who)
        assert "Казанская тайна" not in shown
    assert set(feed(client, "me")) == {"Демо для «Альфы»", "Казань зовёт Москву"}
    assert set(feed(client, "team")) == {
        "Демо для «Альфы»",
        "Звонок тиммейта",
        "Казань зовёт Москву",
    }
    kazan = feed(login(personas.manager_b), "branch")
    assert set(kazan) == {"Казанская тайна", "Казань зовёт Москву"}
    everything = feed(login(personas.head), "all")
    assert set(everything) == {
        "Демо для «Альфы»",
        "Звонок тиммейта",
        "Казанская тайна",
        "Казань зовёт Москву",
    }


def test_a_meeting_appears_for_each_participant(
    personas: Personas, week: dict[str, CalendarEvent], login: Any
) -> None:
    a, b = personas.manager_a, personas.manager_b
    item = feed(login(personas.head), "all")["Казань зовёт Москву"]
    assert sorted(item["resourceIds"]) == sorted([str(a.pk), str(b.pk)])
    assert set(item["extendedProps"]["participants"]) == {str(a), str(b)}
    # manager_a's own calendar shows only their own column; they may not move Kazan's meeting.
    mine = feed(login(a), "me")["Казань зовёт Москву"]
    assert mine["resourceIds"] == [str(a.pk)]
    assert mine["editable"] is False
    assert feed(login(a), "me")["Демо для «Альфы»"]["editable"] is True


def test_a_participant_booked_twice_is_marked_as_a_clash(personas: Personas, login: Any) -> None:
    a, teammate = personas.manager_a, personas.teammate_a
    meeting(a, "Первая", at(0, 10), 60, teammate)
    meeting(teammate, "Вторая", at(0, 10.5), 60)
    meeting(a, "Впритык", at(0, 11), 30)  # starts as the first ends: no clash
    meeting(a, "День рождения", at(0, 0), 24 * 60, all_day=True)  # a mark, not busy time
    meeting(personas.colleague_a, "Чужая", at(0, 10), 60)  # overlaps, but shares nobody
    shown = feed(login(personas.branch_head_a), "branch")
    assert "kt-clash" in shown["Первая"]["classNames"]
    assert "kt-clash" in shown["Вторая"]["classNames"]
    assert shown["Первая"]["extendedProps"]["clash"] == [str(teammate)]
    for calm in ("Впритык", "День рождения", "Чужая"):
        assert "kt-clash" not in shown[calm]["classNames"], calm
    assert shown["День рождения"]["allDay"] is True
    assert shown["День рождения"]["start"] == "2026-11-23"
    assert shown["День рождения"]["end"] == "2026-11-24"


def test_the_feed_refuses_a_missing_or_huge_range(personas: Personas, login: Any) -> None:
    client = login(personas.manager_a)
    assert client.get("/calendar/events/").status_code == 400
    huge = {"start": "2026-01-01T00:00:00", "end": "2027-01-01T00:00:00"}
    assert client.get("/calendar/events/", huge).status_code == 400


@pytest.mark.parametrize("count", [2, 20])
def test_the_feed_costs_the_same_queries_however_many_events(
    count: int, personas: Personas, login: Any
) -> None:
    a, teammate = personas.manager_a, personas.teammate_a
    for index in range(count):
        meeting(a, f"Встреча {index}", at(index % 7, 8 + index % 10), 90, teammate)
    client = login(personas.branch_head_a)
    feed(client, "branch")  # the session and the grants are warm
    with CaptureQueriesContext(connection) as queries:
        shown = feed(client, "branch")
    assert len(shown) == count
    assert len(queries) <= 10, [q["sql"] for q in queries.captured_queries]


def _move(client: Client, event: CalendarEvent, version: int, start: str, end: str) -> Any:
    return client.post(
        f"/calendar/events/{event.pk}/move/",
        data=json.dumps({"version": version, "start": start, "end": end, "allDay": False}),
        content_type="application/json",
    )


def test_a_drag_saves_the_new_time_and_can_be_undone(personas: Personas, login: Any) -> None:
    event = meeting(personas.manager_a, "Демо", at(0, 10))
    client = login(personas.manager_a)
    response = _move(client, event, event.version, "2026-11-24T15:00:00", "2026-11-24T16:30:00")
    assert response.status_code == 200, response.content
    body = response.json()
    event.refresh_from_db()
    assert event.starts_at == at(1, 15) and event.ends_at == at(1, 16.5)
    assert body["version"] == event.version
    assert body["undoUrl"].startswith("/undo/")
    client.post(body["undoUrl"], {"next": "/calendar/"})
    event.refresh_from_db()
    assert event.starts_at == at(0, 10) and event.ends_at == at(0, 11)


def test_a_drag_of_a_stale_version_answers_409_and_changes_nothing(
    personas: Personas, login: Any
) -> None:
    event = meeting(personas.manager_a, "Демо", at(0, 10))
    stale = event.version
    client = login(personas.manager_a)
    assert (
        _move(client, event, stale, "2026-11-24T15:00:00", "2026-11-24T16:00:00").status_code == 200
    )
    response = _move(client, event, stale, "2026-11-25T09:00:00", "2026-11-25T10:00:00")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    event.refresh_from_db()
    assert event.starts_at == at(1, 15)


def test_nobody_moves_a_meeting_they_may_not_edit(
    personas: Personas, week: dict[str, CalendarEvent], login: Any
) -> None:
    kazan, invited = week["kazan"], week["invited"]
    client = login(personas.manager_a)
    for event in (kazan, invited):  # hidden: 404; seen as a participant: still not theirs
        response = _move(client, event, event.version, "2026-11-24T15:00:00", "2026-11-24T16:00:00")
        assert response.status_code == 404
        before = event.starts_at
        event.refresh_from_db()
        assert event.starts_at == before


def _hand(
    client: Client, event: CalendarEvent, source: User, target: User, version: int | None = None
) -> Any:
    """A drop in the day view from ``source``'s column onto ``target``'s, at 15:00 on Tuesday."""
    return client.post(
        f"/calendar/events/{event.pk}/move/",
        data=json.dumps(
            {
                "version": event.version if version is None else version,
                "start": "2026-11-24T15:00:00",
                "end": "2026-11-24T16:00:00",
                "allDay": False,
                "fromResource": str(source.pk),
                "toResource": str(target.pk),
            }
        ),
        content_type="application/json",
    )


def _people_of(event: CalendarEvent) -> set[User]:
    return set(User.objects.filter(event_participations__event=event))


def test_a_drop_on_a_colleagues_column_swaps_that_participant(
    personas: Personas, login: Any
) -> None:
    # Given: manager_a's meeting with a teammate and a colleague.
    a, teammate, colleague = personas.manager_a, personas.teammate_a, personas.colleague_a
    event = meeting(a, "Демо", at(0, 10), 60, teammate, colleague)
    client = login(a)
    # When: the teammate's copy is dropped into the branch head's column, two hours later.
    response = _hand(client, event, teammate, personas.branch_head_a)
    # Then: the branch head takes the teammate's place; the organiser and the colleague stay.
    assert response.status_code == 200, response.content
    event.refresh_from_db()
    assert _people_of(event) == {a, colleague, personas.branch_head_a}
    assert event.owner == a and event.starts_at == at(1, 15) and event.version == 2
    assert str(personas.branch_head_a) in response.json()["message"]
    entry = AuditEntry.objects.get(object_id=event.pk, action=AuditEntry.Action.UPDATE)
    assert entry.actor == a
    assert entry.changes["participants"] == [
        sorted(str(p) for p in (a, teammate, colleague)),
        sorted(str(p) for p in (a, colleague, personas.branch_head_a)),
    ]
    assert "starts_at" in entry.changes
    # Undo puts the people back, with the time.
    client.post(response.json()["undoUrl"], {"next": "/calendar/"})
    event.refresh_from_db()
    assert _people_of(event) == {a, teammate, colleague} and event.starts_at == at(0, 10)


def test_a_drop_from_the_organisers_column_hands_the_meeting_over(
    personas: Personas, login: Any
) -> None:
    a, teammate = personas.manager_a, personas.teammate_a
    event = meeting(a, "Демо", at(0, 10))
    response = _hand(login(personas.branch_head_a), event, a, teammate)
    assert response.status_code == 200, response.content
    event.refresh_from_db()
    assert event.owner == teammate and _people_of(event) == {teammate}


def test_a_drop_on_a_column_one_may_not_use_changes_nothing(personas: Personas, login: Any) -> None:
    a, teammate = personas.manager_a, personas.teammate_a
    event = meeting(a, "Демо", at(0, 10), 60, teammate)
    audited = AuditEntry.objects.count()

    def unchanged() -> None:
        fresh = CalendarEvent.objects.get(pk=event.pk)
        assert fresh.version == event.version and fresh.starts_at == at(0, 10)
        assert fresh.owner == a and _people_of(fresh) == {a, teammate}
        assert AuditEntry.objects.count() == audited

    client = login(a)
    # Someone of another branch: not a colleague one may invite (the same answer as nobody).
    for stranger in (personas.manager_b.pk, 999_999):
        response = _hand(client, event, teammate, User(pk=stranger))
        assert response.status_code == 422, response.content
        unchanged()
    # A manager may not give their own meeting away (reassigning is their head's call).
    response = _hand(client, event, a, personas.colleague_a)
    assert response.status_code == 422
    assert "reassign" in response.json()["error"]["message"]
    unchanged()
    # Dragged from someone who does not take part: the page was wrong.
    assert _hand(client, event, personas.colleague_a, personas.branch_head_a).status_code == 422
    unchanged()
    # A participant who may not edit it: as for any drag, it is not theirs to move.
    assert _hand(login(teammate), event, teammate, personas.colleague_a).status_code == 404
    unchanged()
    # A stale page: the version check answers first.
    client = login(a)
    stale = _hand(client, event, teammate, personas.colleague_a, version=event.version - 1)
    assert stale.status_code == 409
    unchanged()


def test_a_clicked_slot_creates_a_meeting(personas: Personas, login: Any) -> None:
    client = login(personas.manager_a)
    form = client.get(
        "/calendar/events/new/",
        {"quick": "1", "start": "2026-11-24T11:00:00", "end": "2026-11-24T12:00:00"},
    )
    assert form.status_code == 200
    assert b'value="2026-11-24T11:00"' in form.content
    response = client.post(
        "/calendar/events/new/?quick=1",
        {
            "title": "Новая встреча",
            "starts_at": "2026-11-24T11:00",
            "ends_at": "2026-11-24T12:00",
            "participants": [personas.manager_a.pk, personas.teammate_a.pk],
        },
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 200, response.content
    event = CalendarEvent.objects.get(title="Новая встреча")
    assert event.owner == personas.manager_a
    assert event.starts_at == at(1, 11)
    assert set(event.participants.all()) == {personas.manager_a, personas.teammate_a}
    bad = client.post(
        "/calendar/events/new/?quick=1",
        {"title": "", "starts_at": "2026-11-24T11:00", "ends_at": "2026-11-24T10:00"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert bad.status_code == 422


def test_the_picker_offers_only_colleagues_one_may_see(personas: Personas, login: Any) -> None:
    client = login(personas.manager_a)
    page = client.get("/calendar/events/new/").content.decode()
    assert str(personas.teammate_a) in page
    assert str(personas.manager_b) not in page
    response = client.post(
        "/calendar/events/new/",
        {
            "title": "С Казанью",
            "starts_at": "2026-11-24T11:00",
            "ends_at": "2026-11-24T12:00",
            "participants": [personas.manager_b.pk],
        },
    )
    assert response.status_code == 422
    assert not CalendarEvent.objects.filter(title="С Казанью").exists()


def test_the_card_and_its_delete_with_undo(personas: Personas, login: Any) -> None:
    event = meeting(personas.manager_a, "Демо", at(0, 10), 60, personas.manager_b)
    meeting(personas.manager_b, "Накладка", at(0, 10.5))
    meeting(personas.teammate_a, "Своя накладка", at(0, 10.5), 60, personas.manager_a)
    client = login(personas.manager_a)
    card = client.get(f"/calendar/events/{event.pk}/?quick=1").content.decode()
    assert "Демо" in card and str(personas.manager_b) in card
    assert "Своя накладка" in card  # the clash manager_a may see is named
    assert "Накладка (" not in card  # Kazan's own meeting is not manager_a's to see
    head_card = login(personas.head).get(f"/calendar/events/{event.pk}/").content
    assert "Накладка (" in head_card.decode()  # the head of sales sees every clash
    client = login(personas.manager_a)
    response = client.post(f"/calendar/events/{event.pk}/delete/", HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 200
    assert not CalendarEvent.objects.filter(pk=event.pk).exists()
    client.post(response.json()["undoUrl"], {"next": "/calendar/"})
    assert CalendarEvent.objects.filter(pk=event.pk).exists()


def test_the_edit_form_keeps_invisible_participants_and_checks_the_version(
    personas: Personas, login: Any
) -> None:
    event = meeting(personas.manager_a, "Демо", at(0, 10), 60, personas.manager_b)
    client = login(personas.manager_a)
    data = {
        "title": "Демо 2",
        "starts_at": "2026-11-23T10:00",
        "ends_at": "2026-11-23T11:00",
        "participants": [personas.manager_a.pk],
        "version": event.version,
    }
    assert client.post(f"/calendar/events/{event.pk}/edit/", data).status_code == 302
    event.refresh_from_db()
    assert event.title == "Демо 2"
    assert set(event.participants.all()) == {personas.manager_a, personas.manager_b}
    stale = client.post(f"/calendar/events/{event.pk}/edit/", {**data, "title": "Демо 3"})
    assert stale.status_code == 409
    event.refresh_from_db()
    assert event.title == "Демо 2"


# --- The iCalendar subscription -----------------------------------------------------------------
def test_the_subscription_answers_valid_icalendar(
    personas: Personas, client: Client, login: Any
) -> None:
    a = personas.manager_a
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    timed = meeting(a, "Демо, «Альфа»; ок", now + timedelta(days=1), 90, personas.teammate_a)
    meeting(a, "ДР Петрова", now.replace(hour=0) + timedelta(days=2), 24 * 60, all_day=True)
    meeting(personas.manager_b, "Казанская тайна", now + timedelta(days=1))
    url = login(a).get("/api/v1/users/me/").json()["calendar_feed_url"]
    assert url is None  # none until asked for
    subscription = feed_create(actor=a)
    me = login(a).get("/api/v1/users/me/").json()
    assert me["calendar_feed_url"].endswith(f"/calendar/ical/{subscription.token}.ics")
    # A program signed in with a token reads the same, with its sign-in's one statement.
    program = APIClient()
    program.credentials(HTTP_AUTHORIZATION="Bearer " + token_create(actor=None, user=a, name="t"))
    by_token = program.get("/api/v1/users/me/").json()
    assert by_token["calendar_feed_url"] == me["calendar_feed_url"]
    assert sorted(by_token["teams"]) == sorted(a.teams.values_list("pk", flat=True)) != []
    client.logout()
    response = client.get(f"/calendar/ical/{subscription.token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Демо, «Альфа»; ок", "ДР Петрова"}
    for event in events.values():
        assert event["UID"] and event["DTSTAMP"]
    demo = events["Демо, «Альфа»; ок"]
    assert demo.decoded("DTSTART") == timed.starts_at
    assert demo.decoded("DTSTART").utcoffset() == timedelta(0)  # UTC: no VTIMEZONE needed
    assert demo.decoded("DTEND") - demo.decoded("DTSTART") == timedelta(minutes=90)
    birthday = events["ДР Петрова"]
    assert birthday["DTSTART"].params.get("VALUE") == "DATE"
    assert birthday.decoded("DTEND") - birthday.decoded("DTSTART") == timedelta(days=1)
    assert b"VALUE=DATE:" in response.content
    assert not calendar.walk("VTIMEZONE")


def test_a_revoked_remade_or_forged_address_answers_404(personas: Personas, client: Client) -> None:
    first = feed_create(actor=personas.manager_a)
    assert client.get(f"/calendar/ical/{first.token}.ics").status_code == 200
    second = feed_create(actor=personas.manager_a)  # remade: the old one stops
    assert client.get(f"/calendar/ical/{first.token}.ics").status_code == 404
    assert client.get(f"/calendar/ical/{second.token}.ics").status_code == 200
    forged = f"{second.key}.{'0' * 32}"
    assert client.get(f"/calendar/ical/{forged}.ics").status_code == 404
    assert client.get(f"/calendar/ical/{second.key}.ics").status_code == 404
    assert feed_revoke(actor=personas.manager_a) == 1
    assert client.get(f"/calendar/ical/{second.token}.ics").status_code == 404


def test_the_address_is_not_in_the_database(personas: Personas) -> None:
    made = feed_create(actor=personas.manager_a)
    row = CalendarFeed.objects.filter(pk=made.pk).values().get()
    assert made.token.split(".")[1] not in json.dumps(row, default=str)


def test_the_subscription_buttons(personas: Personas, login: Any) -> None:
    client = login(personas.manager_a)
    assert client.post("/calendar/subscription/").status_code == 302
    token = CalendarFeed.objects.get(user=personas.manager_a, revoked_at__isnull=True).token
    assert token in client.get("/calendar/").content.decode()
    client.post("/calendar/subscription/revoke/")
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
    assert client.get(f"/calendar/ical/{token}.ics").status_code == 404


def test_the_calendar_page(personas: Personas, login: Any) -> None:
    client = login(personas.manager_a)
    page = client.get("/calendar/?who=team&view=day")
    assert page.status_code == 200
    config = json.loads(
        page.content.decode()
        .split('id="calendar-config" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert config["view"] == "resourceTimeGridDay"
    assert {r["id"] for r in config["resources"]} == {
        str(personas.manager_a.pk),
        str(personas.teammate_a.pk),
    }
    assert login(personas.outsider).get("/calendar/").status_code == 403
    assert EventParticipant.objects.count() == 0


def test_a_client_one_may_not_see_does_not_travel_with_the_meeting(
    personas: Personas, client: Client, login: Any
) -> None:
    from tests.factories.clients import CompanyFactory

    secret = CompanyFactory(owner=personas.manager_b, name="ООО «Казанский секрет»")
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    event = meeting(
        personas.manager_b,
        "Общая встреча",
        now + timedelta(days=1),
        60,
        personas.manager_a,
        company=secret.pk,
    )
    viewer = login(personas.manager_a)
    day = timezone.localdate(event.starts_at)
    shown = feed(viewer, "me", str(day), str(day + timedelta(days=1)))
    assert shown["Общая встреча"]["extendedProps"]["client"] == ""
    card = viewer.get(f"/calendar/events/{event.pk}/").content.decode()
    assert "Общая встреча" in card and "Казанский секрет" not in card
    subscription = feed_create(actor=personas.manager_a)
    ics = client.get(f"/calendar/ical/{subscription.token}.ics").content.decode()
    assert "Общая встреча" in ics and "Казанский секрет" not in ics
    # The organiser still sees it everywhere.
    organiser = login(personas.manager_b)
    assert "Казанский секрет" in organiser.get(f"/calendar/events/{event.pk}/").content.decode()
