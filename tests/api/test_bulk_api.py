"""Bulk endpoints: reassign / set_field / tag / untag / trash, preview, batches and their undo."""

from __future__ import annotations

from typing import Any

import pytest

from kartoteka.clients.models import Company, Contact
from kartoteka.core.models import Batch
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def test_reassign_by_ids_spreads_evenly_and_answers_the_batch(personas: Personas, api: Any) -> None:
    ids = [c.pk for c in CompanyFactory.create_batch(4, owner=personas.manager_a)]

    response = api(personas.head).post(
        "/api/v1/companies/bulk/",
        {
            "action": "reassign",
            "ids": ids,
            "to_owners": [personas.colleague_a.pk, personas.teammate_a.pk],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "reassign" and body["changed"] == 4
    assert body["skipped_forbidden"] == 0 and body["records"] == {"clients.company": 4}
    owners = dict(Company.objects.filter(pk__in=ids).values_list("pk", "owner"))
    assert [owners[pk] for pk in ids] == [personas.colleague_a.pk, personas.teammate_a.pk] * 2


def test_set_field_over_a_filter_with_preview_first(personas: Personas, api: Any) -> None:
    CompanyFactory.create_batch(3, owner=personas.manager_a, city="Казань")
    CompanyFactory(owner=personas.manager_a, city="Тверь")
    CompanyFactory(owner=personas.manager_b, city="Казань")
    client = api(personas.manager_a)
    request = {
        "action": "set_field",
        "filter": {"city": "Казань"},
        "field": "status",
        "value": "client",
    }

    preview = client.post("/api/v1/companies/bulk/", {**request, "preview": True}, format="json")
    assert preview.status_code == 200
    assert preview.json() == {"changed": 3, "skipped_forbidden": 0, "skipped_unchanged": 0}
    assert Batch.objects.count() == 0

    done = client.post("/api/v1/companies/bulk/", request, format="json")
    assert done.status_code == 201 and done.json()["changed"] == 3
    assert Company.objects.filter(status="client").count() == 3
    assert Company.objects.get(owner=personas.manager_b).status == "prospect"


def test_ids_out_of_scope_are_skipped_not_changed(personas: Personas, api: Any) -> None:
    mine = ContactFactory(owner=personas.manager_a)
    theirs = ContactFactory(owner=personas.manager_b)

    response = api(personas.manager_a).post(
        "/api/v1/contacts/bulk/",
        {"action": "tag", "ids": [mine.pk, theirs.pk, 999_999], "tag": "VIP"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["changed"] == 1 and response.json()["skipped_forbidden"] == 2
    assert list(Contact.objects.get(pk=theirs.pk).tags.all()) == []


@pytest.mark.parametrize("action", ["reassign", "trash"])
def test_a_role_without_the_grant_gets_403_in_the_error_format(
    personas: Personas, api: Any, action: str
) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    actor = personas.manager_a if action == "reassign" else personas.service_a

    response = api(actor).post(
        "/api/v1/companies/bulk/",
        {"action": action, "ids": [company.pk], "to_owners": [personas.teammate_a.pk]},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    company.refresh_from_db()
    assert company.version == 1 and company.deleted_at is None
    assert Batch.objects.count() == 0


def test_bad_requests_name_the_field(personas: Personas, api: Any) -> None:
    client = api(personas.manager_a)
    company = CompanyFactory(owner=personas.manager_a)

    neither = client.post("/api/v1/companies/bulk/", {"action": "trash"}, format="json")
    bad_value = client.post(
        "/api/v1/companies/bulk/",
        {"action": "set_field", "ids": [company.pk], "field": "status", "value": "partner"},
        format="json",
    )

    assert neither.status_code == 400 and "ids" in neither.json()["error"]["fields"]
    assert bad_value.status_code == 400
    assert bad_value.json()["error"]["fields"]["value"]


def test_batches_list_is_scoped_and_undo_works_once(personas: Personas, api: Any) -> None:
    ids = [c.pk for c in CompanyFactory.create_batch(2, owner=personas.manager_a)]
    client = api(personas.manager_a)
    created = client.post(
        "/api/v1/companies/bulk/", {"action": "trash", "ids": ids}, format="json"
    ).json()
    api(personas.manager_b).post(
        "/api/v1/companies/bulk/",
        {"action": "trash", "ids": [CompanyFactory(owner=personas.manager_b).pk]},
        format="json",
    )

    listed = client.get("/api/v1/batches/").json()["results"]
    assert [batch["id"] for batch in listed] == [created["id"]]
    assert len(api(personas.admin).get("/api/v1/batches/").json()["results"]) == 2
    assert api(personas.manager_b).post(f"/api/v1/batches/{created['id']}/undo/").status_code == 404

    undone = client.post(f"/api/v1/batches/{created['id']}/undo/")
    again = client.post(f"/api/v1/batches/{created['id']}/undo/")

    assert undone.status_code == 200
    assert undone.json()["restored"] == 2 and undone.json()["kept"] == 0
    assert undone.json()["batch"]["undone_at"] is not None
    assert Company.objects.filter(pk__in=ids).count() == 2
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_undone"
