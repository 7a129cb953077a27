"""A merge keeps the merged-away client's history and plans: they move to the survivor."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kartoteka.activities.models import Activity, CalendarEvent, Task
from kartoteka.clients.services.merge import company_merge, contact_merge
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def _work(owner, **client):  # type: ignore[no-untyped-def]
    place = {"owner": owner, "branch": owner.branch, **client}
    start = timezone.now()
    return (
        Activity.objects.create(type="call", subject="Звонок", **place),
        Task.objects.create(title="Перезвонить", author=owner, **place),
        CalendarEvent.objects.create(
            title="Встреча", starts_at=start, ends_at=start + timedelta(hours=1), **place
        ),
    )


def test_merging_companies_moves_their_activities_tasks_and_meetings(
    personas: Personas,
) -> None:
    survivor = CompanyFactory(owner=personas.manager_a, name="ООО «Ромашка»")
    other = CompanyFactory(owner=personas.manager_a, name="Ромашка ООО")
    call, task, meeting = _work(personas.manager_a, company=other)
    company_merge(
        actor=personas.manager_a,
        survivor=survivor,
        other=other,
        version=survivor.version,
        other_version=other.version,
    )
    for row in (call, task, meeting):
        row.refresh_from_db()
        assert row.company_id == survivor.pk


def test_merging_contacts_moves_their_activities_tasks_and_meetings(
    personas: Personas,
) -> None:
    survivor = ContactFactory(owner=personas.manager_a, last_name="Петров")
    other = ContactFactory(owner=personas.manager_a, last_name="Петров")
    call, task, meeting = _work(personas.manager_a, contact=other)
    contact_merge(
        actor=personas.manager_a,
        survivor=survivor,
        other=other,
        version=survivor.version,
        other_version=other.version,
    )
    for row in (call, task, meeting):
        row.refresh_from_db()
        assert row.contact_id == survivor.pk
