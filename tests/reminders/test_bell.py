"""The bell: notify once per key, read marks, the live stream's frames, the pages, the API, the
profile's channel choices, bounded queries."""

from __future__ import annotations

import json
import time
from itertools import islice
from typing import Any

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.core import notifications
from kartoteka.core.models import Notification, NotificationPreference
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


def bell(user: Any, n: int = 1, **values: Any) -> list[Notification]:
    return [
        notifications.notify(
            user=user,
            kind="task_reminder",
            title=values.get("title", f"Задача {i}"),
            url="/tasks/1/",
            key=f"{values.get('key', 'k')}-{i}",
        )
        for i in range(n)
    ]


def test_notify_is_once_per_key_and_read_marks_are_ones_own(personas: Personas) -> None:
    manager, other = personas.manager_a, personas.manager_b
    first = notifications.notify(user=manager, kind="task_reminder", title="A", key="task:1@x")
    again = notifications.notify(user=manager, kind="task_reminder", title="B", key="task:1@x")
    assert first.pk == again.pk and Notification.objects.count() == 1
    assert again.title == "A"
    theirs = bell(other, 2)
    assert notifications.unread_count(manager) == 1
    assert notifications.mark_read(user=manager, notification_id=theirs[0].pk) is None
    assert notifications.unread_count(other) == 2  # nobody marks another's notifications
    assert notifications.mark_read(user=manager, notification_id=first.pk) is not None
    assert notifications.unread_count(manager) == 0
    assert notifications.mark_all_read(user=other) == 2
    assert notifications.unread_count(other) == 0


def close_stream(response: Any) -> None:
    """End a stream the test client opened, as a browser leaving the page does.

    The test client wraps the stream so that, once it ends, the request finishes without
    closing the database connection (which would break the test's transaction); closing that
    wrapper is the way in. ``response.close()`` alone would close the connection.
    """
    wrapper = getattr(response, "_iterator", None)
    if wrapper is not None and hasattr(wrapper, "close"):
        wrapper.close()
    else:
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)


def frames(response: Any, count: int) -> list[dict[str, Any]]:
    out = []
    for chunk in islice(response.streaming_content, count):
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        for line in text.splitlines():
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
    return out


def test_the_stream_tells_the_count_at_once_and_each_new_notification_as_it_comes(
    personas: Personas, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    manager = personas.manager_a
    bell(manager, 2, key="old")
    client.force_login(manager)
    response = client.get("/notifications/stream/")
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"] == "no-cache, no-store"
    assert frames(response, 2) == [{"unread": 2, "items": []}]  # "retry", then the count

    with django_capture_on_commit_callbacks(execute=True):
        [new] = bell(manager, 1, key="new", title="Позвонить Петрову")
    with django_capture_on_commit_callbacks(execute=True):
        bell(personas.manager_b, 1, key="theirs")  # someone else's: not in this stream
    assert frames(response, 1) == [
        {
            "unread": 3,
            "items": [{"id": new.pk, "title": "Позвонить Петрову", "body": "", "url": "/tasks/1/"}],
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        notifications.mark_all_read(user=manager)
    assert frames(response, 1) == [{"unread": 0, "items": []}]
    close_stream(response)


def test_a_reconnecting_stream_resumes_after_the_last_event_it_had(
    personas: Personas, client: Client
) -> None:
    manager = personas.manager_a
    seen, missed = bell(manager, 2)
    client.force_login(manager)
    response = client.get("/notifications/stream/", HTTP_LAST_EVENT_ID=str(seen.pk))
    [frame] = frames(response, 2)
    assert [item["id"] for item in frame["items"]] == [missed.pk]
    close_stream(response)


def test_the_stream_needs_a_login_and_does_not_keep_an_idle_session_alive(
    personas: Personas, client: Client
) -> None:
    assert client.get("/notifications/stream/").status_code == 302
    client.force_login(personas.manager_a)
    now = int(time.time())
    session = client.session
    session["kartoteka_login_at"] = session["kartoteka_last_seen"] = now - 100
    session.save()
    close_stream(client.get("/notifications/stream/"))  # an open tab's bell is not the person
    assert client.session["kartoteka_last_seen"] == now - 100
    client.get("/notifications/")  # a page they open is
    assert client.session["kartoteka_last_seen"] >= now


def test_the_bell_page_and_panel_show_ones_own_grouped_and_mark_read(
    personas: Personas, client: Client
) -> None:
    manager = personas.manager_a
    [mine] = bell(manager, 1, title="Позвонить Петрову")
    bell(personas.manager_b, 1, title="Чужое напоминание")
    client.force_login(manager)
    page = client.get("/").content.decode()
    assert 'id="bell"' in page and 'data-stream="/notifications/stream/"' in page
    panel = client.get("/notifications/?panel=1").content.decode()
    assert "Позвонить Петрову" in panel and "Чужое напоминание" not in panel
    assert "Today" in panel and "Mark all read" in panel
    answer = client.post(f"/notifications/{mine.pk}/read/")
    assert answer.status_code == 302 and answer["Location"] == "/tasks/1/"
    assert notifications.unread_count(manager) == 0
    other = Notification.objects.get(user=personas.manager_b)
    assert client.post(f"/notifications/{other.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=other.pk).read_at is None
    bell(manager, 2, key="more")
    answer = client.post("/notifications/read-all/", HTTP_ACCEPT="application/json")
    assert answer.json() == {"unread": 0}
    assert "Позвонить Петрову" in client.get("/notifications/").content.decode()


def test_the_api_lists_ones_own_notifications_and_marks_them_read(
    personas: Personas, api: Any
) -> None:
    manager = personas.manager_a
    made = bell(manager, 3)
    [theirs] = bell(personas.manager_b, 1)
    client = api(manager)
    page = client.get("/api/v1/notifications/?limit=2").json()
    assert [row["id"] for row in page["results"]] == [made[2].pk, made[1].pk]
    assert page["results"][0]["read"] is False and page["next"]
    rest = client.get(page["next"]).json()
    assert [row["id"] for row in rest["results"]] == [made[0].pk]

    answer = client.post(f"/api/v1/notifications/{made[0].pk}/read/")
    assert answer.status_code == 200 and answer.json()["read"] is True
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    unread = client.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [row["id"] for row in unread] == [made[2].pk, made[1].pk]
    assert client.post("/api/v1/notifications/read-all/").json() == {"unread": 0}
    assert notifications.unread_count(manager) == 0
    assert notifications.unread_count(personas.manager_b) == 1
    schema = client.get("/api/v1/schema/?format=json").json()
    assert "/api/v1/notifications/{id}/read/" in schema["paths"]
    assert "/api/v1/notifications/read-all/" in schema["paths"]


def test_the_profile_saves_channels_per_kind(personas: Personas, client: Client) -> None:
    manager = personas.manager_a
    client.force_login(manager)
    page = client.get("/profile/").content.decode()
    assert "Task reminders" in page and "Meeting reminders" in page
    assert 'name="task_reminder:email" id="n-task_reminder-email" checked' in page
    answer = client.post(
        "/profile/",
        {
            "form": "notifications",
            "task_reminder:in_app": "on",
            "meeting_reminder:email": "on",
            "important_date:in_app": "on",
            "important_date:email": "on",
        },
    )
    assert answer.status_code == 302
    assert dict(
        NotificationPreference.objects.filter(user=manager).values_list("kind", "channels")
    ) == {
        "task_reminder": ["in_app"],
        "meeting_reminder": ["email"],
        "important_date": ["in_app", "email"],
    }
    assert notifications.channels_for([manager.pk], "task_reminder") == {manager.pk: ("in_app",)}
    assert notifications.channels_for([personas.teammate_a.pk], "task_reminder") == {
        personas.teammate_a.pk: ("in_app", "email")
    }


@pytest.mark.parametrize(
    "url", ["/notifications/", "/notifications/?panel=1", "/api/v1/notifications/?limit=500"]
)
def test_bell_pages_issue_the_same_queries_at_10_and_200_notifications(
    personas: Personas, client: Client, api: Any, url: str
) -> None:
    manager = personas.manager_a
    client.force_login(manager)
    reader = api(manager) if url.startswith("/api/") else client
    counts = []
    for size in (10, 200):
        Notification.objects.filter(user=manager).delete()
        bell(manager, size, key=f"n{size}")
        reader.get(url)  # warm caches (content types, grants)
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 12


def test_old_read_notifications_and_finished_deliveries_are_purged(personas: Personas) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from kartoteka.core import clock
    from kartoteka.core.models import Delivery

    manager = personas.manager_a
    old_read, old_unread, fresh = bell(manager, 3)
    now = timezone.now()
    Notification.objects.filter(pk=old_read.pk).update(read_at=now)
    notifications.plan(
        [
            notifications.Planned("task:1", manager.pk, now, "task_reminder", "A"),
            notifications.Planned("task:2", manager.pk, now, "task_reminder", "B"),
        ]
    )
    Delivery.objects.filter(source="task:1").update(state="sent")
    with clock.at(now + timedelta(days=notifications.KEEP_DAYS + 1)):
        assert notifications.purge_old() == 3  # the sent delivery's two rows, the read line
    assert set(Notification.objects.values_list("pk", flat=True)) == {old_unread.pk, fresh.pk}
    assert set(Delivery.objects.values_list("source", flat=True)) == {"task:2"}
