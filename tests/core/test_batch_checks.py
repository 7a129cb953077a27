"""Every value a batch writes passes the check a single edit of the field passes, and a refused
value stops the whole batch, naming the field, before anything of it is kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from kartoteka.clients.models import Company
from kartoteka.clients.services.companies import company_update
from kartoteka.core import batches
from kartoteka.core.batches import engine
from kartoteka.core.errors import DomainError
from kartoteka.core.models import AuditEntry, Batch, BatchChange, Record
from kartoteka.records.models import CustomField, Tag
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

pytestmark = pytest.mark.django_db


def setting(field: str, value: Any) -> batches.Operation:
    return batches.Operation(
        kind="set_field", fields=(field,), values=lambda record, position: {field: value}
    )


def run(actor: Any, records: list[Company], operation: batches.Operation) -> Batch:
    return batches.execute(
        actor=actor,
        kind=operation.kind,
        work=[(Company, [r.pk for r in records], operation)],
        name=lambda counts, before: "test",
    )


def assert_untouched(records: list[Company], **values: Any) -> None:
    for record in records:
        fresh = Company.objects.get(pk=record.pk)
        assert fresh.version == 1
        for name, value in values.items():
            assert getattr(fresh, name) == value
    assert not Batch.objects.exists() and not BatchChange.objects.exists()
    assert not AuditEntry.objects.filter(content_type__model="company").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("city", "Г" * 101, "Ensure this value has at most 100 characters (it has 101)."),
        ("status", "partner", "Value 'partner' is not a valid choice."),
        ("inn", "1234567890", "INN must be 10 or 12 digits with correct check digits."),
        ("custom_fields.staff", "много", "Enter a number."),
        ("custom_fields.nope", "1", "There is no such custom field."),
    ],
)
def test_an_operation_writing_a_value_a_card_would_refuse_is_refused_whole(
    personas: Personas, field: str, value: str, message: str
) -> None:
    CustomField.objects.create(entity="companies", code="staff", label="Штат", type="number")
    records = CompanyFactory.create_batch(2, owner=personas.manager_a, city="Москва")
    with translation.override("en"), pytest.raises(DomainError) as refused:
        run(personas.manager_a, records, setting(field, value))
    assert refused.value.fields == {field: [message]}
    assert_untouched(records, city="Москва", status="prospect", inn="")
    # The same value is refused for the same field on the card, with the same words.
    if "nope" not in field:
        card = {field: value} if "." not in field else {"custom_fields": {"staff": value}}
        with translation.override("en"), pytest.raises(DomainError) as single:
            company_update(actor=personas.manager_a, company=records[0], version=1, values=card)
        assert list(single.value.fields.values()) == [[message]]


def test_values_are_written_in_the_form_a_card_stores(personas: Personas) -> None:
    records = CompanyFactory.create_batch(2, owner=personas.manager_a)
    run(personas.manager_a, records, setting("inn", " 77 07 08 38 93 "))
    assert {Company.objects.get(pk=r.pk).inn for r in records} == {"7707083893"}
    change = BatchChange.objects.filter(field="inn").first()
    assert change is not None and change.new_value == "7707083893"


def test_a_value_refused_in_a_later_chunk_keeps_nothing_of_the_earlier_ones(
    personas: Personas, monkeypatch: Any
) -> None:
    monkeypatch.setattr(engine, "CHUNK", 2)
    records = CompanyFactory.create_batch(5, owner=personas.manager_a, city="Москва")

    def values(record: Record, position: int) -> dict[str, Any]:
        return {"city": "Тверь" if position < 4 else "Г" * 101}

    operation = batches.Operation(kind="set_field", fields=("city",), values=values)
    with pytest.raises(DomainError) as refused:
        run(personas.manager_a, records, operation)
    assert set(refused.value.fields) == {"city"}
    assert_untouched(records, city="Москва")


def test_a_link_to_something_that_does_not_exist_is_refused(personas: Personas) -> None:
    records = [CompanyFactory(owner=personas.manager_a)]
    missing = (Tag.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    with pytest.raises(DomainError) as refused:
        run(personas.manager_a, records, setting(f"tags.{missing}", True))
    assert set(refused.value.fields) == {f"tags.{missing}"}
    assert_untouched(records)


def test_a_preview_refuses_what_the_batch_would_refuse(personas: Personas) -> None:
    records = [CompanyFactory(owner=personas.manager_a)]
    with pytest.raises(DomainError):
        batches.preview(
            actor=personas.manager_a,
            work=[(Company, [records[0].pk], setting("status", "partner"))],
        )


def test_each_distinct_value_is_checked_once_per_batch(
    personas: Personas, monkeypatch: Any
) -> None:
    from kartoteka.core import field_rules

    seen: list[tuple[str, Any]] = []
    original = field_rules.clean_value

    def counting(model: Any, name: str, raw: Any) -> Any:
        seen.append((name, raw))
        return original(model, name, raw)

    monkeypatch.setattr(field_rules, "clean_value", counting)
    records = CompanyFactory.create_batch(6, owner=personas.manager_a)
    run(personas.manager_a, records, setting("city", "Тверь"))
    assert seen == [("city", "Тверь")]
