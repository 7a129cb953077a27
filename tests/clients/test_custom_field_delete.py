"""Deleting a custom field changes every record that held a value, as an edit would: the value
goes, the version moves on (a form opened before gets a conflict), the trail says so, search
forgets the value, and the work is chunked, whatever the number of records."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kartoteka.clients.models import Company
from kartoteka.clients.services import common, companies
from kartoteka.clients.services.common import record_trash
from kartoteka.clients.services.companies import company_create
from kartoteka.core import events, search
from kartoteka.core.batches import batch_undo
from kartoteka.core.errors import ConflictError
from kartoteka.core.models import AuditEntry
from kartoteka.records.models import CustomField
from kartoteka.records.services import custom_fields
from kartoteka.records.services.bulk import bulk_set_field
from kartoteka.records.services.custom_fields import custom_field_delete, custom_field_save
from tests.clients.post_data import company_post
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

MOTTO = "Непревзойдённость"


@pytest.fixture
def motto(personas: Personas) -> CustomField:
    return custom_field_save(
        actor=personas.admin,
        field=None,
        entity="companies",
        code="motto",
        label="Девиз",
        type="text",
        choices=[],
    )


def found(personas: Personas, text: str) -> set[int]:
    return {hit.id for hit in search.find(personas.admin, text)["companies"].hits}


def test_every_holder_loses_the_value_with_a_new_version_an_entry_and_no_search_hit(
    personas: Personas, motto: CustomField
) -> None:
    custom_field_save(
        actor=personas.admin,
        field=None,
        entity="companies",
        code="staff",
        label="Штат",
        type="number",
        choices=[],
    )
    alone = company_create(
        actor=personas.manager_a, values={"name": "ООО «Один»", "custom_fields": {"motto": MOTTO}}
    )
    both = company_create(
        actor=personas.manager_b,
        values={"name": "ООО «Два»", "custom_fields": {"motto": MOTTO, "staff": 12}},
    )
    without = company_create(actor=personas.manager_a, values={"name": "ООО «Без»"})
    assert found(personas, MOTTO) == {alone.pk, both.pk}

    with translation.override("en"):
        assert custom_field_delete(actor=personas.admin, field=motto, confirmed=True) == 2

    alone.refresh_from_db()
    both.refresh_from_db()
    without.refresh_from_db()
    assert (alone.custom_fields, alone.version) == ({}, 2)
    assert (both.custom_fields, both.version) == ({"staff": 12}, 2)
    assert without.version == 1
    for record, before in ((alone, {"motto": MOTTO}), (both, {"motto": MOTTO, "staff": 12})):
        [entry] = AuditEntry.objects.filter(
            content_type__model="company", object_id=record.pk, action="update"
        )
        assert entry.actor == personas.admin and entry.version == 2
        assert entry.changes["custom_fields"] == [before, record.custom_fields]
        assert entry.changes["custom_field"] == ["Девиз", None]
        [event, *_older] = events.for_record(record)
        assert isinstance(event, events.RecordChanged) and event.changes == entry.changes
    assert found(personas, MOTTO) == set()
    field_entry = AuditEntry.objects.get(content_type__model="customfield", action="purge")
    assert field_entry.changes["records_affected"] == [None, 2]


def test_the_history_on_the_card_says_which_field_went(
    personas: Personas, motto: CustomField, client: Client
) -> None:
    company = CompanyFactory(owner=personas.manager_a, custom_fields={"motto": MOTTO})
    custom_field_delete(actor=personas.admin, field=motto, confirmed=True)
    client.force_login(personas.manager_a)
    with translation.override("en"):
        page = client.get(f"/companies/{company.pk}/timeline/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Custom field: Девиз → —" in page.content.decode()


def test_a_record_in_the_trash_loses_the_value_too(personas: Personas, motto: CustomField) -> None:
    company = CompanyFactory(owner=personas.manager_a, custom_fields={"motto": MOTTO})
    record_trash(actor=personas.admin, obj=company)
    custom_field_delete(actor=personas.admin, field=motto, confirmed=True)
    trashed = Company.all_objects.get(pk=company.pk)
    assert trashed.custom_fields == {} and trashed.version == 3


def test_an_edit_checked_before_the_deletion_and_saved_after_it_is_a_conflict(
    personas: Personas, motto: CustomField
) -> None:
    company = CompanyFactory(owner=personas.manager_a, custom_fields={"motto": MOTTO})
    # The edit is checked while the field still exists (its form sent the value back) ...
    plan = companies._prepare(
        personas.manager_a, {"notes": "правка", "custom_fields": {"motto": MOTTO}}, company
    )
    custom_field_delete(actor=personas.admin, field=motto, confirmed=True)
    # ... and written after the deletion: it must not put the value back.
    with pytest.raises(ConflictError):
        common.update(personas.manager_a, company, 1, plan)
    company.refresh_from_db()
    assert company.custom_fields == {} and company.notes == ""


def test_a_form_opened_before_the_deletion_gets_a_conflict(
    personas: Personas, motto: CustomField, client: Client
) -> None:
    company = CompanyFactory(owner=personas.manager_a, custom_fields={"motto": MOTTO})
    client.force_login(personas.manager_a)
    form = client.get(f"/companies/{company.pk}/edit/").content.decode()
    assert MOTTO in form
    custom_field_delete(actor=personas.admin, field=motto, confirmed=True)
    response = client.post(
        f"/companies/{company.pk}/edit/",
        company_post(name=company.name, version=1, **{"cf_motto": MOTTO}),
    )
    assert response.status_code == 409
    company.refresh_from_db()
    assert company.custom_fields == {} and company.version == 2


def test_undoing_an_older_bulk_change_does_not_bring_a_deleted_value_back(
    personas: Personas, motto: CustomField
) -> None:
    records = CompanyFactory.create_batch(2, owner=personas.manager_a)
    batch = bulk_set_field(
        actor=personas.manager_a,
        model=Company,
        ids_or_queryset=[r.pk for r in records],
        field="custom_fields.motto",
        value=MOTTO,
    )
    custom_field_delete(actor=personas.admin, field=motto, confirmed=True)
    result = batch_undo(actor=personas.manager_a, batch=batch)
    assert (result.restored, result.kept) == (0, 2)
    assert not Company.objects.filter(custom_fields__has_key="motto").exists()


def test_values_are_removed_in_chunks_with_queries_per_chunk_not_per_record(
    personas: Personas, motto: CustomField, monkeypatch: Any
) -> None:
    def queries_for(count: int) -> int:
        field = custom_field_save(
            actor=personas.admin,
            field=None,
            entity="companies",
            code=f"motto{count}",
            label="Девиз",
            type="text",
            choices=[],
        )
        holders = CompanyFactory.create_batch(
            count, owner=personas.manager_a, custom_fields={field.code: MOTTO}
        )
        with CaptureQueriesContext(connection) as captured:
            custom_field_delete(actor=personas.admin, field=field, confirmed=True)
        assert not Company.objects.filter(custom_fields__has_key=field.code).exists()
        assert {h.version for h in Company.objects.filter(pk__in=[h.pk for h in holders])} == {2}
        return len(captured)

    queries_for(1)  # caches warmed (content types)
    assert queries_for(3) == queries_for(12)
    monkeypatch.setattr(custom_fields, "VALUES_CHUNK", 2)
    # Five holders in chunks of two: three rounds, every record done once.
    queries_for(5)
    assert AuditEntry.objects.filter(content_type__model="company", action="update").count() == (
        1 + 3 + 12 + 5
    )
