"""Sharing: only owners and assigners share, a share never gives more than the recipient's role,
and the share form offers only the people, teams and branches the sharer may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kartoteka.accounts.models import Team
from kartoteka.clients.models import Company
from kartoteka.core import access
from kartoteka.core.errors import DomainError, ForbiddenError
from kartoteka.core.models import AuditEntry, RecordShare
from kartoteka.records.sharing import share_create, shares_of
from tests.conftest import Personas
from tests.factories.accounts import TeamFactory
from tests.factories.clients import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_until_friday(personas: Personas) -> tuple[Company, RecordShare]:
    """manager_b's Kazan company shared with manager_a until a few days from now (by the head of
    sales: a sales manager may pick only themself, their team or their branch)."""
    company = CompanyFactory(owner=personas.manager_b, name="ООО «Казанское»")
    share = share_create(
        actor=personas.head,
        obj=company,
        user=personas.manager_a,
        until=timezone.localdate() + timedelta(days=3),
    )
    return company, share


def _shares(company: Company) -> list[tuple[Any, Any, Any, Any]]:
    return sorted(
        shares_of(company).values_list("user_id", "team_id", "branch_id", "until"),
        key=str,
    )


# --- 2. recipients neither extend, forward nor remove a share ---------------------------------


def test_a_recipient_cannot_share_the_record_to_themself_without_an_end_date(
    personas: Personas, shared_until_friday: tuple[Company, RecordShare], client: Client
) -> None:
    company, _share = shared_until_friday
    before = _shares(company)
    with pytest.raises(ForbiddenError):
        share_create(actor=personas.manager_a, obj=company, user=personas.manager_a)
    client.force_login(personas.manager_a)
    response = client.post(f"/companies/{company.pk}/share/", {"user": personas.manager_a.pk})
    assert response.status_code == 403
    assert _shares(company) == before


def test_a_recipient_cannot_forward_the_record_to_their_branch_or_team(
    personas: Personas, shared_until_friday: tuple[Company, RecordShare], client: Client
) -> None:
    company, _share = shared_until_friday
    before = _shares(company)
    with pytest.raises(ForbiddenError):
        share_create(actor=personas.manager_a, obj=company, branch=personas.branch_a)
    with pytest.raises(ForbiddenError):
        share_create(actor=personas.manager_a, obj=company, team=personas.team_a)
    client.force_login(personas.manager_a)
    for target in ({"branch": personas.branch_a.pk}, {"team": personas.team_a.pk}):
        response = client.post(f"/companies/{company.pk}/share/", target)
        assert response.status_code == 403
    assert _shares(company) == before
    assert not access.can(personas.colleague_a, "view", company)
    assert not AuditEntry.objects.filter(object_id=company.pk, actor=personas.manager_a).exists()


def test_a_recipient_cannot_remove_the_owners_share(
    personas: Personas, shared_until_friday: tuple[Company, RecordShare], client: Client
) -> None:
    from kartoteka.records.sharing import share_remove

    company, share = shared_until_friday
    with pytest.raises(ForbiddenError):
        share_remove(actor=personas.manager_a, obj=company, share_id=share.pk)
    client.force_login(personas.manager_a)
    response = client.post(f"/companies/{company.pk}/share/{share.pk}/remove/")
    assert response.status_code == 403
    assert RecordShare.objects.filter(pk=share.pk).exists()


def test_the_card_offers_sharing_only_to_those_who_may_share(
    personas: Personas, shared_until_friday: tuple[Company, RecordShare], client: Client
) -> None:
    company, share = shared_until_friday
    client.force_login(personas.manager_a)  # the recipient: sees the record and its shares
    page = client.get(f"/companies/{company.pk}/", {"tab": "sharing"}).content.decode()
    assert f'action="/companies/{company.pk}/share/' not in page  # no form, no remove buttons
    assert str(personas.manager_a) in page  # the share itself is listed
    client.force_login(personas.manager_b)  # the owner: shares and removes
    page = client.get(f"/companies/{company.pk}/", {"tab": "sharing"}).content.decode()
    assert f"/companies/{company.pk}/share/{share.pk}/remove/" in page
    assert f'action="/companies/{company.pk}/share/"' in page


def test_owners_and_assigners_share_and_remove(personas: Personas, client: Client) -> None:
    mine = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)  # the owner
    response = client.post(f"/companies/{mine.pk}/share/", {"team": personas.team_a.pk})
    assert response.status_code == 302
    assert _shares(mine) == [(None, personas.team_a.pk, None, None)]
    colleagues = CompanyFactory(owner=personas.colleague_a)
    client.force_login(personas.branch_head_a)  # may assign the branch's records
    response = client.post(f"/companies/{colleagues.pk}/share/", {"user": personas.manager_a.pk})
    assert response.status_code == 302
    share = shares_of(colleagues).get()
    client.post(f"/companies/{colleagues.pk}/share/{share.pk}/remove/")
    assert not shares_of(colleagues).exists()
    # A service agent edits the branch's records but owns and assigns none of these.
    with pytest.raises(ForbiddenError):
        share_create(actor=personas.service_a, obj=colleagues, user=personas.service_a)


# --- 3. a share gives at most what the recipient's role gives ----------------------------------


def test_read_only_roles_only_read_what_is_shared_with_their_branch(
    personas: Personas, client: Client, api: Any
) -> None:
    company = CompanyFactory(owner=personas.manager_b, name="ООО «Казань-Сервис»", city="Казань")
    share_create(actor=personas.admin, obj=company, branch=personas.branch_a)
    for reader in (personas.auditor, personas.marketer):
        assert access.can(reader, "view", company)
        assert not access.can(reader, "edit", company)
        editable = access.scoped(Company.objects.all(), reader, "edit")
        assert not editable.filter(pk=company.pk).exists()
        response = api(reader).patch(
            f"/api/v1/companies/{company.pk}/",
            {"city": "Взломано", "version": company.version},
            format="json",
        )
        assert response.status_code in (403, 404), response.content
        client.force_login(reader)
        assert client.get(f"/companies/{company.pk}/edit/").status_code in (403, 404)
        response = client.post(
            f"/companies/{company.pk}/edit/",
            {"name": "Взломано", "city": "Взломано", "version": company.version},
        )
        assert response.status_code in (403, 404)
    company.refresh_from_db()
    assert (company.name, company.city, company.version) == ("ООО «Казань-Сервис»", "Казань", 1)
    # manager_a's role edits their own records, so the share lets them edit this one.
    response = api(personas.manager_a).patch(
        f"/api/v1/companies/{company.pk}/", {"city": "Москва", "version": 1}, format="json"
    )
    assert response.status_code == 200, response.content
    company.refresh_from_db()
    assert company.city == "Москва"


def test_a_share_gives_nothing_to_a_role_without_grants(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_b)
    share_create(actor=personas.admin, obj=company, user=personas.outsider)
    assert not access.can(personas.outsider, "view", company)
    assert not access.scoped(Company.objects.all(), personas.outsider).exists()


# --- 4. the share form offers only whom the sharer may see --------------------------------------


def test_the_share_form_lists_only_people_teams_and_branches_the_sharer_may_see(
    personas: Personas, client: Client
) -> None:
    TeamFactory(name="Продажи Казань", branch=personas.branch_b)
    mine = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)
    page = client.get(f"/companies/{mine.pk}/", {"tab": "sharing"}).content.decode()
    form = page.split(f'action="/companies/{mine.pk}/share/"', 1)[1].split("</form>", 1)[0]
    for hidden in ("Казань", str(personas.manager_b), str(personas.colleague_a)):
        assert hidden not in form, hidden
    assert "Москва" in form and "Продажи Москва" in form
    # Someone who sees every user is offered everyone.
    client.force_login(personas.head)
    page = client.get(f"/companies/{mine.pk}/", {"tab": "sharing"}).content.decode()
    form = page.split(f'action="/companies/{mine.pk}/share/"', 1)[1].split("</form>", 1)[0]
    assert "Казань" in form and "Продажи Казань" in form


def test_a_crafted_share_naming_someone_unseen_is_refused(
    personas: Personas, client: Client
) -> None:
    mine = CompanyFactory(owner=personas.manager_a)
    kazan_team = TeamFactory(name="Продажи Казань", branch=personas.branch_b)
    client.force_login(personas.manager_a)
    for target in (
        {"user": personas.manager_b.pk},
        {"user": personas.colleague_a.pk},
        {"team": kazan_team.pk},
        {"branch": personas.branch_b.pk},
    ):
        response = client.post(f"/companies/{mine.pk}/share/", target, follow=True)
        assert response.status_code == 422  # the card again, the error beside the field
    assert not shares_of(mine).exists()
    for target in (
        {"user": personas.manager_b},
        {"team": kazan_team},
        {"branch": personas.branch_b},
    ):
        with pytest.raises(DomainError) as refused:
            share_create(actor=personas.manager_a, obj=mine, **target)
        assert set(refused.value.fields) == set(target)
    assert not shares_of(mine).exists()


def test_share_targets_follow_the_users_view_scope(personas: Personas) -> None:
    from kartoteka.records.sharing import share_targets

    kazan_team = TeamFactory(name="Продажи Казань", branch=personas.branch_b)
    other_moscow = TeamFactory(name="Сервис Москва", branch=personas.branch_a)

    def targets(user: Any) -> tuple[set[int], set[int], set[int]]:
        users, teams, branches = share_targets(user)
        return (
            set(users.values_list("pk", flat=True)),
            set(teams.values_list("pk", flat=True)),
            set(branches.values_list("pk", flat=True)),
        )

    users, teams, branches = targets(personas.manager_a)
    assert users == set()  # sees only themself, and sharing with oneself means nothing
    assert teams == {personas.team_a.pk}
    assert branches == {personas.branch_a.pk}
    users, teams, branches = targets(personas.branch_head_a)
    assert personas.manager_b.pk not in users and personas.colleague_a.pk in users
    assert personas.branch_head_a.pk not in users
    assert teams == {personas.team_a.pk, other_moscow.pk}
    assert branches == {personas.branch_a.pk}
    users, teams, branches = targets(personas.head)
    assert personas.manager_b.pk in users
    assert teams == set(Team.objects.values_list("pk", flat=True))
    assert kazan_team.pk in teams and personas.branch_b.pk in branches


def test_the_card_names_only_recipients_the_reader_may_see(
    personas: Personas, client: Client
) -> None:
    mine = CompanyFactory(owner=personas.manager_a)
    share_create(actor=personas.head, obj=mine, user=personas.manager_b)
    client.force_login(personas.manager_a)  # sees only themself
    page = client.get(f"/companies/{mine.pk}/", {"tab": "sharing"}).content.decode()
    panel = page.split('id="sharing"', 1)[1]
    assert str(personas.manager_b) not in panel and "a user of Казань" in panel
    client.force_login(personas.head)
    page = client.get(f"/companies/{mine.pk}/", {"tab": "sharing"}).content.decode()
    assert str(personas.manager_b) in page.split('id="sharing"', 1)[1]


def test_sharing_again_with_the_same_target_replaces_its_end_date(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    until = timezone.localdate() + timedelta(days=7)
    share_create(actor=personas.manager_a, obj=company, team=personas.team_a, until=until)
    share_create(actor=personas.manager_a, obj=company, team=personas.team_a)

    assert [(s.team_id, s.until) for s in shares_of(company)] == [(personas.team_a.pk, None)]


def test_the_history_names_a_recipient_only_to_those_who_may_see_them(
    personas: Personas, client: Client
) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «История»")
    share_create(actor=personas.head, obj=company, user=personas.manager_b)
    shared = str(personas.manager_b)

    client.force_login(personas.manager_a)  # sees only themself among people
    history = client.get(f"/companies/{company.pk}/timeline/").content.decode()
    client.force_login(personas.admin)
    seen_by_admin = client.get(f"/companies/{company.pk}/timeline/").content.decode()

    assert shared not in history
    assert shared in seen_by_admin
