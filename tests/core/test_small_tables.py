"""Small tables read in one statement come back as their querysets would have given them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.accounts.models import Branch
from kartoteka.clients.queries import list_page_tables
from kartoteka.records.models import CustomField, SavedView, Tag
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


def _fields(rows: list[object], names: tuple[str, ...]) -> list[tuple[object, ...]]:
    return [tuple(getattr(row, name) for name in names) for row in rows]


def test_a_list_page_reads_its_filter_bar_in_one_statement_as_querysets_would(
    personas: Personas,
) -> None:
    CustomField.objects.create(
        entity="contacts", code="size", label="Размер", type="choice", choices=["S", "M"]
    )
    CustomField.objects.create(
        entity="contacts", code="vip", label="VIP", type="boolean", position=0, is_required=True
    )
    CustomField.objects.create(entity="companies", code="x", label="Чужой", type="text")
    for name in ("ярмарка", "Альфа", "Ёлка", "бета"):
        Tag.objects.create(name=name, color="#123456")
    Branch.objects.create(name="Закрытый", is_active=False)
    own = SavedView.objects.create(name="Мои", entity="contacts", owner=personas.manager_a)
    SavedView.objects.create(
        name="Общие", entity="contacts", owner=personas.manager_b, is_shared=True
    )
    SavedView.objects.create(name="Чужие", entity="contacts", owner=personas.manager_b)
    SavedView.objects.create(name="Компании", entity="companies", owner=personas.manager_a)

    with CaptureQueriesContext(connection) as queries:
        fields, tags, branches, views = list_page_tables(personas.manager_a, "contacts")
    assert len(queries) == 1

    names = ("pk", "code", "label", "type", "choices", "is_required", "position")
    assert _fields(fields, names) == _fields(
        list(CustomField.objects.filter(entity="contacts")), names
    )
    assert [field.choices for field in fields] == [["S", "M"], []]
    assert {field.code: field.is_required for field in fields} == {"size": False, "vip": True}
    assert [tag.name for tag in tags] == [tag.name for tag in Tag.objects.all()]
    assert [(b.pk, b.name, b.is_active) for b in branches] == [
        (b.pk, b.name, b.is_active) for b in Branch.objects.filter(is_active=True).order_by("name")
    ]
    assert [view.name for view in views] == ["Мои", "Общие"]
    assert views[0].created_at == own.created_at and views[0].owner_id == personas.manager_a.pk
    # Rows as read from the database: saved as they are, no query for what they hold.
    views[0].name = "Мои клиенты"
    views[0].save()
    assert SavedView.objects.get(pk=own.pk).name == "Мои клиенты"


def test_nothing_to_list_is_empty_lists(personas: Personas) -> None:
    CustomField.objects.all().delete()
    Tag.objects.all().delete()
    assert list_page_tables(personas.admin, "companies")[:2] == ([], [])
