"""Who may merge: merging sends the other record to the trash, so it takes the right to delete
that record and to edit the survivor, on every path (service, merge screen, API).

A record out of reach answers 404 as if missing; a record the user sees and edits but may not
delete answers 403 with the reason.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from kartoteka.clients.models import Company, CompanyPhone
from kartoteka.clients.services.merge import company_merge
from kartoteka.core.errors import ForbiddenError
from kartoteka.core.models import AuditEntry, RecordShare
from kartoteka.records.sharing import share_create, shares_of
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

pytestmark = pytest.mark.django_db


def _state(*companies: Company) -> list[tuple[Any, ...]]:
    """What a merge would change: the rows themselves, their phones, their shares."""
    rows = Company.all_objects.filter(pk__in=[c.pk for c in companies]).order_by("pk")
    return [
        (
            row.pk,
            row.name,
            row.version,
            row.deleted_at,
            sorted(CompanyPhone.objects.filter(company=row).values_list("number", flat=True)),
            sorted(shares_of(row).values_list("user_id", "team_id", "branch_id")),
        )
        for row in rows
    ]


def _refused_everywhere(
    actor: Any, survivor: Company, other: Company, client: Client, api: Any
) -> None:
    before = _state(survivor, other)
    with pytest.raises(ForbiddenError) as refused, translation.override("en"):
        company_merge(
            actor=actor,
            survivor=survivor,
            other=other,
            version=survivor.version,
            other_version=other.version,
        )
    assert "trash" in refused.value.message or "shared" in refused.value.message
    client.force_login(actor)
    url = f"/companies/{survivor.pk}/merge/{other.pk}/"
    screen = client.get(url)
    assert screen.status_code == 403
    text = screen.content.decode()
    assert "trash" in text or "shared" in text  # the page says why, not just "not allowed"
    versions = {"version": survivor.version, "other_version": other.version}
    assert client.post(url, versions).status_code == 403
    response = api(actor).post(
        f"/api/v1/companies/{survivor.pk}/merge/", {"other": other.pk, **versions}, format="json"
    )
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "forbidden"
    assert _state(survivor, other) == before
    assert not AuditEntry.objects.filter(action="delete").exists()


def test_a_service_agent_may_not_merge_away_what_they_may_not_delete(
    personas: Personas, client: Client, api: Any
) -> None:
    # The branch's records: service_a sees and edits them, but deletes nothing.
    first = CompanyFactory(owner=personas.colleague_a, name="ООО «Ромашка»")
    second = CompanyFactory(owner=personas.colleague_a, name="Ромашка")
    _refused_everywhere(personas.service_a, first, second, client, api)


def test_a_share_recipient_may_not_merge_the_shared_record_away(
    personas: Personas, client: Client, api: Any
) -> None:
    shared = CompanyFactory(owner=personas.manager_b, name="ООО «Казанская»")
    share_create(actor=personas.head, obj=shared, user=personas.manager_a)  # view and edit
    mine = CompanyFactory(owner=personas.manager_a, name="Казанская")
    _refused_everywhere(personas.manager_a, mine, shared, client, api)


def test_a_recipient_may_not_pass_their_own_shares_on_to_a_shared_record(
    personas: Personas, client: Client, api: Any
) -> None:
    # manager_a may merge their own record into one shared with them (they edit the survivor and
    # delete their own), but not hand their own record's shares on to a record they only borrow.
    shared = CompanyFactory(owner=personas.manager_b, name="ООО «Казанская»")
    share_create(actor=personas.head, obj=shared, user=personas.manager_a)
    mine = CompanyFactory(owner=personas.manager_a, name="Казанская")
    share_create(actor=personas.manager_a, obj=mine, team=personas.team_a)
    _refused_everywhere(personas.manager_a, shared, mine, client, api)
    assert not RecordShare.objects.filter(object_id=shared.pk, team=personas.team_a).exists()


def test_a_manager_merges_their_own_records(personas: Personas, client: Client, api: Any) -> None:
    first = CompanyFactory(owner=personas.manager_a, name="ООО «Ромашка»")
    second = CompanyFactory(owner=personas.manager_a, name="Ромашка")
    share_create(actor=personas.manager_a, obj=second, team=personas.team_a)
    merged = company_merge(
        actor=personas.manager_a, survivor=first, other=second, version=1, other_version=1
    )
    assert merged.pk == first.pk
    assert Company.all_objects.get(pk=second.pk).deleted_at is not None
    assert shares_of(first).get().team == personas.team_a  # the owner passes the share on
    third = CompanyFactory(owner=personas.manager_a, name="Ромашка-3")
    client.force_login(personas.manager_a)
    url = f"/companies/{first.pk}/merge/{third.pk}/"
    assert client.get(url).status_code == 200
    merged.refresh_from_db()
    response = client.post(url, {"version": merged.version, "other_version": 1})
    assert response.status_code == 302
    assert Company.all_objects.get(pk=third.pk).deleted_at is not None
    fourth = CompanyFactory(owner=personas.manager_a, name="Ромашка-4")
    merged.refresh_from_db()
    response = api(personas.manager_a).post(
        f"/api/v1/companies/{first.pk}/merge/",
        {"other": fourth.pk, "version": merged.version, "other_version": 1},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Company.all_objects.get(pk=fourth.pk).deleted_at is not None


def test_the_merge_screen_offers_only_the_direction_the_user_may_merge(
    personas: Personas, client: Client
) -> None:
    shared = CompanyFactory(owner=personas.manager_b, name="ООО «Казанская»")
    share_create(actor=personas.head, obj=shared, user=personas.manager_a)
    mine = CompanyFactory(owner=personas.manager_a, name="Казанская")
    client.force_login(personas.manager_a)
    page = client.get(f"/companies/{shared.pk}/merge/{mine.pk}/")
    assert page.status_code == 200  # mine goes to the trash: allowed
    assert f"/companies/{mine.pk}/merge/{shared.pk}/" not in page.content.decode()  # no swap
    client.force_login(personas.head)
    page = client.get(f"/companies/{shared.pk}/merge/{mine.pk}/").content.decode()
    assert f"/companies/{mine.pk}/merge/{shared.pk}/" in page


def test_the_duplicates_page_offers_no_merge_to_a_role_that_deletes_nothing(
    personas: Personas, client: Client
) -> None:
    CompanyFactory(owner=personas.colleague_a, name="ООО «Ромашка»", inn="7707083893")
    CompanyFactory(owner=personas.colleague_a, name="Ромашка", inn="7707083893")
    client.force_login(personas.branch_head_a)
    page = client.get("/duplicates/?kind=companies&reason=inn").content.decode()
    assert "/merge/" in page
    client.force_login(personas.service_a)
    page = client.get("/duplicates/?kind=companies&reason=inn").content.decode()
    assert "7707083893" in page and "/merge/" not in page
