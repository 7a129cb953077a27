"""Logging from the card: inline forms, the next step in the same transaction, edit and delete."""

from __future__ import annotations

import pytest
from django.test import Client

from kartoteka.activities.models import Activity, RefusalReason, Task
from kartoteka.activities.services.activities import activity_create, activity_log
from kartoteka.core.errors import DomainError
from kartoteka.core.models import AuditEntry
from tests.activities.helpers import at, call
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

HTMX = {"HX-Request": "true"}


def test_the_card_offers_the_log_buttons_and_opens_the_form_on_the_timeline(
    client: Client, personas: Personas
) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)
    card = client.get(f"/companies/{company.pk}/").content.decode()
    for kind in ("call", "meeting", "inquiry", "note"):
        assert f'href="?tab=timeline&amp;log={kind}"' in card
    card = client.get(f"/companies/{company.pk}/", {"tab": "timeline", "log": "call"})
    # The panel's fragment is asked with the form open: one click, then the form's Save.
    assert f'hx-get="/companies/{company.pk}/timeline/?log=call"' in card.content.decode()
    fragment = client.get(f"/companies/{company.pk}/timeline/?log=call", headers=HTMX)
    text = fragment.content.decode()
    assert 'data-log-form="call"' in text and 'name="next_title"' in text
    assert "<html" not in text  # a fragment
    page = client.get(f"/companies/{company.pk}/timeline/?log=call").content.decode()
    assert "<html" in page and 'data-log-form="call"' in page  # without JavaScript: a page


def test_the_auditor_sees_the_timeline_but_no_log_buttons(
    client: Client, personas: Personas
) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.auditor)
    card = client.get(f"/companies/{company.pk}/").content.decode()
    assert "log=call" not in card and 'id="timeline"' in card
    fragment = client.get(f"/companies/{company.pk}/timeline/", headers=HTMX).content.decode()
    assert "data-log=" not in fragment
    assert client.get(f"/companies/{company.pk}/log/call/").status_code == 404


def test_a_call_with_a_next_step_is_logged_in_one_go(client: Client, personas: Personas) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    person = ContactFactory(owner=manager, company=company, last_name="Звонков")
    client.force_login(manager)
    response = client.post(
        f"/companies/{company.pk}/log/call/",
        {
            "occurred_at": "2026-11-23T10:15",
            "contact": person.pk,
            "direction": "in",
            "outcome": "reached",
            "duration": "4:30",
            "recording_url": "https://pbx.example.ru/rec/1.mp3",
            "body": "Ждут КП",
            "next_title": "Отправить КП",
            "next_due_date": "2026-11-24",
            "next_due_time": "10:00",
            "next_assignee": manager.pk,
            "next": f"/companies/{company.pk}/?tab=timeline",
        },
        headers=HTMX,
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/companies/{company.pk}/?tab=timeline"
    activity = Activity.objects.get()
    assert (activity.type, activity.direction, activity.outcome) == ("call", "in", "reached")
    assert activity.duration == 270 and activity.owner == manager
    assert activity.company == company and activity.contact == person
    task = Task.objects.get()
    assert task.title == "Отправить КП" and task.activity == activity
    assert task.company == company and task.contact == person
    assert task.owner == manager and task.author == manager
    assert task.due_date.isoformat() == "2026-11-24" and task.due_at is not None
    fragment = client.get(f"/companies/{company.pk}/timeline/", headers=HTMX).content.decode()
    assert "Ждут КП" in fragment and "Отправить КП" in fragment


def test_a_bad_next_step_writes_neither(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)
    # A sales manager may not set tasks for someone in another branch.
    response = client.post(
        f"/companies/{company.pk}/log/note/",
        {
            "occurred_at": "2026-11-23T10:15",
            "body": "Заметка",
            "next_title": "Чужая задача",
            "next_assignee": personas.manager_b.pk,
        },
        headers=HTMX,
    )
    assert response.status_code == 422
    assert 'data-log-form="note"' in response.content.decode()
    assert not Activity.objects.exists() and not Task.objects.exists()
    with pytest.raises(DomainError) as raised:
        activity_log(
            actor=personas.manager_a,
            values={"type": "note", "body": "x", "company": company.pk},
            next_step={"title": ""},
        )
    assert "next_title" in raised.value.fields
    assert not Activity.objects.exists()


def test_a_refused_inquiry_needs_a_reason_from_the_list(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    values = {
        "type": "inquiry",
        "company": company.pk,
        "product_text": "Пелевин, Generation П",
        "outcome": "refused",
    }
    with pytest.raises(DomainError) as raised:
        activity_create(actor=personas.manager_a, values=values)
    assert set(raised.value.fields) == {"reason"}
    old = RefusalReason.objects.create(name="Старая", active=False)
    with pytest.raises(DomainError) as raised:
        activity_create(actor=personas.manager_a, values={**values, "reason": old.pk})
    assert set(raised.value.fields) == {"reason"}  # no longer offered
    reason = RefusalReason.objects.create(name="Дорого")
    inquiry = activity_create(actor=personas.manager_a, values={**values, "reason": reason.pk})
    assert inquiry.reason == reason and inquiry.outcome == "refused"
    sold = activity_create(
        actor=personas.manager_a, values={**values, "outcome": "sold", "reason": reason.pk}
    )
    assert sold.reason is None  # a reason belongs to a refusal only
    with pytest.raises(DomainError) as raised:
        activity_create(actor=personas.manager_a, values={**values, "outcome": "reached"})
    assert "outcome" in raised.value.fields  # a call's outcome on an inquiry


def test_the_inquiry_form_names_the_missing_reason_beside_the_field(
    client: Client, personas: Personas
) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    RefusalReason.objects.create(name="Дорого")
    client.force_login(personas.manager_a)
    response = client.post(
        f"/companies/{company.pk}/log/inquiry/",
        {"occurred_at": "2026-11-23T10:15", "product_text": "крем", "outcome": "refused"},
        headers=HTMX,
    )
    assert response.status_code == 422
    assert response.context["form"].errors["reason"]
    assert not Activity.objects.exists()


def test_a_meeting_keeps_its_participants_and_is_audited(personas: Personas) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    meeting = activity_create(
        actor=manager,
        values={
            "type": "meeting",
            "company": company.pk,
            "place": "Офис клиента",
            "result": "Договорились о пилоте",
            "participants": [manager.pk, personas.teammate_a.pk],
        },
    )
    assert set(meeting.participants.all()) == {manager, personas.teammate_a}
    entry = AuditEntry.objects.get(object_id=meeting.pk, action="create")
    assert "participants" in entry.changes


def test_the_author_edits_a_call_in_place_and_it_is_audited(
    client: Client, personas: Personas
) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    activity = call(manager, at(0), company=company.pk, body="старое")
    client.force_login(manager)
    form = client.get(f"/activities/{activity.pk}/edit/", headers=HTMX)
    assert form.status_code == 200 and "старое" in form.content.decode()
    response = client.post(
        f"/activities/{activity.pk}/edit/",
        {
            "version": activity.version,
            "occurred_at": "2026-11-02T12:00",
            "direction": "out",
            "outcome": "busy",
            "body": "новое",
        },
        headers=HTMX,
    )
    assert response.status_code == 204, response.content.decode()[:2000]
    activity.refresh_from_db()
    assert (activity.body, activity.outcome, activity.version) == ("новое", "busy", 2)
    entry = AuditEntry.objects.filter(object_id=activity.pk, action="update").get()
    assert entry.changes["body"] == ["старое", "новое"] and entry.actor == manager
    stale = client.post(
        f"/activities/{activity.pk}/edit/",
        {"version": 1, "occurred_at": "2026-11-02T12:00", "direction": "out", "body": "x"},
        headers=HTMX,
    )
    assert stale.status_code == 409


def test_a_colleague_may_not_edit_or_delete_someone_elses_call(
    client: Client, personas: Personas
) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    activity = call(manager, at(0), company=company.pk, body="моё")
    client.force_login(personas.teammate_a)  # sees the company? No: own scope, not shared
    assert client.get(f"/activities/{activity.pk}/edit/").status_code == 404
    assert client.post(f"/activities/{activity.pk}/delete/").status_code == 404
    client.force_login(personas.branch_head_a)  # edits within the branch
    assert client.get(f"/activities/{activity.pk}/edit/").status_code == 200
    activity.refresh_from_db()
    assert activity.deleted_at is None and activity.body == "моё"


def test_delete_goes_to_the_trash_with_undo(client: Client, personas: Personas) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    activity = call(manager, at(0), company=company.pk, subject="Звонок в корзину")
    client.force_login(manager)
    back = f"/companies/{company.pk}/?tab=timeline"
    response = client.post(f"/activities/{activity.pk}/delete/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    activity.refresh_from_db()
    assert activity.deleted_at is not None
    page = client.get(back).content.decode()
    assert "Звонок в корзину" in page and "toast-undo" in page
    token = page.split('action="/undo/', 1)[1].split("/", 1)[0]
    undone = client.post(f"/undo/{token}/", {"next": back})
    assert undone.status_code == 302
    activity.refresh_from_db()
    assert activity.deleted_at is None
    actions = list(
        AuditEntry.objects.filter(object_id=activity.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "delete", "restore"]
