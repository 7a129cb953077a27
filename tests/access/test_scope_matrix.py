"""The access table as a matrix: every built-in role × action × sample record.

Expected cells are written out by hand from the role descriptions in the README, not derived
from the code, so a change to a built-in role or to the scoping rule shows up here.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from kartoteka.accounts.models import Role, RoleGrant, User
from kartoteka.clients.models import Company, Contact
from kartoteka.core import access, kinds
from kartoteka.core.models import RecordShare
from tests.factories.clients import CompanyFactory, ContactFactory

RECORDS = ("own", "team", "branch", "other_branch")
ALL = set(RECORDS)
BRANCH_A = {"own", "team", "branch"}
OWN = {"own"}
NONE: set[str] = set()

# persona -> action -> records visible for that action.
# "own" = owned by manager_a; "team" = by teammate_a (same team); "branch" = by colleague_a
# (same branch, other team); "other_branch" = by manager_b in Kazan.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "admin": dict.fromkeys(access.ACTIONS, ALL),
    "head": dict.fromkeys(access.ACTIONS, ALL),
    "branch_head_a": dict.fromkeys(access.ACTIONS, BRANCH_A),
    "manager_a": {
        "view": OWN,
        "create": OWN,
        "edit": OWN,
        "delete": OWN,
        "export": OWN,
        "assign": NONE,
    },
    "service_a": {
        "view": BRANCH_A,
        "create": NONE,
        "edit": BRANCH_A,
        "delete": NONE,
        "export": NONE,
        "assign": NONE,
    },
    "marketer": {
        "view": ALL,
        "create": NONE,
        "edit": NONE,
        "delete": NONE,
        "export": ALL,
        "assign": NONE,
    },
    "auditor": {
        "view": ALL,
        "create": NONE,
        "edit": NONE,
        "delete": NONE,
        "export": NONE,
        "assign": NONE,
    },
    "outsider": dict.fromkeys(access.ACTIONS, NONE),
}
# "create" is about placing new records, checked separately below; as a filter it is unused.
MATRIX_ACTIONS = ("view", "edit", "delete", "export", "assign")


def _samples(personas: Any, factory: Any) -> dict[str, Any]:
    return {
        "own": factory(owner=personas.manager_a, branch=personas.branch_a),
        "team": factory(owner=personas.teammate_a, branch=personas.branch_a),
        "branch": factory(owner=personas.colleague_a, branch=personas.branch_a),
        "other_branch": factory(owner=personas.manager_b, branch=personas.branch_b),
    }


@pytest.mark.parametrize(
    "model,factory",
    [(Company, CompanyFactory), (Contact, ContactFactory)],
    ids=["companies", "contacts"],
)
@pytest.mark.parametrize("persona", sorted(EXPECTED))
@pytest.mark.parametrize("action", MATRIX_ACTIONS)
def test_role_scope_matrix(
    personas: Any, model: Any, factory: Any, persona: str, action: str
) -> None:
    # Given four records placed at every distance from manager_a
    records = _samples(personas, factory)
    user = getattr(personas, persona)
    # When the list filter and the object check are asked
    listed = set(access.scoped(model.objects.all(), user, action).values_list("pk", flat=True))
    listed_names = {name for name, obj in records.items() if obj.pk in listed}
    checked_names = {name for name, obj in records.items() if access.can(user, action, obj)}
    # Then both agree with the table
    assert listed_names == EXPECTED[persona][action]
    assert checked_names == EXPECTED[persona][action]


@pytest.mark.parametrize(
    "persona,owner,branch,allowed",
    [
        ("manager_a", "manager_a", "branch_a", True),
        ("manager_a", "colleague_a", "branch_a", False),
        ("manager_a", "manager_b", "branch_b", False),
        ("branch_head_a", "colleague_a", "branch_a", True),
        ("branch_head_a", "manager_b", "branch_b", False),
        ("head", "manager_b", "branch_b", True),
        ("service_a", "service_a", "branch_a", True),
        ("service_a", "colleague_a", "branch_a", False),
        ("marketer", "marketer", "branch_a", False),
        ("auditor", "auditor", "branch_a", False),
    ],
)
def test_create_places_records_only_within_scope(
    personas: Any, persona: str, owner: str, branch: str, allowed: bool
) -> None:
    user = getattr(personas, persona)
    assert (
        access.can_place(
            user,
            Company,
            "create",
            owner_id=getattr(personas, owner).pk,
            branch_id=getattr(personas, branch).pk,
        )
        is allowed
    )


def test_team_scope_covers_teammates_only(personas: Any) -> None:
    # Given a custom role that sees its team's clients
    role = Role.objects.create(code="team_lead", name="Team lead")
    RoleGrant.objects.create(role=role, entity="companies", action="view", scope="team")
    personas.outsider.roles.set([role])
    personas.team_a.members.add(personas.outsider)
    records = _samples(personas, CompanyFactory)
    # When the outsider (now in manager_a's team) lists companies
    visible = set(
        access.scoped(Company.objects.all(), personas.outsider).values_list("pk", flat=True)
    )
    # Then the team's records are visible and the rest are not
    assert visible == {records["own"].pk, records["team"].pk}


def test_roles_of_several_kinds_add_up(personas: Any) -> None:
    personas.manager_a.roles.add(Role.objects.get(code="service_agent"))
    records = _samples(personas, CompanyFactory)
    visible = set(
        access.scoped(Company.objects.all(), personas.manager_a).values_list("pk", flat=True)
    )
    assert visible == {records[name].pk for name in BRANCH_A}


def test_role_change_applies_on_next_request(personas: Any, api: Any) -> None:
    records = _samples(personas, CompanyFactory)
    client = api(personas.manager_a)
    assert client.get(f"/api/v1/companies/{records['branch'].pk}/").status_code == 404
    # The administrator makes the manager a branch head: the same token sees the branch at once.
    personas.manager_a.roles.set([Role.objects.get(code="branch_head")])
    assert client.get(f"/api/v1/companies/{records['branch'].pk}/").status_code == 200


def test_deactivated_user_sees_nothing_and_token_stops(personas: Any, api: Any) -> None:
    records = _samples(personas, CompanyFactory)
    client = api(personas.manager_a)
    assert client.get(f"/api/v1/companies/{records['own'].pk}/").status_code == 200
    personas.manager_a.is_active = False
    personas.manager_a.save()
    assert client.get(f"/api/v1/companies/{records['own'].pk}/").status_code == 401


# Beyond record kinds (companies, contacts...), each built-in role holds exactly these cells
# (README's table).
PEOPLE_AND_SETTINGS: dict[str, dict[tuple[str, str], str]] = {
    "administrator": {
        **{("users", a): "all" for a in ("view", "create", "edit", "assign")},
        **{(e, a): "all" for e in ("roles", "branches") for a in ("view", "create", "edit")},
        **{(e, a): "all" for e in ("settings", "trash", "batches") for a in ("view", "edit")},
        ("audit", "view"): "all",
    },
    "head_of_sales": {
        ("users", "view"): "all",
        ("batches", "view"): "all",
        ("batches", "edit"): "all",
    },
    "branch_head": {
        ("users", "view"): "branch",
        ("batches", "view"): "own",
        ("batches", "edit"): "own",
    },
    "sales_manager": {
        ("users", "view"): "own",
        ("batches", "view"): "own",
        ("batches", "edit"): "own",
    },
    "service_agent": {
        ("users", "view"): "own",
        ("batches", "view"): "own",
        ("batches", "edit"): "own",
    },
    "marketer": {("users", "view"): "own"},
    "auditor": {
        (e, "view"): "all"
        for e in ("users", "roles", "branches", "settings", "audit", "trash", "batches")
    },
}


@pytest.mark.parametrize("code", sorted(PEOPLE_AND_SETTINGS))
def test_builtin_roles_people_and_settings_cells(db: Any, code: str) -> None:
    held = {
        (g.entity, g.action): g.scope
        for g in RoleGrant.objects.filter(role__code=code).exclude(
            entity__in=[kind.entity for kind in kinds.record_kinds()]
        )
    }
    assert held == PEOPLE_AND_SETTINGS[code]


def test_the_rules_alternatives_admit_exactly_what_it_admits(personas: Any) -> None:
    """``access.alternatives`` (the rule as separate conditions, a card's Prev/Next asks each)
    admits together exactly the records :func:`access.scoped` does, for every persona."""
    owners = [personas.manager_a, personas.teammate_a, personas.colleague_a, personas.manager_b]
    companies = [CompanyFactory(owner=owner) for owner in owners for _ in range(2)]
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Company),
        object_id=companies[-1].pk,
        branch=personas.branch_a,
        created_by=personas.manager_b,
    )
    for user in vars(personas).values():
        if not isinstance(user, User):
            continue
        parts = access.alternatives(user, Company)
        expected = set(access.scoped(Company.objects.all(), user).values_list("pk", flat=True))
        found = Company.objects.filter(reduce(or_, parts)) if parts else Company.objects.none()
        admitted = set(found.values_list("pk", flat=True))
        assert admitted == expected, user.username
