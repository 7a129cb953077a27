"""Undoing a merge from its toast: both records as they were, every link back where it was."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.test import Client

from kartoteka.clients.models import Company, Contact, ContactEmail, Employment, RelatedPerson
from kartoteka.core.models import RecordShare
from kartoteka.records.models import Tag
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def _state(contact: Contact) -> dict[str, Any]:
    fresh = Contact.all_objects.get(pk=contact.pk)
    return {
        "names": (fresh.last_name, fresh.first_name, fresh.middle_name),
        "messengers": fresh.messengers,
        "deleted": fresh.deleted_at is not None,
        "phones": sorted(fresh.phones.values_list("number", "position")),
        "emails": sorted(fresh.emails.values_list("address", flat=True)),
        "jobs": sorted(
            Employment.objects.filter(contact=fresh).values_list("company__name", "position")
        ),
        "relatives": sorted(fresh.related_persons.values_list("name", flat=True)),
        "tags": sorted(fresh.tags.values_list("name", flat=True)),
        "shares": sorted(
            RecordShare.objects.filter(
                content_type=ContentType.objects.get_for_model(Contact), object_id=fresh.pk
            ).values_list("user__username", flat=True)
        ),
    }


def _pair(personas: Personas) -> tuple[Contact, Contact]:
    owner = personas.manager_a
    alpha = CompanyFactory(owner=owner, name="Альфа")
    beta = CompanyFactory(owner=owner, name="Бета")
    survivor = ContactFactory(
        owner=owner,
        last_name="Петров",
        first_name="Пётр",
        phone="+79030000001",
        company=alpha,
        messengers=[{"kind": "telegram", "handle": "@petrov"}],
    )
    other = ContactFactory(
        owner=owner,
        last_name="Петров",
        first_name="Петр",
        middle_name="Ильич",
        phone="+79030000002",
        company=beta,
        messengers=[{"kind": "whatsapp", "handle": "+79030000002"}],
    )
    # Both work at Альфа: the merge folds the two links into one, the undo brings both back.
    Employment.objects.create(contact=other, company=alpha, position="бухгалтер")
    ContactEmail.objects.create(contact=other, address="petrov@mail.ru")
    RelatedPerson.objects.create(contact=survivor, name="Анна", relation="spouse")
    RelatedPerson.objects.create(contact=other, name="Миша", relation="child")
    other.tags.add(Tag.objects.create(name="VIP"))
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=other.pk,
        user=personas.colleague_a,
        created_by=owner,
    )
    return survivor, other


def _merge(client: Client, survivor: Contact, other: Contact) -> str:
    page = client.post(
        f"/contacts/{survivor.pk}/merge/{other.pk}/",
        {
            "version": survivor.version,
            "other_version": other.version,
            "keep_middle_name": "other",
        },
        follow=True,
    ).content.decode()
    found = re.search(r'action="(/undo/[^"]+/)"', page)
    assert found, "the merge's toast offers no undo"
    return found.group(1)


def test_merge_undo_puts_both_records_back(client: Client, personas: Personas) -> None:
    survivor, other = _pair(personas)
    before = (_state(survivor), _state(other))
    client.force_login(personas.manager_a)
    action = _merge(client, survivor, other)
    merged = _state(survivor)
    assert merged["names"][2] == "Ильич" and _state(other)["deleted"]
    assert "Миша" in merged["relatives"] and "VIP" in merged["tags"]
    answer = client.post(action)
    assert answer.status_code == 302 and answer["Location"] == f"/contacts/{survivor.pk}/"
    assert (_state(survivor), _state(other)) == before
    # The survivor's history says the merge was taken back.
    page = client.get(f"/contacts/{other.pk}/").content.decode()
    assert "Петров" in page


def test_merge_undo_refuses_after_the_survivor_changed(client: Client, personas: Personas) -> None:
    survivor, other = _pair(personas)
    client.force_login(personas.manager_a)
    action = _merge(client, survivor, other)
    Contact.objects.filter(pk=survivor.pk).update(version=survivor.version + 5, first_name="П.")
    page = client.post(action, follow=True).content.decode()
    assert "cannot be undone" in page
    assert Contact.all_objects.get(pk=other.pk).deleted_at is not None
    assert Contact.objects.get(pk=survivor.pk).first_name == "П."


def test_merge_undo_is_refused_to_others(client: Client, personas: Personas) -> None:
    survivor, other = _pair(personas)
    client.force_login(personas.manager_a)
    action = _merge(client, survivor, other)
    head = Client()
    head.force_login(personas.head)
    head.post(action)  # the token belongs to manager_a's session
    assert Contact.all_objects.get(pk=other.pk).deleted_at is not None
    assert Company.objects.filter(name="Альфа").exists()
