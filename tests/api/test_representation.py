"""Reads go through fields built once per serializer class; they must say exactly what DRF's own
field-by-field representation says, for every field of both public shapes."""

from __future__ import annotations

import datetime
from typing import Any

from rest_framework import serializers

from kartoteka.clients import queries
from kartoteka.clients.api.records import CompanySerializer, ContactSerializer
from kartoteka.clients.models import CompanyEmail, ContactEmail, RelatedPerson
from kartoteka.records.models import Tag
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def _drf_own(serializer_class: Any, obj: Any) -> dict[str, Any]:
    fresh = serializer_class(obj)
    return dict(serializers.Serializer.to_representation(fresh, obj))


def test_company_reads_as_drf_would_write_it(personas: Personas, db: Any) -> None:
    company = CompanyFactory(
        owner=personas.manager_a,
        inn="7707083893",
        kpp="773601001",
        industry="Розница",
        city="Казань",
        website="https://romashka.example",
        status="client",
        notes="Звонить после обеда",
        custom_fields={"segment": "A", "vip": True, "since": "2024-01-02"},
    )
    CompanyEmail.objects.create(company=company, address="office@romashka.example")
    company.tags.add(Tag.objects.create(name="ВИП"), Tag.objects.create(name="Волга"))
    obj = queries.company(personas.admin, company.pk)

    data = CompanySerializer(obj).data

    expected = _drf_own(CompanySerializer, obj)
    assert {k: data[k] for k in expected} == expected
    assert data["tags"] == ["ВИП", "Волга"]
    assert data["created_at"].endswith("+03:00")  # shown in the site's time zone, as DRF does


def test_contact_reads_as_drf_would_write_it(personas: Personas, db: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    contact = ContactFactory(
        owner=None,
        branch=personas.branch_a,
        middle_name="Петрович",
        birthday=datetime.date(1980, 5, 17),
        messengers=[{"kind": "telegram", "handle": "@ivanov"}],
        preferences="Любит Пелевина",
        company=company,
    )
    ContactEmail.objects.create(contact=contact, address="ivanov@example.ru")
    RelatedPerson.objects.create(
        contact=contact, name="Мария", relation="spouse", birthday=datetime.date(1982, 3, 8)
    )
    obj = queries.contact(personas.admin, contact.pk)

    data = ContactSerializer(obj).data

    expected = _drf_own(ContactSerializer, obj)
    assert {k: data[k] for k in expected} == expected
    assert data["owner"] is None and data["birthday"] == "1980-05-17"
    assert data["companies"] == [company.pk]
    assert data["related_persons"] == [
        {"name": "Мария", "relation": "spouse", "birthday": "1982-03-08", "anniversary": None}
    ]
