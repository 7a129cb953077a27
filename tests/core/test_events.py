"""Typed domain events: written in the service's transaction, read back as the same objects."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from kartoteka.clients.models import Company
from kartoteka.clients.services.companies import company_create, company_update
from kartoteka.clients.services.merge import company_merge
from kartoteka.core import events
from kartoteka.core.batches import batch_undo, bulk_reassign, bulk_trash, handover
from kartoteka.core.errors import DomainError
from kartoteka.core.models import DomainEvent, ImmutableEventError
from kartoteka.core.trash import trash_restore
from kartoteka.records.sharing import share_create, share_remove
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

pytestmark = pytest.mark.django_db


def stored(obj: Any) -> list[events.Event]:
    """The record's events, oldest first, without what writing added (time, id)."""
    return [
        dataclasses.replace(event, at=None, id=None)
        for event in reversed(events.for_record(obj, limit=200))
    ]


def inserts_into_events(queries: CaptureQueriesContext) -> int:
    table = DomainEvent._meta.db_table
    return sum(
        1
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith("INSERT") and table in query["sql"]
    )


# --- The write path ------------------------------------------------------------------------------
def test_create_change_trash_restore_each_leave_their_event(personas: Personas) -> None:
    manager = personas.manager_a
    company = company_create(actor=manager, values={"name": "ООО «Событие»", "city": "Москва"})
    company = company_update(
        actor=manager, company=company, version=company.version, values={"city": "Казань"}
    )
    from kartoteka.clients.services.common import record_trash

    record_trash(actor=manager, obj=company)
    trash_restore(actor=personas.admin, label="clients.company", pk=company.pk)

    ref = events.Ref("clients.company", company.pk)
    created, changed, trashed, restored = stored(company)
    assert isinstance(created, events.RecordCreated)
    assert created.record == ref and created.actor_id == manager.pk
    assert created.values["name"] == "ООО «Событие»" and created.values["city"] == "Москва"
    assert changed == events.RecordChanged(
        record=ref, actor_id=manager.pk, changes={"city": ["Москва", "Казань"]}
    )
    assert trashed == events.RecordTrashed(record=ref, actor_id=manager.pk)
    assert restored == events.RecordRestored(record=ref, actor_id=personas.admin.pk)


def test_an_edit_that_changes_nothing_leaves_no_event(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a, city="Москва")
    company_update(
        actor=personas.manager_a,
        company=company,
        version=company.version,
        values={"city": "Москва"},
    )
    assert stored(company) == []


def test_events_roll_back_with_the_change(personas: Personas) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        company_create(actor=personas.manager_a, values={"name": "ООО «Передумали»"})
        raise Boom
    assert not Company.all_objects.filter(name="ООО «Передумали»").exists()
    assert DomainEvent.objects.count() == 0


def test_a_refused_change_writes_no_event(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a, inn="")
    with pytest.raises(DomainError):
        company_update(
            actor=personas.manager_a,
            company=company,
            version=company.version,
            values={"inn": "1234567890"},  # bad check digits
        )
    assert stored(company) == []


def test_merge_and_sharing_leave_their_events(personas: Personas) -> None:
    manager, head = personas.manager_a, personas.head
    survivor = CompanyFactory(owner=manager, name="ООО «Остаётся»")
    other = CompanyFactory(owner=manager, name="ООО «Уходит»")
    share = share_create(
        actor=manager, obj=survivor, team=personas.team_a, until=datetime.date(2099, 1, 31)
    )
    share_remove(actor=manager, obj=survivor, share_id=share.pk)
    company_merge(
        actor=head,
        survivor=survivor,
        other=other,
        version=survivor.version,
        other_version=other.version,
    )

    ref = events.Ref("clients.company", survivor.pk)
    shared, unshared, _changed, merged = stored(survivor)
    assert shared == events.RecordShared(
        record=ref,
        actor_id=manager.pk,
        target="team",
        target_id=personas.team_a.pk,
        until="2099-01-31",
    )
    assert unshared == events.RecordUnshared(
        record=ref, actor_id=manager.pk, target="team", target_id=personas.team_a.pk
    )
    assert merged == events.RecordsMerged(record=ref, actor_id=head.pk, other_id=other.pk)
    trashed, merged_into = stored(other)
    assert isinstance(trashed, events.RecordTrashed)
    assert merged_into == events.RecordMergedInto(
        record=events.Ref("clients.company", other.pk), actor_id=head.pk, survivor_id=survivor.pk
    )


# --- Bulk changes --------------------------------------------------------------------------------
def test_a_bulk_change_writes_one_event_per_record_in_one_insert(personas: Personas) -> None:
    companies = CompanyFactory.create_batch(40, owner=personas.manager_a)
    events.for_record(companies[0])  # content types cached: count only the change's queries
    with CaptureQueriesContext(connection) as queries:
        batch = bulk_reassign(
            actor=personas.admin,
            model=Company,
            ids_or_queryset=[c.pk for c in companies],
            to_owners=[personas.branch_head_a],
        )
    assert inserts_into_events(queries) == 1
    assert DomainEvent.objects.count() == 40
    event = stored(companies[7])[0]
    assert event == events.OwnerChanged(
        record=events.Ref("clients.company", companies[7].pk),
        actor_id=personas.admin.pk,
        old_owner_id=personas.manager_a.pk,
        new_owner_id=personas.branch_head_a.pk,
        old_branch_id=personas.branch_a.pk,
        new_branch_id=personas.branch_a.pk,
        changes={"owner": [str(personas.manager_a), str(personas.branch_head_a)]},
        handover=False,
        batch_id=batch.pk,
    )


def test_bulk_trash_its_undo_and_a_handover_are_typed(personas: Personas) -> None:
    doomed = CompanyFactory.create_batch(2, owner=personas.manager_a)
    batch = bulk_trash(actor=personas.admin, model=Company, ids=[c.pk for c in doomed])
    batch_undo(actor=personas.admin, batch=batch)
    trashed, restored = stored(doomed[0])
    assert trashed == events.RecordTrashed(
        record=events.Ref("clients.company", doomed[0].pk),
        actor_id=personas.admin.pk,
        batch_id=batch.pk,
    )
    assert isinstance(restored, events.RecordRestored)
    assert (restored.batch_id, restored.undo) == (batch.pk, True)

    handed = handover(
        actor=personas.admin, person=personas.manager_a, to_owners=[personas.manager_b]
    )
    moved = stored(doomed[1])[-1]
    assert isinstance(moved, events.OwnerChanged) and moved.handover
    assert (moved.new_owner_id, moved.old_branch_id, moved.new_branch_id) == (
        personas.manager_b.pk,
        personas.branch_a.pk,
        personas.branch_b.pk,
    )
    assert moved.batch_id == handed.pk and moved.changes["branch"] == ["Москва", "Казань"]


# --- emit, load, immutability -------------------------------------------------------------------
def test_every_type_reads_back_as_the_same_object(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    ref = events.Ref.of(company)
    actor = personas.manager_a.pk
    written = [
        events.RecordCreated(record=ref, actor_id=actor, values={"name": "ООО «А»", "tags": []}),
        events.RecordChanged(
            record=ref, actor_id=actor, changes={"city": [None, "Тверь"]}, batch_id=5, undo=True
        ),
        events.RecordTrashed(record=ref, actor_id=None, batch_id=3),
        events.RecordRestored(record=ref, actor_id=actor),
        events.RecordsMerged(record=ref, actor_id=actor, other_id=99),
        events.RecordMergedInto(record=ref, actor_id=actor, survivor_id=98),
        events.RecordShared(record=ref, actor_id=actor, target="user", target_id=4, until=None),
        events.RecordUnshared(record=ref, actor_id=actor, target="branch", target_id=2),
        events.OwnerChanged(
            record=ref,
            actor_id=actor,
            old_owner_id=None,
            new_owner_id=7,
            old_branch_id=1,
            new_branch_id=2,
            changes={"owner": [None, "Петров"]},
            handover=True,
            batch_id=8,
        ),
    ]
    assert {type(event) for event in written} == set(events.types().values())
    with transaction.atomic():
        events.emit(*written)
    assert stored(company) == written
    rows = list(DomainEvent.objects.order_by("id"))
    assert [row.type for row in rows] == [event.type for event in written]
    assert rows[1].payload == {"changes": {"city": [None, "Тверь"]}, "batch_id": 5, "undo": True}
    assert rows[0].content_type == ContentType.objects.get_for_model(Company)
    loaded = events.load(rows[4])
    assert loaded.at == rows[4].at and loaded.id == rows[4].pk


def test_a_stored_type_this_version_does_not_know_still_reads(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    with transaction.atomic():
        events.emit(events.RecordsMerged.about(company, actor=None, other_id=3))
    row = DomainEvent.objects.get()
    # Written by a newer version: another type, and a field this one does not have.
    DomainEvent.objects.filter(pk=row.pk).update(
        type="record.called", payload={"minutes": 3, "number": "+7"}
    )
    DomainEvent.objects.create(
        type="record.merged",
        content_type=row.content_type,
        object_id=company.pk,
        payload={"other_id": 4, "reason": "дубль"},
    )
    merged, unknown = events.for_record(company)
    assert merged == dataclasses.replace(
        events.RecordsMerged(record=events.Ref.of(company), other_id=4), at=merged.at, id=merged.id
    )
    assert isinstance(unknown, events.UnknownEvent)
    assert (unknown.code, unknown.data) == ("record.called", {"minutes": 3, "number": "+7"})


def test_many_events_are_one_insert(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    many = [
        events.RecordChanged.about(company, actor=personas.manager_a, changes={"n": [i, i + 1]})
        for i in range(300)
    ]
    events.for_record(company)  # the content type is cached, as in a running service
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        events.emit(*many)
    assert inserts_into_events(queries) == 1
    assert DomainEvent.objects.count() == 300


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_emit_outside_a_transaction_is_refused(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    with pytest.raises(TransactionManagementError):
        events.emit(events.RecordTrashed.about(company, actor=personas.manager_a))
    assert DomainEvent.objects.count() == 0
    with transaction.atomic():
        events.emit(events.RecordTrashed.about(company, actor=personas.manager_a))
    assert DomainEvent.objects.count() == 1


def test_a_written_event_cannot_be_changed_or_deleted(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    with transaction.atomic():
        events.emit(events.RecordTrashed.about(company, actor=personas.manager_a))
    row = DomainEvent.objects.get()
    row.type = "record.restored"
    with pytest.raises(ImmutableEventError):
        row.save()
    with pytest.raises(ImmutableEventError):
        row.delete()
    assert DomainEvent.objects.get().type == "record.trashed"
    event = events.load(row)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.actor_id = 1  # type: ignore[misc]


# --- Reading one record's events -----------------------------------------------------------------
def test_one_records_events_are_paged_newest_first_and_bounded(personas: Personas) -> None:
    company, neighbour = CompanyFactory.create_batch(2, owner=personas.manager_a)
    with transaction.atomic():
        events.emit(
            *[
                events.RecordChanged.about(target, actor=None, changes={"n": [i, i + 1]})
                for i in range(250)
                for target in (company, neighbour)
            ]
        )
    newest = events.for_record(company, limit=3)
    assert [event.changes["n"][0] for event in newest] == [249, 248, 247]  # type: ignore[attr-defined]
    after = events.for_record(company, limit=2, before=newest[-1].id)
    assert [event.changes["n"][0] for event in after] == [246, 245]  # type: ignore[attr-defined]
    assert len(events.for_record(company, limit=10_000)) == events.MAX_READ
    assert {event.record.id for event in events.for_record(company, limit=200)} == {company.pk}


def test_one_records_events_are_read_through_the_index(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    query = events.rows_for(company)[:50]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A tiny table with whatever statistics the tests before left: make the planner
            # show whether an index serves both the filter and the order.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            plan = query.explain()
    else:
        plan = query.explain()
    assert "event_record_idx" in plan
    assert "sort" not in plan.lower() and "temp b-tree" not in plan.lower()  # ordered by the index
