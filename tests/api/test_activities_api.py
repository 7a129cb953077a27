"""activities, tasks and events endpoints: shape, filters, scoping per persona, versions (409),
validation errors naming fields, trash, and query counts that do not grow with the rows."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kartoteka.activities.models import Activity, CalendarEvent, EventParticipant, Task
from kartoteka.activities.services.activities import activity_create
from kartoteka.activities.services.tasks import task_create
from kartoteka.clients.models import Company
from kartoteka.core.models import AuditEntry
from kartoteka.records.sharing import share_create
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

MOMENT = datetime.datetime(2026, 3, 2, 10, 30, tzinfo=datetime.UTC)


def _call(actor: Any, company: Company, **values: Any) -> Activity:
    return activity_create(
        actor=actor, values={"type": "call", "company": company.pk, "subject": "Звонок", **values}
    )


# --- Activities --------------------------------------------------------------------------------


def test_log_a_call_read_it_change_it_and_trash_it(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    person = ContactFactory(owner=personas.manager_a, company=company)
    client = api(personas.manager_a)
    created = client.post(
        "/api/v1/activities/",
        {
            "type": "call",
            "subject": "Про крем",
            "body": "Спрашивал чёрный крем для обуви",
            "occurred_at": "2026-03-02T13:30:00+03:00",
            "company": company.pk,
            "contact": person.pk,
            "direction": "in",
            "duration": 95,
            "outcome": "reached",
            "recording_url": "https://pbx.example.ru/rec/1.mp3",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    pk = body.pop("id")
    assert body.pop("created_at") and body.pop("updated_at")
    assert body == {
        "type": "call",
        "subject": "Про крем",
        "body": "Спрашивал чёрный крем для обуви",
        "occurred_at": "2026-03-02T13:30:00+03:00",
        "company": company.pk,
        "contact": person.pk,
        "author": personas.manager_a.pk,
        "direction": "in",
        "duration": 95,
        "outcome": "reached",
        "result": "",
        "reason": None,
        "product_text": "",
        "place": "",
        "recording_url": "https://pbx.example.ru/rec/1.mp3",
        "branch": personas.branch_a.pk,
        "version": 1,
    }
    assert client.get(f"/api/v1/activities/{pk}/").json()["subject"] == "Про крем"
    changed = client.patch(
        f"/api/v1/activities/{pk}/", {"result": "Перезвонить", "version": 1}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["result"] == "Перезвонить" and changed.json()["version"] == 2
    assert client.delete(f"/api/v1/activities/{pk}/").status_code == 204
    assert client.get(f"/api/v1/activities/{pk}/").status_code == 404
    assert Activity.all_objects.get(pk=pk).deleted_at is not None
    assert list(
        AuditEntry.objects.filter(object_id=pk, content_type__model="activity")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["create", "update", "delete"]


def test_an_inquiry_keeps_its_product_outcome_and_reason(personas: Personas, api: Any) -> None:
    from kartoteka.activities.models import RefusalReason

    reason = RefusalReason.objects.create(name="Дорого")
    person = ContactFactory(owner=personas.manager_a)
    response = api(personas.manager_a).post(
        "/api/v1/activities/",
        {
            "type": "inquiry",
            "contact": person.pk,
            "product_text": "Пелевин, Generation П",
            "outcome": "refused",
            "reason": reason.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["type"], body["product_text"], body["outcome"], body["reason"]) == (
        "inquiry",
        "Пелевин, Generation П",
        "refused",
        reason.pk,
    )
    assert body["company"] is None and body["contact"] == person.pk


def test_refusal_reasons_are_listed_for_everyone(personas: Personas, api: Any) -> None:
    from kartoteka.activities.models import RefusalReason

    later = RefusalReason.objects.create(name="Нет в наличии", position=2)
    first = RefusalReason.objects.create(name="Дорого", position=1)
    response = api(personas.outsider).get("/api/v1/refusal-reasons/")
    assert response.status_code == 200
    assert response.json() == [
        {"id": first.pk, "name": "Дорого", "position": 1, "active": True},
        {"id": later.pk, "name": "Нет в наличии", "position": 2, "active": True},
    ]
    assert api(personas.outsider).get(f"/api/v1/refusal-reasons/{first.pk}/").status_code == 200
    assert api(personas.outsider).post("/api/v1/refusal-reasons/", {}).status_code == 405


def test_invalid_values_are_400_naming_every_field(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client = api(personas.manager_a)
    response = client.post(
        "/api/v1/activities/",
        {"type": "fax", "duration": -1, "company": company.pk, "recording_url": "не ссылка"},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"type", "duration", "recording_url"}
    # No client at all: the service names the company.
    response = client.post("/api/v1/activities/", {"type": "note"}, format="json")
    assert response.status_code == 400
    assert "company" in response.json()["error"]["fields"]
    assert Activity.objects.count() == 0


def test_a_hidden_client_is_refused_as_not_found(personas: Personas, api: Any) -> None:
    hidden = CompanyFactory(owner=personas.manager_b)
    mine = CompanyFactory(owner=personas.manager_a)
    client = api(personas.manager_a)
    for body in (
        {"type": "call", "company": hidden.pk},
        {"type": "call", "company": 999_999_999},
        {
            "type": "call",
            "company": mine.pk,
            "contact": ContactFactory(owner=personas.manager_b).pk,
        },
    ):
        response = client.post("/api/v1/activities/", body, format="json")
        assert response.status_code == 400, body
        fields = response.json()["error"]["fields"]
        assert list(fields) in (["company"], ["contact"])
    assert Activity.objects.count() == 0
    own = _call(personas.manager_a, mine)
    response = client.patch(
        f"/api/v1/activities/{own.pk}/", {"company": hidden.pk, "version": 1}, format="json"
    )
    assert response.status_code == 400
    own.refresh_from_db()
    assert own.company_id == mine.pk and own.version == 1


def test_stale_version_is_409_and_missing_version_400(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    activity = _call(personas.manager_a, company)
    client = api(personas.manager_a)
    first = client.patch(
        f"/api/v1/activities/{activity.pk}/", {"subject": "Первый", "version": 1}, format="json"
    )
    assert first.status_code == 200
    stale = client.patch(
        f"/api/v1/activities/{activity.pk}/", {"subject": "Второй", "version": 1}, format="json"
    )
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "conflict" and error["current_version"] == 2
    missing = client.patch(
        f"/api/v1/activities/{activity.pk}/", {"subject": "Третий"}, format="json"
    )
    assert missing.status_code == 400 and "version" in missing.json()["error"]["fields"]
    activity.refresh_from_db()
    assert activity.subject == "Первый"


def test_activities_follow_their_client_per_persona(personas: Personas, api: Any) -> None:
    mine = CompanyFactory(owner=personas.manager_a, name="Моя")
    shared = CompanyFactory(owner=personas.manager_b, name="Общая")
    hidden = CompanyFactory(owner=personas.manager_b, name="Чужая")
    share_create(actor=personas.head, obj=shared, user=personas.manager_a)
    on_mine = _call(personas.manager_a, mine)
    on_shared = _call(personas.manager_b, shared)
    on_hidden = _call(personas.manager_b, hidden)

    def seen(user: Any) -> set[int]:
        return {row["id"] for row in api(user).get("/api/v1/activities/").json()["results"]}

    assert seen(personas.manager_a) == {on_mine.pk, on_shared.pk}
    assert seen(personas.manager_b) == {on_shared.pk, on_hidden.pk}
    assert seen(personas.head) == {on_mine.pk, on_shared.pk, on_hidden.pk}
    assert seen(personas.outsider) == set()
    client = api(personas.manager_a)
    assert client.get(f"/api/v1/activities/{on_hidden.pk}/").status_code == 404
    for method in ("patch", "delete"):
        response = getattr(client, method)(
            f"/api/v1/activities/{on_hidden.pk}/", {"subject": "x", "version": 1}, format="json"
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    # The shared client's activity is another's: readable, not editable (own edit scope).
    response = client.patch(
        f"/api/v1/activities/{on_shared.pk}/", {"subject": "x", "version": 1}, format="json"
    )
    assert response.status_code == 404
    on_shared.refresh_from_db()
    assert on_shared.subject == "Звонок" and on_shared.version == 1
    # The client goes to the trash: its history goes out of sight with it.
    Company.objects.filter(pk=mine.pk).update(deleted_at=timezone.now())
    assert seen(personas.manager_a) == {on_shared.pk}


def test_activity_filters(personas: Personas, api: Any) -> None:
    one, two = CompanyFactory(owner=personas.manager_a), CompanyFactory(owner=personas.teammate_a)
    person = ContactFactory(owner=personas.manager_a)
    early = _call(personas.manager_a, one, occurred_at=MOMENT)
    late = _call(personas.manager_a, one, occurred_at=MOMENT + datetime.timedelta(days=3))
    note = activity_create(
        actor=personas.manager_a,
        values={"type": "note", "contact": person.pk, "occurred_at": MOMENT},
    )
    other = _call(personas.teammate_a, two, occurred_at=MOMENT)
    client = api(personas.head)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/activities/?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [late.pk, other.pk, note.pk, early.pk]  # newest first, then by id
    assert ids(f"company={one.pk}") == [late.pk, early.pk]
    assert ids(f"contact={person.pk}") == [note.pk]
    assert ids(f"author={personas.teammate_a.pk}") == [other.pk]
    assert ids("type=note") == [note.pk]
    assert ids("type=note,call") == [late.pk, other.pk, note.pk, early.pk]
    assert ids("occurred_after=2026-03-03") == [late.pk]
    assert ids("occurred_after=2026-03-05T10:30:00+03:00") == [late.pk]  # "+" left unencoded
    assert ids("occurred_before=2026-03-03T00:00:00%2B00:00") == [other.pk, note.pk, early.pk]
    assert ids("occurred_after=2026-03-02T10:30:00Z&occurred_before=2026-03-02T10:30:01Z") == [
        other.pk,
        note.pk,
        early.pk,
    ]
    for query, name in (
        ("company=abc", "company"),
        ("author=0", "author"),
        ("type=fax", "type"),
        ("occurred_after=вчера", "occurred_after"),
        ("cursor=zzz", "cursor"),
    ):
        response = client.get(f"/api/v1/activities/?{query}")
        assert response.status_code == 400, query
        assert list(response.json()["error"]["fields"]) == [name]


def test_activity_pages_follow_the_cursor(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    made = [
        _call(personas.manager_a, company, occurred_at=MOMENT + datetime.timedelta(hours=i % 3))
        for i in range(7)
    ]
    client = api(personas.manager_a)
    seen: list[int] = []
    url: str | None = "/api/v1/activities/?limit=3"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    expected = sorted(made, key=lambda a: (a.occurred_at, a.pk), reverse=True)
    assert seen == [a.pk for a in expected]


# --- Tasks -------------------------------------------------------------------------------------


def test_set_a_task_tick_it_done_and_reopen_it(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client = api(personas.manager_a)
    created = client.post(
        "/api/v1/tasks/",
        {
            "title": "Перезвонить",
            "description": "Про крем",
            "due_at": "2026-03-05T15:00:00+03:00",
            "remind_at": "2026-03-05T14:45:00+03:00",
            "priority": "high",
            "company": company.pk,
            "recurrence": "FREQ=WEEKLY;BYDAY=MO",
            "checklist": [{"text": "Цены"}, {"text": "Наличие", "done": True}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    pk = body.pop("id")
    assert body.pop("created_at") and body.pop("updated_at")
    assert body == {
        "title": "Перезвонить",
        "description": "Про крем",
        "assignee": personas.manager_a.pk,
        "author": personas.manager_a.pk,
        "due_at": "2026-03-05T15:00:00+03:00",
        "due_date": "2026-03-05",
        "remind_at": "2026-03-05T14:45:00+03:00",
        "priority": "high",
        "done": False,
        "done_at": None,
        "company": company.pk,
        "contact": None,
        "recurrence": "FREQ=WEEKLY;BYDAY=MO",
        "checklist": [{"text": "Цены", "done": False}, {"text": "Наличие", "done": True}],
        "branch": personas.branch_a.pk,
        "version": 1,
    }
    done = client.patch(f"/api/v1/tasks/{pk}/", {"done": True, "version": 1}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["done"] is True and done.json()["done_at"] and done.json()["version"] == 2
    task = Task.objects.get(pk=pk)
    assert task.done_by == personas.manager_a
    stale = client.patch(f"/api/v1/tasks/{pk}/", {"done": False, "version": 1}, format="json")
    assert stale.status_code == 409
    reopened = client.patch(
        f"/api/v1/tasks/{pk}/", {"done": False, "title": "Ещё раз", "version": 2}, format="json"
    )
    assert reopened.status_code == 200, reopened.content
    assert (reopened.json()["done"], reopened.json()["title"]) == (False, "Ещё раз")
    assert reopened.json()["version"] == 4  # the edit, then the reopening
    assert client.delete(f"/api/v1/tasks/{pk}/").status_code == 204
    assert Task.all_objects.get(pk=pk).deleted_at is not None


def test_task_validation_names_fields(personas: Personas, api: Any) -> None:
    client = api(personas.manager_a)
    response = client.post(
        "/api/v1/tasks/",
        {"priority": "urgent", "recurrence": "каждый день", "checklist": [{"done": True}]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {
        "title",
        "priority",
        "recurrence",
        "checklist",
    }
    response = client.post(
        "/api/v1/tasks/", {"title": "Чужому", "assignee": personas.manager_b.pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["owner"]
    assert Task.objects.count() == 0


def test_a_delegated_task_is_seen_by_its_author(personas: Personas, api: Any) -> None:
    hidden = CompanyFactory(owner=personas.manager_b, name="Чужая")
    created = api(personas.manager_a).post(
        "/api/v1/tasks/", {"title": "Коллеге", "assignee": personas.teammate_a.pk}, format="json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["assignee"] == personas.teammate_a.pk
    assert created.json()["author"] == personas.manager_a.pk
    for user in (personas.manager_a, personas.teammate_a):
        listed = api(user).get("/api/v1/tasks/").json()["results"]
        assert [row["id"] for row in listed] == [pk]
    assert api(personas.colleague_a).get(f"/api/v1/tasks/{pk}/").status_code == 404
    assert api(personas.colleague_a).get("/api/v1/tasks/").json()["results"] == []
    # The head sets manager_a a task about a company manager_a cannot see: the task is theirs,
    # the company's id is not shown to them.
    task = task_create(
        actor=personas.head,
        values={"title": "Про Казань", "assignee": personas.manager_a.pk, "company": hidden.pk},
    )
    seen = api(personas.manager_a).get(f"/api/v1/tasks/{task.pk}/").json()
    assert seen["company"] is None
    assert api(personas.head).get(f"/api/v1/tasks/{task.pk}/").json()["company"] == hidden.pk


def test_task_filters(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    a = task_create(
        actor=personas.manager_a,
        values={"title": "a", "due_date": "2026-03-01", "company": company.pk},
    )
    b = task_create(
        actor=personas.manager_a,
        values={"title": "b", "due_date": "2026-03-10", "assignee": personas.teammate_a.pk},
    )
    c = task_create(actor=personas.head, values={"title": "c", "assignee": personas.manager_a.pk})
    Task.objects.filter(pk=c.pk).update(done_at=timezone.now())
    client = api(personas.head)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/tasks/?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [c.pk, b.pk, a.pk]
    assert ids(f"assignee={personas.manager_a.pk}") == [c.pk, a.pk]
    assert ids(f"author={personas.head.pk}") == [c.pk]
    assert ids("done=true") == [c.pk]
    assert ids("done=false") == [b.pk, a.pk]
    assert ids("due_from=2026-03-02") == [b.pk]
    assert ids("due_to=2026-03-02") == [a.pk]
    assert ids(f"company={company.pk}") == [a.pk]
    assert list(client.get("/api/v1/tasks/?done=maybe").json()["error"]["fields"]) == ["done"]
    assert "due_from" in client.get("/api/v1/tasks/?due_from=2026-13-01").json()["error"]["fields"]


# --- Events ------------------------------------------------------------------------------------


def test_plan_a_meeting_and_find_it_by_period_and_participant(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client = api(personas.manager_a)
    created = client.post(
        "/api/v1/events/",
        {
            "title": "Встреча",
            "starts_at": "2026-03-02T10:00:00+03:00",
            "ends_at": "2026-03-02T11:00:00+03:00",
            "location": "Офис клиента",
            "company": company.pk,
            "participants": [personas.manager_b.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    pk = body["id"]
    assert body["participants"] == sorted([personas.manager_a.pk, personas.manager_b.pk])
    assert body["organiser"] == personas.manager_a.pk
    assert (body["all_day"], body["location"], body["company"]) == (
        False,
        "Офис клиента",
        company.pk,
    )
    # A participant from another branch sees it; the company's id stays hidden from them.
    seen = api(personas.manager_b).get(f"/api/v1/events/{pk}/")
    assert seen.status_code == 200 and seen.json()["company"] is None
    assert api(personas.colleague_a).get(f"/api/v1/events/{pk}/").status_code == 200  # branch
    assert api(personas.outsider).get(f"/api/v1/events/{pk}/").status_code == 404

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/events/?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("from=2026-03-02T10:30:00%2B03:00&to=2026-03-02T10:45:00%2B03:00") == [pk]
    assert ids("from=2026-03-02T11:00:00%2B03:00") == []
    assert ids("to=2026-03-02T10:00:00%2B03:00") == []
    assert ids("from=2026-03-02&to=2026-03-03") == [pk]
    assert ids(f"participant={personas.manager_b.pk}") == [pk]
    assert ids(f"participant={personas.teammate_a.pk}") == []
    assert ids(f"company={company.pk}") == [pk]
    moved = client.patch(
        f"/api/v1/events/{pk}/",
        {
            "starts_at": "2026-03-03T10:00:00+03:00",
            "ends_at": "2026-03-03T12:00:00+03:00",
            "participants": [],
            "version": 1,
        },
        format="json",
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["participants"] == [personas.manager_a.pk] and moved.json()["version"] == 2
    assert api(personas.manager_b).get(f"/api/v1/events/{pk}/").status_code == 404
    stale = client.patch(f"/api/v1/events/{pk}/", {"title": "x", "version": 1}, format="json")
    assert stale.status_code == 409


def test_event_validation_names_fields(personas: Personas, api: Any) -> None:
    response = api(personas.manager_a).post(
        "/api/v1/events/",
        {
            "title": "Наоборот",
            "starts_at": "2026-03-02T11:00:00+03:00",
            "ends_at": "2026-03-02T10:00:00+03:00",
            "participants": [999_999_999],
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert "participants" in fields
    response = api(personas.manager_a).post("/api/v1/events/", {"title": ""}, format="json")
    assert response.status_code == 400
    assert {"title", "starts_at", "ends_at"} <= set(response.json()["error"]["fields"])
    assert CalendarEvent.objects.count() == 0


# --- SQL queries: as many for 30 rows as for 1 --------------------------------------------------


def _world(personas: Personas, rows: int) -> None:
    """``rows`` activities, tasks and events on each side of the Moscow/Kazan line; the tasks and
    events also name a contact of the other side (shown only to those who may see it)."""
    for owner, other in (
        (personas.manager_a, personas.manager_b),
        (personas.manager_b, personas.manager_a),
    ):
        place = {"owner": owner, "branch": owner.branch}
        for company in CompanyFactory.create_batch(rows, owner=owner):
            person = ContactFactory(owner=other, company=company)
            Activity.objects.create(type="call", company=company, **place)
            Task.objects.create(title="t", author=other, company=company, contact=person, **place)
            start = timezone.now()
            event = CalendarEvent.objects.create(
                title="e",
                company=company,
                contact=person,
                starts_at=start,
                ends_at=start + datetime.timedelta(hours=1),
                **place,
            )
            EventParticipant.objects.bulk_create(
                [
                    EventParticipant(event=event, user=owner),
                    EventParticipant(event=event, user=other),
                ]
            )


@pytest.mark.parametrize("persona", ["admin", "head", "branch_head_a", "manager_a", "auditor"])
def test_list_queries_do_not_grow_with_rows(persona: str, personas: Personas, api: Any) -> None:
    client = api(getattr(personas, persona))
    urls = ["/api/v1/activities/", "/api/v1/tasks/", "/api/v1/events/"]

    def counts() -> dict[str, tuple[int, int]]:
        found = {}
        for url in urls:
            client.get(url)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            found[url] = (response.status_code, len(captured.captured_queries))
        return found

    _world(personas, 1)
    small = counts()
    _world(personas, 30)
    large = counts()
    assert small == large
    assert all(status == 200 for status, _ in small.values())
