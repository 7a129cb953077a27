"""Bulk changes on the company and contact lists: services, scoping, the bulk bar and handover."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company, Contact
from kartoteka.clients.services.companies import company_update
from kartoteka.core.batches import batch_undo
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.models import AuditEntry, Batch
from kartoteka.records.models import CustomField
from kartoteka.records.services.bulk import (
    bulk_preview,
    bulk_reassign,
    bulk_set_field,
    bulk_tag,
    bulk_trash,
)
from tests.conftest import Personas
from tests.factories.accounts import UserFactory
from tests.factories.clients import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    # Batch names are written in the actor's language; these tests read the English ones.
    with translation.override("en"):
        yield


def departing(personas: Personas) -> User:
    user: User = UserFactory(
        username="petrov",
        first_name="Пётр",
        last_name="Петров",
        branch=personas.branch_a,
        roles=["sales_manager"],
    )
    return user


# --- Services -------------------------------------------------------------------------------------
def test_a_departing_managers_clients_go_to_two_colleagues_evenly(personas: Personas) -> None:
    leaving = departing(personas)
    ids = [c.pk for c in CompanyFactory.create_batch(7, owner=leaving)]
    ivanova = UserFactory(
        username="ivanova", first_name="Анна", last_name="Иванова", branch=personas.branch_a
    )
    sokolov = UserFactory(
        username="sokolov", first_name="Олег", last_name="Соколов", branch=personas.branch_b
    )

    batch = bulk_reassign(
        actor=personas.head,
        model=Company,
        ids_or_queryset=Company.objects.filter(owner=leaving),
        to_owners=[ivanova, sokolov],
    )

    owners = dict(Company.objects.filter(pk__in=ids).values_list("pk", "owner__username"))
    assert [owners[pk] for pk in ids] == ["ivanova", "sokolov"] * 3 + ["ivanova"]
    assert set(Company.objects.filter(owner=sokolov).values_list("branch", flat=True)) == {
        personas.branch_b.pk
    }
    assert batch.name == "Handover of companies: Пётр Петров → Анна Иванова, Олег Соколов"
    assert batch.summary == {
        "changed": 7,
        "skipped_forbidden": 0,
        "skipped_unchanged": 0,
        "records": {"clients.company": 7},
    }
    assert AuditEntry.objects.filter(object_id__in=ids, action="update").count() == 7


def test_a_branch_head_cannot_reassign_another_branchs_records(personas: Personas) -> None:
    ours = CompanyFactory(owner=personas.manager_a)
    theirs = CompanyFactory(owner=personas.manager_b)

    batch = bulk_reassign(
        actor=personas.branch_head_a,
        model=Company,
        ids_or_queryset=[ours.pk, theirs.pk],
        to_owners=[personas.colleague_a],
    )

    assert batch.summary["changed"] == 1 and batch.summary["skipped_forbidden"] == 1
    theirs.refresh_from_db()
    assert theirs.owner == personas.manager_b and theirs.version == 1
    assert not AuditEntry.objects.filter(object_id=theirs.pk, action="update").exists()
    assert not batch.changes.filter(object_id=theirs.pk).exists()
    ours.refresh_from_db()
    assert ours.owner == personas.colleague_a


def test_a_manager_without_assign_is_refused_and_nothing_changes(personas: Personas) -> None:
    mine = CompanyFactory(owner=personas.manager_a)

    with pytest.raises(ForbiddenError):
        bulk_reassign(
            actor=personas.manager_a,
            model=Company,
            ids_or_queryset=[mine.pk],
            to_owners=[personas.teammate_a],
        )

    mine.refresh_from_db()
    assert mine.owner == personas.manager_a and mine.version == 1
    assert Batch.objects.count() == 0


def test_preview_counts_equal_the_real_counts(personas: Personas) -> None:
    client_already = CompanyFactory(owner=personas.manager_a, status="client")
    prospects = CompanyFactory.create_batch(3, owner=personas.manager_a)
    hidden = CompanyFactory(owner=personas.manager_b)
    ids = [client_already.pk, hidden.pk, *[c.pk for c in prospects]]

    preview = bulk_preview(
        actor=personas.manager_a, model=Company, ids_or_queryset=ids, field="status", value="client"
    )
    assert (preview.changed, preview.skipped_forbidden, preview.skipped_unchanged) == (3, 1, 1)
    assert Company.objects.filter(status="client").count() == 1  # the preview changed nothing
    assert Batch.objects.count() == 0

    batch = bulk_set_field(
        actor=personas.manager_a, model=Company, ids_or_queryset=ids, field="status", value="client"
    )

    assert batch.summary["changed"] == preview.changed
    assert batch.summary["skipped_forbidden"] == preview.skipped_forbidden
    assert batch.summary["skipped_unchanged"] == preview.skipped_unchanged
    assert batch.name == "Status = client (3 records)"
    hidden.refresh_from_db()
    assert hidden.status == "prospect"


def test_a_status_can_be_typed_as_people_read_it(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)

    bulk_set_field(
        actor=personas.manager_a,
        model=Company,
        ids_or_queryset=[company.pk],
        field="status",
        value="Former client",
    )

    company.refresh_from_db()
    assert company.status == "former"


@pytest.mark.parametrize(
    ("field", "value", "bad"),
    [
        ("name", "ООО «Все»", "field"),  # not a field for a global replace
        ("status", "partner", "value"),
        ("custom_fields.nope", "1", "field"),
    ],
)
def test_bad_fields_and_values_are_refused_before_anything_changes(
    personas: Personas, field: str, value: str, bad: str
) -> None:
    company = CompanyFactory(owner=personas.manager_a)

    with pytest.raises(DomainError) as raised:
        bulk_set_field(
            actor=personas.manager_a,
            model=Company,
            ids_or_queryset=[company.pk],
            field=field,
            value=value,
        )

    assert bad in raised.value.fields
    company.refresh_from_db()
    assert company.version == 1 and Batch.objects.count() == 0


def test_contact_address_and_custom_fields_are_set(personas: Personas) -> None:
    CustomField.objects.create(
        entity="contacts", code="vip", label="VIP", type="boolean", choices=[]
    )
    people = ContactFactory.create_batch(2, owner=personas.manager_a)
    ids = [p.pk for p in people]

    bulk_set_field(
        actor=personas.manager_a,
        model=Contact,
        ids_or_queryset=ids,
        field="address",
        value="Казань, ул. Баумана, 1",
    )
    batch = bulk_set_field(
        actor=personas.manager_a,
        model=Contact,
        ids_or_queryset=ids,
        field="custom_fields.vip",
        value="yes",
    )

    assert batch.name == "VIP = yes (2 records)"
    for person in Contact.objects.filter(pk__in=ids):
        assert person.address == "Казань, ул. Баумана, 1"
        assert person.custom_fields == {"vip": True}


def test_tags_are_added_and_removed(personas: Personas) -> None:
    people = ContactFactory.create_batch(3, owner=personas.manager_a)
    ids = [p.pk for p in people]

    bulk_tag(actor=personas.manager_a, model=Contact, ids=ids, tag="Поволжье")
    batch = bulk_tag(
        actor=personas.manager_a, model=Contact, ids=ids[:2], tag="Поволжье", add=False
    )

    assert batch.name == "Tag “Поволжье” removed (2 records)"
    tagged = [p.pk for p in Contact.objects.filter(tags__name="Поволжье")]
    assert tagged == [ids[2]]
    entry = AuditEntry.objects.filter(object_id=ids[0]).order_by("-id").first()
    assert entry is not None and entry.changes["tags"] == ["Поволжье", None]


def test_undo_restores_and_a_record_edited_after_the_batch_is_reported_and_kept(
    personas: Personas,
) -> None:
    companies = CompanyFactory.create_batch(4, owner=personas.manager_a, city="Москва")
    ids = [c.pk for c in companies]
    batch = bulk_set_field(
        actor=personas.manager_a, model=Company, ids_or_queryset=ids, field="city", value="Тверь"
    )
    edited = Company.objects.get(pk=ids[1])
    company_update(
        actor=personas.manager_a, company=edited, version=edited.version, values={"city": "Тула"}
    )

    result = batch_undo(actor=personas.manager_a, batch=batch)

    assert (result.restored, result.kept) == (3, 1)
    cities = dict(Company.objects.filter(pk__in=ids).values_list("pk", "city"))
    assert [cities[pk] for pk in ids] == ["Москва", "Тула", "Москва", "Москва"]
    with pytest.raises(DomainError):
        batch_undo(actor=personas.manager_a, batch=batch)


def test_trash_batch_undo_brings_contacts_back(personas: Personas) -> None:
    people = ContactFactory.create_batch(2, owner=personas.manager_a)
    ids = [p.pk for p in people]

    batch = bulk_trash(actor=personas.manager_a, model=Contact, ids=ids)
    assert Contact.objects.filter(pk__in=ids).count() == 0

    batch_undo(actor=personas.manager_a, batch=batch)
    assert Contact.objects.filter(pk__in=ids).count() == 2


# --- The bulk bar ---------------------------------------------------------------------------------
def test_list_has_checkboxes_and_the_bulk_bar(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)

    page = client.get("/companies/").content.decode()

    assert f'name="ids" value="{company.pk}" form="bulk-form"' in page
    assert 'name="all_on_page"' in page and 'id="bulk-form"' in page
    assert 'value="trash"' in page
    assert 'value="reassign"' not in page  # a manager may not assign


def test_ticked_rows_are_reassigned_and_the_list_offers_undo(
    client: Client, personas: Personas
) -> None:
    mine, other = CompanyFactory.create_batch(2, owner=personas.manager_a)
    client.force_login(personas.branch_head_a)

    response = client.post(
        "/companies/bulk/",
        {"action": "reassign", "ids": [mine.pk], "to_owner": personas.colleague_a.pk, "query": ""},
    )

    assert response.status_code == 302 and response["Location"] == "/companies/"
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.owner == personas.colleague_a and other.owner == personas.manager_a
    page = client.get("/companies/").content.decode()
    batch = Batch.objects.get()
    assert batch.name in page.replace("&gt;", ">").replace("&rarr;", "→")
    assert f'action="/settings/batches/{batch.pk}/undo/"' in page
    assert 'id="batch-done"' not in client.get("/companies/").content.decode()  # once


def test_all_on_page_takes_the_page_ids(client: Client, personas: Personas) -> None:
    companies = CompanyFactory.create_batch(3, owner=personas.manager_a)
    client.force_login(personas.manager_a)

    client.post(
        "/companies/bulk/",
        {
            "action": "tag",
            "tag": "VIP",
            "all_on_page": "1",
            "page_ids": ",".join(str(c.pk) for c in companies),
        },
    )

    assert Company.objects.filter(tags__name="VIP").count() == 3


def test_all_matching_the_filter_is_recomputed_on_the_server_within_scope(
    client: Client, personas: Personas
) -> None:
    in_kazan = CompanyFactory.create_batch(2, owner=personas.manager_a, city="Казань")
    elsewhere = CompanyFactory(owner=personas.manager_a, city="Тверь")
    not_mine = CompanyFactory(owner=personas.manager_b, city="Казань")
    client.force_login(personas.manager_a)

    response = client.post(
        "/companies/bulk/",
        {
            "action": "set_field",
            "scope": "filter",
            "query": "city=Казань",
            "field": "status",
            "value": "client",
            "ids": [not_mine.pk, elsewhere.pk],  # ignored: the filter decides
        },
    )

    assert response.status_code == 302
    assert unquote(response["Location"]) == "/companies/?city=Казань"  # back to the same list
    assert {c.pk for c in Company.objects.filter(status="client")} == {c.pk for c in in_kazan}


def test_a_one_page_list_counts_itself_in_the_bulk_bar(client: Client, personas: Personas) -> None:
    CompanyFactory.create_batch(3, owner=personas.manager_a, city="Казань")
    client.force_login(personas.manager_a)

    page = client.get("/companies/?city=Казань").content.decode()

    assert "all 3 records matching the filter" in page
    assert "data-bulk-total" not in page  # nothing left to ask for


def test_a_longer_list_is_counted_when_all_matching_is_picked_within_scope(
    client: Client, personas: Personas
) -> None:
    CompanyFactory.create_batch(53, owner=personas.manager_a, city="Казань")
    CompanyFactory.create_batch(4, owner=personas.manager_b, city="Казань")  # out of scope
    client.force_login(personas.manager_a)

    page = client.get("/companies/?city=Казань").content.decode()

    assert "all records matching the filter" in page  # no number: the page did not count
    count_url = page.split('data-bulk-total="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert unquote(count_url) == "/companies/bulk/count/?city=Казань"
    answer = client.get(count_url)
    assert answer.status_code == 200
    assert answer.content.decode().strip() == "all 53 records matching the filter"


def test_change_field_shows_a_preview_first(client: Client, personas: Personas) -> None:
    companies = CompanyFactory.create_batch(2, owner=personas.manager_a)
    theirs = CompanyFactory(owner=personas.manager_b)
    client.force_login(personas.manager_a)
    ids = [c.pk for c in companies] + [theirs.pk]

    response = client.post(
        "/companies/bulk/", {"action": "preview", "ids": ids, "field": "city", "value": "Тверь"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "2 records will change" in page and "1 skipped" in page
    assert "1 you may not edit" in page
    assert not Company.objects.filter(city="Тверь").exists()


def test_a_bulk_form_without_a_choice_answers_422_with_the_error_beside_the_field(
    client: Client, personas: Personas
) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)

    response = client.post("/companies/bulk/", {"action": "tag", "ids": [company.pk], "tag": ""})

    assert response.status_code == 422
    assert response.context["form"].errors["tag"]
    assert Batch.objects.count() == 0


def test_a_manager_posting_a_reassign_gets_403_and_nothing_changes(
    client: Client, personas: Personas
) -> None:
    mine = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)

    response = client.post(
        "/companies/bulk/",
        {"action": "reassign", "ids": [mine.pk], "to_owner": personas.manager_a.pk},
    )

    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.version == 1 and Batch.objects.count() == 0


# --- Handover and the list of batches -------------------------------------------------------------
def test_handover_page_hands_everything_to_colleagues_in_one_step(
    client: Client, personas: Personas
) -> None:
    leaving = departing(personas)
    CompanyFactory.create_batch(2, owner=leaving)
    ContactFactory.create_batch(2, owner=leaving)
    # Their open work goes too: tasks they are to do (activities stay with their author).
    from kartoteka.activities.models import Task

    Task.objects.create(owner=leaving, author=leaving, branch=leaving.branch, title="Перезвонить")
    client.force_login(personas.admin)
    page = client.get(f"/settings/users/{leaving.pk}/handover/")
    assert page.status_code == 200
    card_file = [(k.entity, n) for k, n in page.context["counts"] if k.entity != "gadgets"]
    assert card_file == [("companies", 2), ("contacts", 2), ("tasks", 1), ("events", 0)]
    assert (
        f'href="/settings/users/{leaving.pk}/handover/"'
        in client.get(f"/settings/users/{leaving.pk}/").content.decode()
    )

    response = client.post(
        f"/settings/users/{leaving.pk}/handover/",
        {"to_owners": [personas.colleague_a.pk, personas.teammate_a.pk]},
    )

    assert response.status_code == 302
    assert Company.objects.filter(owner=leaving).count() == 0
    assert Contact.objects.filter(owner=personas.colleague_a).count() == 1
    assert Contact.objects.filter(owner=personas.teammate_a).count() == 1
    assert not Task.objects.filter(owner=leaving).exists()
    assert Batch.objects.get().kind == "handover"


def test_a_branch_head_hands_over_only_their_branchs_records(
    client: Client, personas: Personas
) -> None:
    leaving = departing(personas)
    ours = CompanyFactory(owner=leaving)
    # An odd record: owned by the leaver but filed in another branch, out of the head's reach.
    elsewhere = CompanyFactory(owner=leaving, branch=personas.branch_b)
    client.force_login(personas.branch_head_a)

    response = client.post(
        f"/settings/users/{leaving.pk}/handover/", {"to_owners": [personas.colleague_a.pk]}
    )

    assert response.status_code == 302
    ours.refresh_from_db()
    elsewhere.refresh_from_db()
    assert ours.owner == personas.colleague_a
    assert elsewhere.owner == leaving and elsewhere.version == 1


@pytest.mark.parametrize("persona", ["manager_a", "service_a", "marketer", "auditor"])
def test_handover_page_is_closed_to_those_without_assign(
    client: Client, personas: Personas, persona: str
) -> None:
    company = CompanyFactory(owner=personas.teammate_a)
    client.force_login(getattr(personas, persona))

    url = f"/settings/users/{personas.teammate_a.pk}/handover/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"to_owners": [personas.manager_a.pk]}).status_code == 404
    company.refresh_from_db()
    assert company.owner == personas.teammate_a and Batch.objects.count() == 0


def test_batches_page_shows_ones_own_and_an_administrator_sees_all(
    client: Client, personas: Personas
) -> None:
    mine = CompanyFactory(owner=personas.manager_a)
    theirs = CompanyFactory(owner=personas.manager_b)
    bulk_tag(actor=personas.manager_a, model=Company, ids=[mine.pk], tag="Моё")
    bulk_tag(actor=personas.manager_b, model=Company, ids=[theirs.pk], tag="Секрет Казани")

    client.force_login(personas.manager_a)
    own_page = client.get("/settings/batches/").content.decode()
    client.force_login(personas.admin)
    admin_page = client.get("/settings/batches/").content.decode()

    assert "Моё" in own_page and "Секрет Казани" not in own_page
    assert "Моё" in admin_page and "Секрет Казани" in admin_page


def test_undo_button_undoes_once_and_someone_elses_batch_is_not_found(
    client: Client, personas: Personas
) -> None:
    mine = CompanyFactory(owner=personas.manager_a)
    batch = bulk_set_field(
        actor=personas.manager_a,
        model=Company,
        ids_or_queryset=[mine.pk],
        field="city",
        value="Тверь",
    )
    client.force_login(personas.teammate_a)
    assert client.post(f"/settings/batches/{batch.pk}/undo/").status_code == 404
    mine.refresh_from_db()
    assert mine.city == "Тверь"

    client.force_login(personas.manager_a)
    first = client.post(f"/settings/batches/{batch.pk}/undo/", follow=True)
    second = client.post(f"/settings/batches/{batch.pk}/undo/", follow=True)

    assert "Undone: City = Тверь (1 record)." in first.content.decode()
    assert "already been undone" in second.content.decode()
    mine.refresh_from_db()
    assert mine.city == ""


# --- Bounded queries ------------------------------------------------------------------------------
def _count(callable_: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured.captured_queries)


def test_bulk_post_queries_do_not_grow_with_the_number_of_records(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.head)

    def run(rows: int) -> int:
        ids = [c.pk for c in CompanyFactory.create_batch(rows, owner=personas.manager_a)]
        data = {"action": "reassign", "ids": ids, "to_owner": personas.colleague_a.pk}
        return _count(lambda: client.post("/companies/bulk/", data))

    run(1)  # warm per-process caches
    small, large = run(10), run(200)
    assert large == small, f"{small} queries for 10 records, {large} for 200"


def test_handover_page_queries_do_not_grow_with_what_the_person_owns(
    client: Client, personas: Personas
) -> None:
    leaving = departing(personas)
    client.force_login(personas.admin)
    url = f"/settings/users/{leaving.pk}/handover/"
    CompanyFactory.create_batch(10, owner=leaving)
    client.get(url)
    small = _count(lambda: client.get(url))
    CompanyFactory.create_batch(190, owner=leaving)
    ContactFactory.create_batch(50, owner=leaving)
    large = _count(lambda: client.get(url))
    assert large == small


def test_batches_page_queries_do_not_grow_with_the_number_of_batches(
    client: Client, personas: Personas
) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.admin)

    def make(count: int) -> None:
        for number in range(count):
            bulk_tag(actor=personas.admin, model=Company, ids=[company.pk], tag=f"T{number}")

    make(10)
    client.get("/settings/batches/")
    small = _count(lambda: client.get("/settings/batches/"))
    make(40)
    large = _count(lambda: client.get("/settings/batches/"))
    assert large == small
