"""Merging duplicates: values picked per field, every link moved, the other in the trash."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from kartoteka.clients.models import (
    Company,
    CompanyEmail,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
    Employment,
    RelatedPerson,
)
from kartoteka.clients.services.companies import company_update
from kartoteka.clients.services.merge import company_merge, contact_merge
from kartoteka.core import audit, kinds
from kartoteka.core.errors import ConflictError, DomainError, NotFoundError
from kartoteka.core.models import AuditEntry, RecordShare
from kartoteka.core.trash import trash_restore
from kartoteka.records.models import Tag
from kartoteka.records.sharing import share_create
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def entries(obj: Any) -> list[tuple[str, dict[str, Any]]]:
    rows = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
    ).order_by("id")
    return [(entry.action, entry.changes) for entry in rows]


@pytest.fixture
def two_companies(personas: Personas) -> tuple[Company, Company]:
    owner = personas.manager_a
    survivor = CompanyFactory(
        owner=owner, name="ООО «Ромашка»", inn="", city="Москва", phone="+74951112233"
    )
    other = CompanyFactory(
        owner=owner,
        name="Ромашка",
        inn="7707083893",
        city="Химки",
        industry="Розница",
        phone="+79161234567",
        custom_fields={"segment": "B"},
    )
    CompanyPhone.objects.create(company=other, number="+74951112233")  # the same as survivor's
    CompanyEmail.objects.create(company=survivor, address="info@romashka.ru")
    CompanyEmail.objects.create(company=other, address="INFO@romashka.ru")
    CompanyEmail.objects.create(company=other, address="sales@romashka.ru")
    vip, retail = Tag.objects.create(name="VIP"), Tag.objects.create(name="Розница")
    survivor.tags.add(vip)
    other.tags.add(retail)
    return survivor, other


def test_company_merge_keeps_chosen_values_and_moves_every_link(
    personas: Personas, two_companies: tuple[Company, Company]
) -> None:
    survivor, other = two_companies
    both = ContactFactory(owner=personas.manager_a, last_name="Общий", company=survivor)
    Employment.objects.create(contact=both, company=other, position="директор")
    worker = ContactFactory(owner=personas.manager_a, last_name="Работников", company=other)
    share_create(actor=personas.head, obj=other, user=personas.colleague_a)

    merged = company_merge(
        actor=personas.manager_a,
        survivor=survivor,
        other=other,
        version=survivor.version,
        other_version=other.version,
        choices={"city": "other"},
    )

    merged = Company.objects.get(pk=survivor.pk)
    assert merged.city == "Химки"  # picked
    assert merged.name == "ООО «Ромашка»"  # the survivor's by default
    assert merged.inn == "7707083893" and merged.industry == "Розница"  # filled where empty
    assert merged.custom_fields == {"segment": "B"}
    assert merged.version == survivor.version + 1
    assert [p.number for p in merged.phones.all()] == ["+74951112233", "+79161234567"]
    assert sorted(e.address for e in merged.emails.all()) == [
        "info@romashka.ru",
        "sales@romashka.ru",
    ]
    assert sorted(t.name for t in merged.tags.all()) == ["VIP", "Розница"]
    jobs = Employment.objects.filter(company=merged).order_by("contact__last_name")
    assert [(j.contact.last_name, j.position) for j in jobs] == [
        ("Общий", "директор"),  # one link kept, the position taken from the other
        ("Работников", ""),
    ]
    assert not Employment.objects.filter(company=other).exists()
    assert Contact.objects.get(pk=worker.pk).companies.get() == merged
    assert RecordShare.objects.get().object_id == merged.pk
    other_now = Company.all_objects.get(pk=other.pk)
    assert other_now.deleted_at is not None and other_now.deleted_by == personas.manager_a
    assert not Company.objects.filter(pk=other.pk).exists()


def test_merge_is_audited_on_both_records(
    personas: Personas, two_companies: tuple[Company, Company]
) -> None:
    survivor, other = two_companies
    company_merge(
        actor=personas.manager_a,
        survivor=survivor,
        other=other,
        version=survivor.version,
        other_version=other.version,
    )
    action, changes = entries(survivor)[-1]
    assert action == "update"
    # Links to the other record: read by name by those who may see it (see audit.shown_to).
    assert changes["merged_with"] == [None, audit.link(other, f"#{other.pk} «Ромашка»")]
    assert changes["inn"] == ["", "7707083893"]
    assert changes["phones"][1] == ["+7 495 111-22-33 (work)", "+7 916 123-45-67 (work)"]
    assert changes["tags"] == [["VIP"], ["VIP", "Розница"]]
    assert [action for action, _changes in entries(other)][-2:] == ["update", "delete"]
    merged_into = audit.link(survivor, f"#{survivor.pk} «ООО «Ромашка»»")
    assert entries(other)[-2][1] == {"merged_into": [None, merged_into]}
    shown = audit.shown_to(personas.admin, audit.entries_for(survivor))[0].changes
    assert shown["merged_with"] == [None, f"#{other.pk} «Ромашка»"]


def test_the_other_can_be_restored_from_the_trash(
    personas: Personas, two_companies: tuple[Company, Company]
) -> None:
    survivor, other = two_companies
    company_merge(
        actor=personas.manager_a,
        survivor=survivor,
        other=other,
        version=survivor.version,
        other_version=other.version,
    )
    trash_restore(actor=personas.admin, label="clients.company", pk=other.pk)
    restored = Company.objects.get(pk=other.pk)
    assert restored.name == "Ромашка" and restored.inn == "7707083893"
    assert Company.objects.get(pk=survivor.pk).phones.count() == 2  # the survivor keeps both


def test_stale_versions_are_refused_and_nothing_changes(
    personas: Personas, two_companies: tuple[Company, Company]
) -> None:
    survivor, other = two_companies
    stale = survivor.version
    company_update(
        actor=personas.admin, company=survivor, version=stale, values={"notes": "позвонить"}
    )
    with pytest.raises(ConflictError) as refused:
        company_merge(
            actor=personas.manager_a,
            survivor=survivor,
            other=other,
            version=stale,
            other_version=other.version,
        )
    assert refused.value.current_version == stale + 1
    with pytest.raises(ConflictError):
        company_merge(
            actor=personas.manager_a,
            survivor=survivor,
            other=other,
            version=stale + 1,
            other_version=other.version - 1,
        )
    assert Company.objects.filter(pk=other.pk).exists()
    assert CompanyPhone.objects.filter(company=other).count() == 2
    assert other.tags.count() == 1
    assert not any("merged_with" in changes for _action, changes in entries(survivor))


def test_out_of_scope_is_not_found_and_nothing_changes(personas: Personas) -> None:
    mine = CompanyFactory(owner=personas.manager_a, name="ООО «Моя»")
    theirs = CompanyFactory(owner=personas.manager_b, name="ООО «Их»")
    for survivor, other in ((mine, theirs), (theirs, mine)):
        with pytest.raises(NotFoundError):
            company_merge(
                actor=personas.manager_a,
                survivor=survivor,
                other=other,
                version=survivor.version,
                other_version=other.version,
            )
    with pytest.raises(NotFoundError):  # may see everything, may edit nothing
        company_merge(
            actor=personas.marketer,
            survivor=mine,
            other=CompanyFactory(owner=personas.manager_a),
            version=1,
            other_version=1,
        )
    assert Company.objects.filter(pk__in=[mine.pk, theirs.pk]).count() == 2
    assert CompanyPhone.objects.get(company=theirs)
    assert not AuditEntry.objects.filter(action="delete").exists()


def test_bad_choices_and_merging_with_itself_are_refused(
    personas: Personas, two_companies: tuple[Company, Company]
) -> None:
    survivor, other = two_companies
    with pytest.raises(DomainError) as bad:
        company_merge(
            actor=personas.manager_a,
            survivor=survivor,
            other=other,
            version=survivor.version,
            other_version=other.version,
            choices={"nonsense": "other", "city": "both"},
        )
    assert len(bad.value.fields["keep"]) == 2
    with pytest.raises(DomainError) as itself:
        company_merge(
            actor=personas.manager_a,
            survivor=survivor,
            other=survivor,
            version=survivor.version,
            other_version=survivor.version,
        )
    assert "other" in itself.value.fields


def test_contact_merge_moves_companies_relatives_messengers_and_channels(
    personas: Personas,
) -> None:
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
    Employment.objects.create(contact=other, company=alpha, position="бухгалтер")
    ContactEmail.objects.create(contact=other, address="petrov@mail.ru")
    RelatedPerson.objects.create(contact=survivor, name="Анна", relation="spouse")
    RelatedPerson.objects.create(contact=other, name="анна", relation="spouse")
    RelatedPerson.objects.create(contact=other, name="Миша", relation="child")

    contact_merge(
        actor=owner,
        survivor=survivor,
        other=other,
        version=survivor.version,
        other_version=other.version,
        choices={"first_name": "other"},
    )

    merged = Contact.objects.get(pk=survivor.pk)
    assert merged.full_name == "Петров Петр Ильич"  # first name picked, patronymic filled
    assert [p.number for p in ContactPhone.objects.filter(contact=merged)] == [
        "+79030000001",
        "+79030000002",
    ]
    assert [e.address for e in merged.emails.all()] == ["petrov@mail.ru"]
    jobs = {(j.company.name, j.position) for j in Employment.objects.filter(contact=merged)}
    assert jobs == {("Альфа", "бухгалтер"), ("Бета", "")}
    assert sorted(p.name for p in merged.related_persons.all()) == ["Анна", "Миша"]
    assert merged.messengers == [
        {"kind": "telegram", "handle": "@petrov"},
        {"kind": "whatsapp", "handle": "+79030000002"},
    ]
    assert Contact.all_objects.get(pk=other.pk).deleted_at is not None
    assert not Employment.objects.filter(contact=other).exists()


def test_other_apps_can_register_their_own_link_movers(
    personas: Personas, two_companies: tuple[Company, Company]
) -> None:
    survivor, other = two_companies
    seen: list[tuple[int, int]] = []

    def move_deals(*, actor: Any, survivor: Any, other: Any) -> dict[str, list[Any]]:
        seen.append((survivor.pk, other.pk))
        return {"deals": [None, ["Поставка"]]}

    kinds.register_link_mover("companies", "deals", move_deals)
    try:
        company_merge(
            actor=personas.manager_a,
            survivor=survivor,
            other=other,
            version=survivor.version,
            other_version=other.version,
        )
    finally:
        kinds.unregister_link_mover("companies", "deals")
    assert seen == [(survivor.pk, other.pk)]
    assert entries(survivor)[-1][1]["deals"] == [None, ["Поставка"]]


# --- the merge screen -------------------------------------------------------------------------


def test_merge_screen_compares_and_merges(
    client: Client, personas: Personas, two_companies: tuple[Company, Company]
) -> None:
    survivor, other = two_companies
    client.force_login(personas.manager_a)
    url = f"/companies/{survivor.pk}/merge/{other.pk}/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="keep_city" value="survivor" checked' in html
    assert 'name="keep_city" value="other"' in html
    assert "Химки" in html and "+7 916 123-45-67" in html
    assert "keep_inn" not in html  # only one has an INN: nothing to choose
    response = client.post(
        url,
        {"version": survivor.version, "other_version": other.version, "keep_city": "other"},
    )
    assert response.status_code == 302 and response["Location"] == f"/companies/{survivor.pk}/"
    card = client.get(response["Location"]).content.decode()
    assert "+7 495 111-22-33" in card and "+7 916 123-45-67" in card and "Химки" in card
    assert "Merged." in card


def test_merge_screen_stale_is_409_and_out_of_scope_is_404(
    client: Client, personas: Personas, two_companies: tuple[Company, Company]
) -> None:
    survivor, other = two_companies
    client.force_login(personas.manager_a)
    url = f"/companies/{survivor.pk}/merge/{other.pk}/"
    response = client.post(url, {"version": survivor.version - 1, "other_version": other.version})
    assert response.status_code == 409
    assert 'id="conflict"' in response.content.decode()
    assert Company.objects.filter(pk=other.pk).exists()
    theirs = CompanyFactory(owner=personas.manager_b)
    assert client.get(f"/companies/{survivor.pk}/merge/{theirs.pk}/").status_code == 404
    assert client.post(f"/companies/{theirs.pk}/merge/{survivor.pk}/", {}).status_code == 404
    assert client.get(f"/companies/{survivor.pk}/merge/{survivor.pk}/").status_code == 404
    assert Company.objects.filter(pk=theirs.pk).exists()


def test_contact_merge_screen(client: Client, personas: Personas) -> None:
    first = ContactFactory(owner=personas.manager_a, last_name="Сидоров", first_name="Иван")
    second = ContactFactory(owner=personas.manager_a, last_name="Сидоров", first_name="Ваня")
    client.force_login(personas.manager_a)
    url = f"/contacts/{first.pk}/merge/{second.pk}/"
    assert 'name="keep_first_name" value="other"' in client.get(url).content.decode()
    response = client.post(
        url, {"version": 1, "other_version": 1, "keep_first_name": "other"}, follow=True
    )
    assert response.status_code == 200
    assert Contact.objects.get(pk=first.pk).first_name == "Ваня"
    assert Contact.objects.get(pk=first.pk).phones.count() == 2


def test_merge_screen_queries_do_not_grow_with_links(client: Client, personas: Personas) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = personas.manager_a
    first = CompanyFactory(owner=owner, name="ООО «Ромашка»")
    second = CompanyFactory(owner=owner, name="Ромашка")
    client.force_login(owner)
    url = f"/companies/{first.pk}/merge/{second.pk}/"

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    def add_links(numbers: range) -> None:
        for number in numbers:
            for company in (first, second):
                number_text = f"+7495{company.pk}{number:05d}"
                CompanyPhone.objects.create(company=company, number=number_text)
                CompanyEmail.objects.create(company=company, address=f"{number}@{company.pk}.ru")
                ContactFactory(owner=owner, company=company)
                company.tags.add(Tag.objects.create(name=f"Тег {company.pk}-{number}"))

    add_links(range(1))
    small = count()
    add_links(range(1, 20))
    assert count() == small
