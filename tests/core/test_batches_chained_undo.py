"""Undoing a chain of bulk changes newest-first puts every untouched record back as it was.

An undo is not someone else's edit: after batch N is undone, the record is exactly as batch N-1
left it, and batch N-1's undo recognises it as its own. A record someone edited in between is
left as that person set it, and counted.
"""

from __future__ import annotations

from typing import Any

import pytest

from kartoteka.clients.models import Company
from kartoteka.clients.services.companies import company_update
from kartoteka.core.batches import batch_undo
from kartoteka.core.models import Batch
from kartoteka.records.services.bulk import bulk_set_field, bulk_tag
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

pytestmark = pytest.mark.django_db


def _snapshot(ids: list[int]) -> dict[int, tuple[Any, ...]]:
    rows = Company.all_objects.filter(pk__in=ids).prefetch_related("tags")
    return {
        row.pk: (
            row.city,
            row.industry,
            row.status,
            row.source,
            sorted(tag.name for tag in row.tags.all()),
            row.deleted_at,
        )
        for row in rows
    }


def _chain(personas: Personas) -> tuple[list[int], int, dict[int, tuple[Any, ...]], list[Batch]]:
    """Six chained bulk changes on 30 companies; the 8th is edited by its owner after the third."""
    companies = [
        CompanyFactory(owner=personas.manager_a, city="Москва", industry="Связь", status="client")
        for _number in range(30)
    ]
    ids = [company.pk for company in companies]
    original = _snapshot(ids)
    actor = personas.admin

    def set_field(field: str, value: str) -> Batch:
        return bulk_set_field(
            actor=actor, model=Company, ids_or_queryset=ids, field=field, value=value
        )

    made = [
        set_field("city", "Тула"),
        set_field("industry", "Розница"),
        set_field("city", "Казань"),
    ]
    edited = Company.objects.get(pk=ids[7])
    company_update(
        actor=personas.manager_a,
        company=edited,
        version=edited.version,
        values={"industry": "Опт", "source": "выставка"},
    )
    made.append(bulk_tag(actor=actor, model=Company, ids=ids, tag="VIP"))
    made.append(set_field("status", "former"))
    made.append(set_field("city", "Сочи"))
    return ids, ids[7], original, made


def test_undoing_chained_batches_newest_first_restores_every_untouched_record(
    personas: Personas,
) -> None:
    ids, edited, original, made = _chain(personas)
    as_edited = (
        "Казань",  # batch 3, before the edit
        "Опт",  # the owner's own edit
        "client",
        "выставка",
        [],
        None,
    )

    results = [batch_undo(actor=personas.admin, batch=batch) for batch in reversed(made)]

    # The three batches after the edit come off every record; the three before it, off all but
    # the edited one.
    assert [(r.restored, r.kept) for r in results] == [(30, 0)] * 3 + [(29, 1)] * 3
    now = _snapshot(ids)
    assert {pk: now[pk] for pk in ids if pk != edited} == {
        pk: original[pk] for pk in ids if pk != edited
    }
    assert now[edited] == as_edited


def test_chained_undo_over_the_api(personas: Personas, api: Any) -> None:
    ids, edited, original, made = _chain(personas)
    client = api(personas.admin)
    answers = [client.post(f"/api/v1/batches/{batch.pk}/undo/") for batch in reversed(made)]
    assert [answer.status_code for answer in answers] == [200] * 6
    assert [(a.json()["restored"], a.json()["kept"]) for a in answers] == [(30, 0)] * 3 + [
        (29, 1)
    ] * 3
    now = _snapshot(ids)
    assert all(now[pk] == original[pk] for pk in ids if pk != edited)
    assert now[edited][:2] == ("Казань", "Опт")


def test_undoing_an_older_batch_first_still_spares_what_a_newer_one_changed(
    personas: Personas,
) -> None:
    # Out of order: batch 1 (city) is undone while batch 2 (city again) still stands. Every
    # record was changed after batch 1, so nothing is restored and batch 2's value stays.
    companies = CompanyFactory.create_batch(3, owner=personas.manager_a, city="Москва")
    ids = [company.pk for company in companies]
    first = bulk_set_field(
        actor=personas.admin, model=Company, ids_or_queryset=ids, field="city", value="Тула"
    )
    bulk_set_field(
        actor=personas.admin, model=Company, ids_or_queryset=ids, field="city", value="Сочи"
    )
    result = batch_undo(actor=personas.admin, batch=first)
    assert (result.restored, result.kept) == (0, 3)
    assert set(Company.objects.filter(pk__in=ids).values_list("city", flat=True)) == {"Сочи"}


def test_a_redo_after_an_undo_is_undone_on_its_own(personas: Personas) -> None:
    # Batch 1, undo 1, batch 2: batch 2's undo puts back the original; batch 1 is done with.
    companies = CompanyFactory.create_batch(3, owner=personas.manager_a, city="Москва")
    ids = [company.pk for company in companies]
    first = bulk_set_field(
        actor=personas.admin, model=Company, ids_or_queryset=ids, field="city", value="Тула"
    )
    batch_undo(actor=personas.admin, batch=first)
    second = bulk_set_field(
        actor=personas.admin, model=Company, ids_or_queryset=ids, field="city", value="Сочи"
    )
    result = batch_undo(actor=personas.admin, batch=second)
    assert (result.restored, result.kept) == (3, 0)
    assert set(Company.objects.filter(pk__in=ids).values_list("city", flat=True)) == {"Москва"}
