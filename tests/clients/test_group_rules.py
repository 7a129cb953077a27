"""Group rules: tag or assign clients that start matching a condition, audited with the change."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company, Contact
from kartoteka.clients.services.companies import company_create, company_update
from kartoteka.clients.services.contacts import contact_create
from kartoteka.core.errors import ForbiddenError
from kartoteka.core.models import AuditEntry, Batch
from kartoteka.records.models import GroupRule, Tag
from kartoteka.records.services.custom_fields import custom_field_save
from kartoteka.records.services.group_rules import group_rule_save, rule_dry_run
from tests.clients.post_data import company_post
from tests.conftest import Personas
from tests.factories.accounts import UserFactory
from tests.factories.clients import CompanyFactory, ContactFactory


def rule(actor: User, **values: Any) -> GroupRule:
    values = {"entity": "companies", "operator": "equals", **values}
    return group_rule_save(actor=actor, rule=None, values=values)


@pytest.fixture
def retail_manager(personas: Personas) -> User:
    return UserFactory(
        username="retail", last_name="Розничная", branch=personas.branch_b, roles=["sales_manager"]
    )


@pytest.fixture
def rules(personas: Personas, retail_manager: User) -> tuple[GroupRule, GroupRule]:
    volga = rule(
        personas.admin,
        name="Поволжье",
        field="city",
        value="Казань",
        effect="add_tag",
        tag="Поволжье",
    )
    retail = rule(
        personas.admin,
        name="Розница",
        field="industry",
        value="Розничная торговля",
        effect="set_owner",
        owner=retail_manager,
    )
    return volga, retail


def tags_of(record: Company | Contact) -> list[str]:
    return sorted(tag.name for tag in record.tags.all())


def created_entry(record: Company | Contact) -> AuditEntry:
    return AuditEntry.objects.get(
        action="create", object_id=record.pk, content_type__model=record._meta.model_name
    )


def test_city_kazan_gets_the_volga_tag_on_creation(
    rules: Any, personas: Personas, client: Client
) -> None:
    client.force_login(personas.manager_a)
    response = client.post("/companies/new/", company_post(name="ООО «Волга»", city="казань "))
    company = Company.objects.get(name="ООО «Волга»")
    assert response.status_code == 302 and response["Location"] == f"/companies/{company.pk}/"
    assert tags_of(company) == ["Поволжье"]
    entry = created_entry(company)
    assert entry.actor == personas.manager_a
    assert entry.changes["tags"] == [[], ["Поволжье"]]
    assert entry.changes["rules"] == [None, ["rule «Поволжье» added the tag «Поволжье»"]]
    assert (
        AuditEntry.objects.filter(object_id=company.pk, content_type__model="company").count() == 1
    )


def test_retail_goes_to_the_retail_manager_and_their_branch(
    rules: Any, personas: Personas, retail_manager: User, api: Any
) -> None:
    response = api(personas.manager_a).post(
        "/api/v1/companies/",
        {"name": "ИП Розница", "industry": "розничная торговля", "city": "Москва"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["owner"] == retail_manager.pk
    company = Company.objects.get(name="ИП Розница")
    assert (company.owner, company.branch) == (retail_manager, personas.branch_b)
    assert tags_of(company) == []
    entry = created_entry(company)
    assert entry.actor == personas.manager_a
    assert entry.changes["owner"] == [str(personas.manager_a), str(retail_manager)]
    assert entry.changes["branch"] == ["Москва", "Казань"]
    # The note is written in the actor's language (the API speaks the site's default).
    [note] = entry.changes["rules"][1]
    assert "«Розница»" in note and str(retail_manager) in note
    # The manager no longer sees it: it is the retail manager's now.
    assert api(personas.manager_a).get(f"/api/v1/companies/{company.pk}/").status_code == 404


def test_page_says_where_a_rule_sent_the_record(
    rules: Any, personas: Personas, retail_manager: User, client: Client
) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/companies/new/",
        company_post(name="ИП Магазин", industry="Розничная торговля"),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/companies/"
    assert f"A group rule gave “ИП Магазин” to {retail_manager}." in response.content.decode()


def test_rules_do_not_fire_when_the_condition_does_not_match(
    rules: Any, personas: Personas
) -> None:
    company = company_create(
        actor=personas.manager_a,
        values={"name": "ООО «Москва»", "city": "Москва", "industry": "Розничная торговля сетевая"},
    )
    assert tags_of(company) == [] and company.owner == personas.manager_a
    entry = created_entry(company)
    assert "rules" not in entry.changes and "tags" not in entry.changes


def test_rules_fire_when_an_edit_makes_the_record_match(rules: Any, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a, city="Москва")
    company = company_update(
        actor=personas.manager_a,
        company=company,
        version=company.version,
        values={"city": "Казань", "notes": "переехали"},
    )
    assert tags_of(company) == ["Поволжье"] and company.version == 2
    entry = AuditEntry.objects.get(action="update", object_id=company.pk)
    assert entry.changes["city"] == ["Москва", "Казань"]
    assert entry.changes["tags"] == [[], ["Поволжье"]]
    assert entry.changes["rules"] == [None, ["rule «Поволжье» added the tag «Поволжье»"]]

    # Taking the tag off by hand sticks: the record matched before this edit already.
    company = company_update(
        actor=personas.manager_a, company=company, version=company.version, values={"tags": []}
    )
    assert tags_of(company) == []
    company = company_update(
        actor=personas.manager_a,
        company=company,
        version=company.version,
        values={"notes": "ещё правка"},
    )
    assert tags_of(company) == []


def test_an_edit_reassigned_by_a_rule_records_the_original_owner(
    rules: Any, personas: Personas, retail_manager: User
) -> None:
    # The owner picker sent the owner the card already had: not a choice, so the rule decides.
    company = CompanyFactory(owner=personas.manager_a, industry="Опт")
    updated = company_update(
        actor=personas.head,
        company=company,
        version=company.version,
        values={"industry": "Розничная торговля", "owner": personas.manager_a},
    )
    assert updated.owner == retail_manager and updated.branch == personas.branch_b
    company.refresh_from_db()
    assert company.owner == retail_manager and company.version == 2
    entry = AuditEntry.objects.get(action="update", object_id=company.pk)
    assert entry.changes["owner"] == [str(personas.manager_a), str(retail_manager)]


def test_an_owner_picked_on_the_card_wins_over_a_rules_owner(
    rules: Any, personas: Personas, retail_manager: User, client: Client
) -> None:
    """What the person picks on the form is what they get, as in a bulk change that sets the
    owner: the rule's owner only fills in where nobody chose one."""
    company = CompanyFactory(owner=personas.manager_a, industry="Опт", name="ООО «Опт»")
    client.force_login(personas.head)
    response = client.post(
        f"/companies/{company.pk}/edit/",
        company_post(
            name="ООО «Опт»",
            industry="Розничная торговля",
            owner=personas.teammate_a.pk,
            version=company.version,
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    company.refresh_from_db()
    assert (company.owner, company.branch) == (personas.teammate_a, personas.branch_a)
    entry = AuditEntry.objects.get(action="update", object_id=company.pk)
    assert entry.changes["owner"] == [str(personas.manager_a), str(personas.teammate_a)]
    assert "rules" not in entry.changes
    # A new company given to a colleague on its form stays theirs too...
    response = client.post(
        "/companies/new/",
        company_post(name="ИП Отдан", industry="Розничная торговля", owner=personas.teammate_a.pk),
    )
    assert response.status_code == 302
    assert Company.objects.get(name="ИП Отдан").owner == personas.teammate_a
    # ... while one left with the picker's default (its creator) goes where the rule says.
    client.post(
        "/companies/new/",
        company_post(name="ИП Свой", industry="Розничная торговля", owner=personas.head.pk),
    )
    assert Company.objects.get(name="ИП Свой").owner == retail_manager


def test_single_and_bulk_changes_agree_on_who_owns_a_record_a_rule_claims(
    personas: Personas, retail_manager: User
) -> None:
    from kartoteka.records.services.bulk import bulk_set_field

    rule(
        personas.admin,
        name="Клиенты к рознице",
        field="status",
        value="client",
        effect="set_owner",
        owner=retail_manager,
    )
    in_bulk, untouched, picked = (
        CompanyFactory(owner=personas.manager_a, status="prospect") for _ in range(3)
    )
    # Nobody chose an owner: the rule's owner, in bulk and on the card alike.
    bulk_set_field(
        actor=personas.head,
        model=Company,
        ids_or_queryset=[in_bulk.pk],
        field="status",
        value="client",
    )
    in_bulk.refresh_from_db()
    untouched = company_update(
        actor=personas.head,
        company=untouched,
        version=untouched.version,
        values={"status": "client", "owner": personas.manager_a},  # the picker as it was
    )
    assert in_bulk.owner == untouched.owner == retail_manager
    # The owner picked in the same change wins, as a bulk change's chosen owner does.
    picked = company_update(
        actor=personas.head,
        company=picked,
        version=picked.version,
        values={"status": "client", "owner": personas.colleague_a},
    )
    assert picked.owner == personas.colleague_a


def test_contains_folds_case_and_yo_and_rules_chain_in_order(personas: Personas) -> None:
    custom_field_save(
        actor=personas.admin,
        field=None,
        entity="contacts",
        code="level",
        label="Уровень",
        type="choice",
        choices=["Золото", "Серебро"],
    )
    group_rule_save(
        actor=personas.admin,
        rule=None,
        values={
            "entity": "contacts",
            "name": "Ёлки",
            "field": "address",
            "operator": "contains",
            "value": "ЁЛОЧНАЯ",
            "effect": "add_tag",
            "tag": "Ёлочники",
        },
    )
    gold = group_rule_save(
        actor=personas.admin,
        rule=None,
        values={
            "entity": "contacts",
            "name": "Золото",
            "field": "custom_fields.level",
            "value": "золото",
            "effect": "add_tag",
            "tag": "VIP",
        },
    )
    group_rule_save(
        actor=personas.admin,
        rule=None,
        values={
            "entity": "contacts",
            "name": "VIP к руководителю",
            "field": "tag",
            "value": "vip",
            "effect": "set_owner",
            "owner": personas.teammate_a,
        },
    )
    contact = contact_create(
        actor=personas.manager_a,
        values={
            "last_name": "Ёлкин",
            "address": "Казань, ул. Елочная, 1",
            "custom_fields": {"level": "Золото"},
        },
    )
    assert tags_of(contact) == ["VIP", "Ёлочники"]
    assert contact.owner == personas.teammate_a
    assert len(created_entry(contact).changes["rules"][1]) == 3
    plain = contact_create(actor=personas.manager_a, values={"last_name": "Простов"})
    assert tags_of(plain) == [] and plain.owner == personas.manager_a
    assert gold.position == 1


def test_inactive_rules_and_inactive_owners_do_nothing(
    rules: tuple[GroupRule, GroupRule], personas: Personas, retail_manager: User
) -> None:
    volga, _retail = rules
    group_rule_save(actor=personas.admin, rule=volga, values={**_values(volga), "is_active": False})
    retail_manager.is_active = False
    retail_manager.save(update_fields=["is_active"])
    company = company_create(
        actor=personas.manager_a,
        values={"name": "ООО «Тишина»", "city": "Казань", "industry": "Розничная торговля"},
    )
    assert tags_of(company) == [] and company.owner == personas.manager_a


def _values(rule: GroupRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "field": rule.field,
        "operator": rule.operator,
        "value": rule.value,
        "effect": rule.effect,
        "tag": rule.tag,
        "owner": rule.owner,
        "is_active": rule.is_active,
    }


# --- Existing clients -----------------------------------------------------------------------------
def test_dry_run_counts_and_apply_to_existing(
    rules: tuple[GroupRule, GroupRule],
    personas: Personas,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    volga, _retail = rules
    kazan = [CompanyFactory(owner=personas.manager_b, city=city) for city in ("Казань", "КАЗАНЬ")]
    tagged = CompanyFactory(owner=personas.manager_a, city="казань")
    tagged.tags.add(Tag.objects.get(name="Поволжье"))
    CompanyFactory(owner=personas.manager_a, city="Москва")
    CompanyFactory(owner=personas.manager_a, city="Казань-2")
    assert rule_dry_run(volga) == {"matches": 3, "changes": 2}

    client.force_login(personas.admin)
    page = client.get(f"/settings/group-rules/{volga.pk}/").content.decode()
    assert "This rule matches 3 existing clients." in page
    assert "Applying it would change 2 of them." in page
    # The page starts a job (run after the commit) and shows its progress, then its result.
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/settings/group-rules/{volga.pk}/apply/")
    done = client.get(started.url)
    assert "The rule changed 2 clients." in done.content.decode()
    for company in kazan:
        company.refresh_from_db()
        assert tags_of(company) == ["Поволжье"] and company.version == 2
        entry = AuditEntry.objects.get(action="update", object_id=company.pk)
        assert entry.actor == personas.admin and entry.version == 2
        assert entry.changes["tags"] == [None, "Поволжье"]
        assert entry.changes["batch"] == [None, "Rule «Поволжье» applied to existing clients"]
    # One named bulk change: it can be undone in one step.
    batch = Batch.objects.get()
    assert batch.name == "Rule «Поволжье» applied to existing clients"
    assert batch.summary["changed"] == 2 and batch.actor == personas.admin
    assert rule_dry_run(volga) == {"matches": 3, "changes": 0}
    assert client.post(f"/settings/group-rules/{volga.pk}/apply/").status_code == 302
    assert AuditEntry.objects.filter(action="update", content_type__model="company").count() == 2


def test_apply_existing_owner_rule_moves_records(
    rules: tuple[GroupRule, GroupRule], personas: Personas, retail_manager: User
) -> None:
    from kartoteka.records.services.group_rules import group_rule_apply_existing

    _volga, retail = rules
    shops = CompanyFactory.create_batch(3, owner=personas.manager_a, industry="Розничная торговля")
    assert rule_dry_run(retail) == {"matches": 3, "changes": 3}
    with pytest.raises(ForbiddenError):
        group_rule_apply_existing(actor=personas.manager_a, rule=retail)
    assert rule_dry_run(retail)["changes"] == 3
    assert group_rule_apply_existing(actor=personas.admin, rule=retail) == 3
    from kartoteka.core.batches import batch_undo

    batch = Batch.objects.get()
    batch_undo(actor=personas.admin, batch=batch)
    assert {shop.owner for shop in Company.objects.filter(pk__in=[s.pk for s in shops])} == {
        personas.manager_a
    }
    assert group_rule_apply_existing(actor=personas.admin, rule=retail) == 3
    for shop in shops:
        shop.refresh_from_db()
        assert (shop.owner, shop.branch, shop.version) == (retail_manager, personas.branch_b, 4)


def test_dry_run_on_custom_and_tag_conditions(personas: Personas) -> None:
    custom_field_save(
        actor=personas.admin,
        field=None,
        entity="companies",
        code="staff",
        label="Сотрудников",
        type="number",
        choices=[],
    )
    big = rule(
        personas.admin,
        name="Крупные",
        field="custom_fields.staff",
        value="100",
        effect="add_tag",
        tag="Крупный",
    )
    CompanyFactory(owner=personas.manager_a, custom_fields={"staff": 100})
    CompanyFactory(owner=personas.manager_a, custom_fields={"staff": 10})
    assert rule_dry_run(big) == {"matches": 1, "changes": 1}
    by_tag = rule(
        personas.admin, name="По тегу", field="tag", value="крупный", effect="add_tag", tag="Важный"
    )
    assert rule_dry_run(by_tag)["matches"] == 0
    Company.objects.get(custom_fields__staff=100).tags.add(Tag.objects.get(name="Крупный"))
    assert rule_dry_run(by_tag) == {"matches": 1, "changes": 1}
    status = rule(
        personas.admin, name="Клиенты", field="status", value="Client", effect="add_tag", tag="К"
    )
    CompanyFactory(owner=personas.manager_a, status="client")
    assert rule_dry_run(status)["matches"] == 1


# --- Settings pages -------------------------------------------------------------------------------
def test_administrator_creates_edits_reorders_and_deletes_rules(
    personas: Personas, client: Client, retail_manager: User
) -> None:
    client.force_login(personas.admin)
    assert "Group rules" in client.get("/settings/").content.decode()
    form = client.get("/settings/group-rules/new/?entity=companies").content.decode()
    assert 'value="city"' in form and 'value="tag"' in form
    response = client.post(
        "/settings/group-rules/new/?entity=companies",
        {
            "name": "Поволжье",
            "field": "city",
            "operator": "equals",
            "value": "Казань",
            "effect": "add_tag",
            "tag": "Поволжье",
            "is_active": "on",
        },
    )
    volga = GroupRule.objects.get(name="Поволжье")
    assert response.status_code == 302
    assert (volga.entity, volga.tag.name if volga.tag else None) == ("companies", "Поволжье")
    created = AuditEntry.objects.get(content_type__model="grouprule", action="create")
    assert created.actor == personas.admin and created.changes["value"] == [None, "Казань"]

    missing = client.post(
        "/settings/group-rules/new/?entity=companies",
        {
            "name": "Без владельца",
            "field": "industry",
            "operator": "equals",
            "value": "Опт",
            "effect": "set_owner",
        },
    )
    assert missing.status_code == 422 and "owner" in missing.context["form"].errors

    retail = rule(
        personas.admin,
        name="Розница",
        field="industry",
        value="Розничная торговля",
        effect="set_owner",
        owner=retail_manager,
    )
    client.post(f"/settings/group-rules/{retail.pk}/move/", {"direction": "up"})
    names = list(GroupRule.objects.order_by("position").values_list("name", flat=True))
    assert names == ["Розница", "Поволжье"]
    listing = client.get("/settings/group-rules/").content.decode()
    assert listing.index("Розница") < listing.index("Поволжье")

    off = client.post(
        f"/settings/group-rules/{volga.pk}/",
        {
            "name": "Поволжье",
            "field": "city",
            "operator": "equals",
            "value": "Казань",
            "effect": "add_tag",
            "tag": "Поволжье",
        },
    )
    assert off.status_code == 302
    volga.refresh_from_db()
    assert volga.is_active is False
    changed = AuditEntry.objects.get(
        content_type__model="grouprule", action="update", object_id=volga.pk
    )
    assert changed.changes == {"is_active": [True, False]}

    client.post(f"/settings/group-rules/{volga.pk}/delete/")
    assert not GroupRule.objects.filter(pk=volga.pk).exists()
    assert AuditEntry.objects.filter(content_type__model="grouprule", action="purge").count() == 1


def test_rules_settings_are_closed_to_managers(
    rules: tuple[GroupRule, GroupRule], personas: Personas, client: Client
) -> None:
    volga, _retail = rules
    client.force_login(personas.manager_a)
    assert client.get("/settings/group-rules/").status_code == 404
    assert client.get(f"/settings/group-rules/{volga.pk}/").status_code == 404
    assert client.post(f"/settings/group-rules/{volga.pk}/apply/").status_code == 404
    assert client.post(f"/settings/group-rules/{volga.pk}/delete/").status_code == 404
    assert GroupRule.objects.count() == 2
    with pytest.raises(ForbiddenError):
        group_rule_save(actor=personas.manager_a, rule=volga, values={"is_active": False})


def test_unknown_fields_are_refused(personas: Personas) -> None:
    from kartoteka.core.errors import DomainError

    with pytest.raises(DomainError) as raised:
        rule(personas.admin, name="X", field="inn", value="1", effect="add_tag", tag="T")
    assert set(raised.value.fields) == {"field"}
    with pytest.raises(DomainError):
        rule(
            personas.admin,
            entity="contacts",
            name="X",
            field="city",
            value="1",
            effect="add_tag",
            tag="T",
        )
    assert GroupRule.objects.count() == 0
    assert ContactFactory


def test_date_and_boolean_custom_conditions_match_as_typed(personas: Personas) -> None:
    for code, kind in (("since", "date"), ("vip", "boolean")):
        custom_field_save(
            actor=personas.admin,
            field=None,
            entity="companies",
            code=code,
            label=code,
            type=kind,
            choices=[],
        )
    since = rule(
        personas.admin,
        name="С 2024",
        field="custom_fields.since",
        value="01.03.2024",
        effect="add_tag",
        tag="Старый",
    )
    vip = rule(
        personas.admin,
        name="VIP",
        field="custom_fields.vip",
        value="да",
        effect="add_tag",
        tag="VIP",
    )
    company = company_create(
        actor=personas.manager_a,
        values={"name": "ООО «Даты»", "custom_fields": {"since": "2024-03-01", "vip": "true"}},
    )
    assert tags_of(company) == ["VIP", "Старый"]
    other = company_create(
        actor=personas.manager_a,
        values={"name": "ООО «Нет»", "custom_fields": {"since": "2024-03-02", "vip": "нет"}},
    )
    assert tags_of(other) == []
    # The database agrees with the rule as applied in memory.
    assert rule_dry_run(since) == {"matches": 1, "changes": 0}
    assert rule_dry_run(vip) == {"matches": 1, "changes": 0}


# --- Every change path: bulk, merge, API ----------------------------------------------------------
def _bulk_entry(company: Company) -> AuditEntry:
    return AuditEntry.objects.filter(
        action="update", object_id=company.pk, content_type__model="company"
    ).latest("id")


def test_bulk_set_city_applies_the_rule_in_the_same_batch_and_undo_reverts_both(
    rules: Any, personas: Personas
) -> None:
    from kartoteka.core.batches import batch_undo
    from kartoteka.records.services.bulk import bulk_set_field

    moved = CompanyFactory.create_batch(3, owner=personas.manager_a, city="Москва")
    with translation.override("en"):
        batch = bulk_set_field(
            actor=personas.manager_a,
            model=Company,
            ids_or_queryset=[c.pk for c in moved],
            field="city",
            value="Казань",
        )
    volga = Tag.objects.get(name="Поволжье")
    for company in moved:
        company.refresh_from_db()
        assert company.city == "Казань" and tags_of(company) == ["Поволжье"]
        assert company.version == 2  # one change, one version: the rule is part of it
        entry = _bulk_entry(company)
        assert entry.actor == personas.manager_a and entry.version == 2
        assert entry.changes["city"] == ["Москва", "Казань"]
        assert entry.changes["tags"] == [None, "Поволжье"]
        assert entry.changes["rules"] == [None, ["rule «Поволжье» added the tag «Поволжье»"]]
        assert entry.changes["batch"] == [None, batch.name]
    assert set(batch.changes.values_list("field", flat=True)) == {"city", f"tags.{volga.pk}"}
    assert batch.summary["changed"] == 3

    batch_undo(actor=personas.manager_a, batch=batch)
    for company in moved:
        company.refresh_from_db()
        assert company.city == "Москва" and tags_of(company) == []


def test_bulk_changes_fire_only_rules_a_record_newly_matches(
    rules: Any, personas: Personas, retail_manager: User
) -> None:
    from kartoteka.records.services.bulk import bulk_set_field

    # Already in Kazan, the tag taken off by hand: a bulk change of another field keeps it off.
    kazan = CompanyFactory(owner=personas.manager_a, city="Казань", industry="Опт")
    # Already Kazan: setting Kazan again changes nothing, so no rule fires either.
    same = CompanyFactory(owner=personas.manager_a, city="Казань")
    bulk_set_field(
        actor=personas.manager_a,
        model=Company,
        ids_or_queryset=[kazan.pk],
        field="status",
        value="client",
    )
    batch = bulk_set_field(
        actor=personas.manager_a,
        model=Company,
        ids_or_queryset=[same.pk],
        field="city",
        value="Казань",
    )
    assert batch.summary["changed"] == 0
    for company in (kazan, same):
        company.refresh_from_db()
        assert tags_of(company) == [] and company.owner == personas.manager_a
    assert "rules" not in _bulk_entry(kazan).changes
    # An owner rule moves the record to the rule's owner and branch, undone with the batch.
    batch = bulk_set_field(
        actor=personas.manager_a,
        model=Company,
        ids_or_queryset=[kazan.pk],
        field="industry",
        value="Розничная торговля",
    )
    kazan.refresh_from_db()
    assert (kazan.owner, kazan.branch) == (retail_manager, personas.branch_b)
    entry = _bulk_entry(kazan)
    assert entry.changes["owner"] == [str(personas.manager_a), str(retail_manager)]
    assert entry.changes["branch"] == ["Москва", "Казань"]
    from kartoteka.core.batches import batch_undo

    # The manager cannot reach the record any more; their administrator undoes it.
    batch_undo(actor=personas.admin, batch=batch)
    kazan.refresh_from_db()
    assert (kazan.owner, kazan.branch, kazan.industry) == (
        personas.manager_a,
        personas.branch_a,
        "Опт",
    )


def test_bulk_tag_sets_off_a_tag_rule_and_rules_run_once_in_order(personas: Personas) -> None:
    from kartoteka.core.batches import batch_undo
    from kartoteka.records.services.bulk import bulk_tag

    # Two rules that would feed each other forever if effects set the rules off again.
    rule(
        personas.admin,
        name="Ключевой → VIP",
        field="tag",
        value="Ключевой",
        effect="add_tag",
        tag="VIP",
    )
    rule(
        personas.admin,
        name="VIP → ключевой",
        field="tag",
        value="VIP",
        effect="add_tag",
        tag="Ключевой",
    )
    rule(
        personas.admin,
        name="VIP к коллеге",
        field="tag",
        value="VIP",
        effect="set_owner",
        owner=personas.teammate_a,
    )
    companies = CompanyFactory.create_batch(2, owner=personas.manager_a)
    with translation.override("en"):
        batch = bulk_tag(
            actor=personas.manager_a, model=Company, ids=[c.pk for c in companies], tag="Ключевой"
        )
    for company in companies:
        company.refresh_from_db()
        assert tags_of(company) == ["VIP", "Ключевой"]
        assert company.owner == personas.teammate_a and company.version == 2
        entry = _bulk_entry(company)
        assert entry.changes["tags"] == [None, ["VIP", "Ключевой"]]
        assert entry.changes["rules"][1] == [
            "rule «Ключевой → VIP» added the tag «VIP»",
            f"rule «VIP к коллеге» made {personas.teammate_a} the owner",
        ]
    assert batch.summary["changed"] == 2
    batch_undo(actor=personas.manager_a, batch=batch)
    for company in companies:
        company.refresh_from_db()
        assert tags_of(company) == [] and company.owner == personas.manager_a


def test_bulk_rules_take_the_same_queries_whatever_the_number_of_records(
    rules: Any, personas: Personas
) -> None:
    from kartoteka.records.services.bulk import bulk_set_field

    def queries_for(count: int) -> int:
        ids = [c.pk for c in CompanyFactory.create_batch(count, owner=personas.manager_a)]
        with CaptureQueriesContext(connection) as captured:
            bulk_set_field(
                actor=personas.manager_a,
                model=Company,
                ids_or_queryset=ids,
                field="city",
                value="Казань",
            )
        assert Company.objects.filter(pk__in=ids, tags__name="Поволжье").count() == count
        return len(captured)

    queries_for(1)  # caches warmed (content types)
    assert queries_for(3) == queries_for(12)


def test_a_merged_survivor_gets_the_rules_it_newly_matches(rules: Any, personas: Personas) -> None:
    from kartoteka.clients.services.merge import company_merge

    survivor = CompanyFactory(owner=personas.manager_a, name="Волга", city="Москва")
    other = CompanyFactory(owner=personas.manager_a, name="Волга-2", city="Казань")
    with translation.override("en"):
        merged = company_merge(
            actor=personas.manager_a,
            survivor=survivor,
            other=other,
            version=survivor.version,
            other_version=other.version,
            choices={"city": "other"},
        )
    assert merged.city == "Казань" and tags_of(merged) == ["Поволжье"]
    entry = _bulk_entry(merged)
    assert entry.changes["city"] == ["Москва", "Казань"]
    assert entry.changes["tags"] == [[], ["Поволжье"]]
    assert entry.changes["rules"] == [None, ["rule «Поволжье» added the tag «Поволжье»"]]
    assert "merged_with" in entry.changes


def test_api_patch_applies_the_rules(rules: Any, personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a, city="Москва")
    response = api(personas.manager_a).patch(
        f"/api/v1/companies/{company.pk}/",
        {"city": "Казань", "version": company.version},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["tags"] == ["Поволжье"]
    company.refresh_from_db()
    assert tags_of(company) == ["Поволжье"] and company.version == 2
    assert "rules" in _bulk_entry(company).changes


def test_merge_page_says_where_a_rule_sent_the_survivor(
    rules: Any, personas: Personas, retail_manager: User, client: Client
) -> None:
    survivor = CompanyFactory(owner=personas.manager_a, name="Лавка", industry="")
    other = CompanyFactory(owner=personas.manager_a, name="Лавка-2", industry="Розничная торговля")
    client.force_login(personas.manager_a)
    response = client.post(
        f"/companies/{survivor.pk}/merge/{other.pk}/",
        {"version": survivor.version, "other_version": other.version},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/companies/"
    assert f"A group rule gave “Лавка” to {retail_manager}." in response.content.decode()
    survivor.refresh_from_db()
    assert (survivor.owner, survivor.industry) == (retail_manager, "Розничная торговля")


def test_applying_a_rule_to_existing_clients_sets_off_the_rules_after_it(
    rules: tuple[GroupRule, GroupRule], personas: Personas
) -> None:
    from kartoteka.core.batches import batch_undo
    from kartoteka.records.services.group_rules import group_rule_apply_existing

    volga, _retail = rules
    rule(
        personas.admin,
        name="Поволжье к коллеге",
        field="tag",
        value="Поволжье",
        effect="set_owner",
        owner=personas.teammate_a,
    )
    kazan = CompanyFactory(owner=personas.manager_a, city="Казань")
    assert group_rule_apply_existing(actor=personas.admin, rule=volga) == 1
    kazan.refresh_from_db()
    assert tags_of(kazan) == ["Поволжье"] and kazan.owner == personas.teammate_a
    assert kazan.version == 2
    batch_undo(actor=personas.admin, batch=Batch.objects.get())
    kazan.refresh_from_db()
    assert tags_of(kazan) == [] and kazan.owner == personas.manager_a
