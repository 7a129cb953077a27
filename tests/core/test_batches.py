"""Batches: one bulk change is one named, undoable step; undo spares what others changed since."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kartoteka.clients.models import Company, Contact
from kartoteka.clients.services.companies import company_update
from kartoteka.core import batches
from kartoteka.core.batches import (
    AlreadyUndoneError,
    batch_undo,
    bulk_reassign,
    bulk_trash,
    handover,
    owned_counts,
)
from kartoteka.core.errors import DomainError, ForbiddenError, NotFoundError
from kartoteka.core.models import AuditEntry, Batch, BatchChange
from kartoteka.records.services.bulk import bulk_set_field, bulk_tag
from tests.conftest import Personas
from tests.factories.accounts import UserFactory
from tests.factories.clients import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    # Batch names are written in the actor's language; these tests read the English ones.
    with translation.override("en"):
        yield


def owners(model: Any, ids: list[int]) -> list[str]:
    by_pk = {obj.pk: obj for obj in model.all_objects.filter(pk__in=ids).select_related("owner")}
    return [by_pk[pk].owner.username for pk in ids]


def test_a_batch_keeps_old_and_new_values_and_the_version_after(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)

    batch = bulk_reassign(
        actor=personas.admin,
        model=Company,
        ids_or_queryset=[company.pk],
        to_owners=[personas.colleague_a],
    )

    change = {c.field: c for c in BatchChange.objects.filter(batch=batch)}
    assert set(change) == {"owner"}  # same branch: the branch did not change
    assert change["owner"].old_value == personas.manager_a.pk
    assert change["owner"].new_value == personas.colleague_a.pk
    company.refresh_from_db()
    assert change["owner"].version_after == company.version == 2
    assert batch.kind == "reassign" and batch.actor == personas.admin
    assert batch.summary["changed"] == 1


def test_moving_to_another_branch_owner_records_the_branch_too(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)

    batch = bulk_reassign(
        actor=personas.admin,
        model=Company,
        ids_or_queryset=[company.pk],
        to_owners=[personas.manager_b],
    )

    company.refresh_from_db()
    assert (company.owner, company.branch) == (personas.manager_b, personas.branch_b)
    assert set(batch.changes.values_list("field", flat=True)) == {"owner", "branch"}
    entry = AuditEntry.objects.get(object_id=company.pk, action="update")
    assert entry.changes["owner"] == [str(personas.manager_a), str(personas.manager_b)]
    assert entry.changes["branch"] == ["Москва", "Казань"]
    assert entry.changes["batch"] == [None, batch.name]
    assert entry.version == 2


def test_undo_restores_and_keeps_what_someone_changed_since(personas: Personas) -> None:
    companies = CompanyFactory.create_batch(5, owner=personas.manager_a)
    ids = [c.pk for c in companies]
    batch = bulk_reassign(
        actor=personas.head, model=Company, ids_or_queryset=ids, to_owners=[personas.colleague_a]
    )
    edited = Company.objects.get(pk=ids[2])
    company_update(
        actor=personas.colleague_a, company=edited, version=edited.version, values={"city": "Тула"}
    )

    result = batch_undo(actor=personas.head, batch=batch)

    assert (result.restored, result.kept) == (4, 1)
    assert "1 record was changed after the batch and was left as it is." in result.message
    assert owners(Company, ids) == [
        "manager_a",
        "manager_a",
        "colleague_a",
        "manager_a",
        "manager_a",
    ]
    kept = Company.objects.get(pk=ids[2])
    assert kept.city == "Тула"
    restored = Company.objects.get(pk=ids[0])
    assert restored.version == 3  # created 1, batch 2, undo 3
    batch.refresh_from_db()
    assert batch.undone_at is not None and batch.undone_by == personas.head
    assert batch.summary["undo"] == {"restored": 4, "kept": 1}
    undo_entry = AuditEntry.objects.filter(object_id=ids[0]).order_by("-id").first()
    assert undo_entry is not None
    assert undo_entry.changes["owner"] == [str(personas.colleague_a), str(personas.manager_a)]
    assert "Undo" in undo_entry.changes["batch"][1]


def test_undo_twice_is_refused_and_changes_nothing(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    batch = bulk_reassign(
        actor=personas.admin,
        model=Company,
        ids_or_queryset=[company.pk],
        to_owners=[personas.colleague_a],
    )
    batch_undo(actor=personas.admin, batch=batch)
    company.refresh_from_db()
    version = company.version

    with pytest.raises(AlreadyUndoneError):
        batch_undo(actor=personas.admin, batch=batch)

    company.refresh_from_db()
    assert company.version == version and company.owner == personas.manager_a


def test_only_the_author_or_who_may_undo_others_batches_may_undo(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    batch = bulk_reassign(
        actor=personas.branch_head_a,
        model=Company,
        ids_or_queryset=[company.pk],
        to_owners=[personas.colleague_a],
    )

    # Others' batches are undone with batches.edit beyond "own": a sales manager of the same
    # branch holds it only for their own batches.
    with pytest.raises(NotFoundError):
        batch_undo(actor=personas.manager_a, batch=batch)
    company.refresh_from_db()
    assert company.owner == personas.colleague_a

    batch_undo(actor=personas.admin, batch=batch)
    company.refresh_from_db()
    assert company.owner == personas.manager_a


def test_trash_batch_undo_restores_from_the_trash(personas: Personas) -> None:
    companies = CompanyFactory.create_batch(3, owner=personas.manager_a)
    ids = [c.pk for c in companies]

    batch = bulk_trash(actor=personas.manager_a, model=Company, ids=ids)

    assert Company.objects.filter(pk__in=ids).count() == 0
    assert Company.all_objects.filter(pk__in=ids, deleted_by=personas.manager_a).count() == 3
    assert batch.name == "Moved to the trash (3 records)"
    assert AuditEntry.objects.filter(object_id__in=ids, action="delete").count() == 3

    result = batch_undo(actor=personas.manager_a, batch=batch)

    assert (result.restored, result.kept) == (3, 0)
    assert Company.objects.filter(pk__in=ids, deleted_by__isnull=True).count() == 3
    assert AuditEntry.objects.filter(object_id__in=ids, action="restore").count() == 3


def test_tag_batch_undo_removes_only_the_tag_it_added(personas: Personas) -> None:
    tagged = ContactFactory(owner=personas.manager_a)
    untagged = ContactFactory(owner=personas.manager_a)
    first = bulk_tag(actor=personas.manager_a, model=Contact, ids=[tagged.pk], tag="VIP")

    batch = bulk_tag(
        actor=personas.manager_a, model=Contact, ids=[tagged.pk, untagged.pk], tag="VIP"
    )

    assert first.summary["changed"] == 1
    assert batch.summary["changed"] == 1 and batch.summary["skipped_unchanged"] == 1
    assert batch.name == "Tag “VIP” added (1 record)"
    batch_undo(actor=personas.manager_a, batch=batch)
    assert [t.name for t in Contact.objects.get(pk=tagged.pk).tags.all()] == ["VIP"]
    assert list(Contact.objects.get(pk=untagged.pk).tags.all()) == []


def test_handover_spreads_every_kind_evenly_as_one_batch(personas: Personas) -> None:
    leaving = UserFactory(username="leaving", branch=personas.branch_a, roles=["sales_manager"])
    companies = CompanyFactory.create_batch(4, owner=leaving)
    contacts = ContactFactory.create_batch(3, owner=leaving)

    counts = [(kind.model, n) for kind, n in owned_counts(personas.admin, leaving)]
    assert [(model, n) for model, n in counts if model in (Company, Contact)] == [
        (Company, 4),
        (Contact, 3),
    ]
    batch = handover(
        actor=personas.admin, person=leaving, to_owners=[personas.colleague_a, personas.teammate_a]
    )

    assert owners(Company, [c.pk for c in companies]) == ["colleague_a", "teammate_a"] * 2
    assert owners(Contact, [c.pk for c in contacts]) == ["colleague_a", "teammate_a", "colleague_a"]
    assert batch.kind == "handover"
    assert batch.summary["records"] == {"clients.company": 4, "clients.contact": 3}
    assert batch.name.startswith("Handover of companies, contacts: ")
    assert "→" in batch.name and "colleague_a" not in batch.name  # people by their names
    assert Batch.objects.count() == 1

    batch_undo(actor=personas.admin, batch=batch)
    assert set(owners(Company, [c.pk for c in companies])) == {"leaving"}
    assert set(owners(Contact, [c.pk for c in contacts])) == {"leaving"}


def test_handover_is_closed_to_a_manager_and_changes_nothing(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)

    with pytest.raises(ForbiddenError):
        handover(
            actor=personas.manager_a, person=personas.manager_a, to_owners=[personas.teammate_a]
        )

    company.refresh_from_db()
    assert company.owner == personas.manager_a and company.version == 1
    assert Batch.objects.count() == 0


def test_a_branch_head_may_not_hand_records_to_another_branch(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)

    with pytest.raises(DomainError) as raised:
        bulk_reassign(
            actor=personas.branch_head_a,
            model=Company,
            ids_or_queryset=[company.pk],
            to_owners=[personas.manager_b],
        )

    assert "to_owners" in raised.value.fields
    company.refresh_from_db()
    assert company.owner == personas.manager_a and Batch.objects.count() == 0


def test_custom_field_values_are_set_and_undone_without_touching_others(
    personas: Personas,
) -> None:
    from kartoteka.records.models import CustomField

    CustomField.objects.create(entity="companies", code="segment", label="Сегмент", type="text")
    CustomField.objects.create(entity="companies", code="size", label="Размер", type="number")
    company = CompanyFactory(owner=personas.manager_a, custom_fields={"size": 10})

    batch = bulk_set_field(
        actor=personas.manager_a,
        model=Company,
        ids_or_queryset=[company.pk],
        field="custom_fields.segment",
        value="Опт",
    )

    company.refresh_from_db()
    assert company.custom_fields == {"size": 10, "segment": "Опт"}
    assert batch.name == "Сегмент = Опт (1 record)"
    batch_undo(actor=personas.manager_a, batch=batch)
    company.refresh_from_db()
    assert company.custom_fields == {"size": 10}


def test_bulk_reassign_queries_do_not_grow_with_the_number_of_records(
    personas: Personas,
) -> None:
    def run(rows: int) -> int:
        ids = [c.pk for c in CompanyFactory.create_batch(rows, owner=personas.manager_a)]
        with CaptureQueriesContext(connection) as captured:
            batch = bulk_reassign(
                actor=personas.branch_head_a,
                model=Company,
                ids_or_queryset=ids,
                to_owners=[personas.colleague_a, personas.teammate_a],
            )
        assert batch.summary["changed"] == rows
        return len(captured.captured_queries)

    run(1)  # warm per-process caches (grants, content types) so only the batch is counted
    small, large = run(10), run(200)
    assert large == small, f"{small} queries for 10 records, {large} for 200"


def test_undo_queries_do_not_grow_with_the_number_of_records(personas: Personas) -> None:
    def run(rows: int) -> int:
        ids = [c.pk for c in CompanyFactory.create_batch(rows, owner=personas.manager_a)]
        batch = bulk_reassign(
            actor=personas.admin, model=Company, ids_or_queryset=ids, to_owners=[personas.head]
        )
        with CaptureQueriesContext(connection) as captured:
            assert batch_undo(actor=personas.admin, batch=batch).restored == rows
        return len(captured.captured_queries)

    run(1)  # warm per-process caches (grants, content types) so only the batch is counted
    small, large = run(10), run(200)
    assert large == small, f"{small} queries for 10 records, {large} for 200"


def test_chunks_cover_every_record(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    # the engine reads and locks in chunks; undo reads the batch rows in chunks
    monkeypatch.setattr(batches.engine, "CHUNK", 7)
    monkeypatch.setattr(batches.undo, "CHUNK", 7)
    ids = [c.pk for c in CompanyFactory.create_batch(20, owner=personas.manager_a)]

    batch = bulk_reassign(
        actor=personas.admin, model=Company, ids_or_queryset=ids, to_owners=[personas.colleague_a]
    )

    assert batch.summary["changed"] == 20
    assert batch_undo(actor=personas.admin, batch=batch).restored == 20
    assert set(owners(Company, ids)) == {"manager_a"}
