"""Shared fixtures: personas in two branches, API clients, and guards for real services."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from huey.contrib.djhuey import HUEY
from rest_framework.test import APIClient

from kartoteka.accounts.models import Branch, Team, User
from kartoteka.accounts.services import token_create
from tests import transactional_reset
from tests.factories.accounts import PASSWORD, BranchFactory, TeamFactory, UserFactory

transactional_reset.install()


def require_in_ci(reason: str) -> None:
    """Skip loudly outside CI; inside CI a missing service is a failure, never a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(f"SKIPPED (not in CI): {reason}")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 is deliberately slow; tests that are not about hashing use a fast hasher.
    # tests/accounts/test_login.py checks that production hashing is Argon2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _nothing_kept_between_tests() -> Any:
    # Counts past the list's limit are kept in the cache for a minute (core/pagination.py);
    # each test's database starts anew, so must the cache.
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _jobs_run_inline() -> Any:
    HUEY.immediate = True
    yield
    HUEY.immediate = False


@dataclass
class Personas:
    """Moscow (A) and Kazan (B) offices with people in every built-in role.

    manager_a and teammate_a share a team; colleague_a works in branch A in no team with them.
    """

    branch_a: Branch
    branch_b: Branch
    team_a: Team
    admin: User
    head: User
    branch_head_a: User
    manager_a: User
    teammate_a: User
    colleague_a: User
    service_a: User
    marketer: User
    auditor: User
    manager_b: User
    outsider: User  # active, but with no role at all


#: every signed-in persona's name, in the order :class:`Personas` lists them
SIGNED_IN = (
    "admin",
    "head",
    "branch_head_a",
    "manager_a",
    "teammate_a",
    "colleague_a",
    "service_a",
    "marketer",
    "auditor",
    "manager_b",
    "outsider",
)


@pytest.fixture
def personas(db: Any) -> Personas:
    branch_a = BranchFactory(name="Москва")
    branch_b = BranchFactory(name="Казань")
    team_a = TeamFactory(name="Продажи Москва", branch=branch_a)

    def make(username: str, branch: Branch, role: str | None, **extra: Any) -> User:
        return UserFactory(username=username, branch=branch, roles=[role] if role else [], **extra)

    people = Personas(
        branch_a=branch_a,
        branch_b=branch_b,
        team_a=team_a,
        admin=make("admin", branch_a, "administrator"),
        head=make("head", branch_a, "head_of_sales"),
        branch_head_a=make("branchhead", branch_a, "branch_head"),
        manager_a=make("manager_a", branch_a, "sales_manager"),
        teammate_a=make("teammate_a", branch_a, "sales_manager"),
        colleague_a=make("colleague_a", branch_a, "sales_manager"),
        service_a=make("service_a", branch_a, "service_agent"),
        marketer=make("marketer", branch_a, "marketer"),
        auditor=make("auditor", branch_a, "auditor"),
        manager_b=make("manager_b", branch_b, "sales_manager"),
        outsider=make("outsider", branch_a, None),
    )
    team_a.members.set([people.manager_a, people.teammate_a])
    return people


@pytest.fixture
def login(client: Client) -> Any:
    def do(user: User) -> Client:
        client.force_login(user)
        return client

    return do


@pytest.fixture
def api() -> Any:
    """An API client authenticated the way programs are: with a Bearer token."""

    def make(user: User) -> APIClient:
        api_client = APIClient()
        api_client.credentials(
            HTTP_AUTHORIZATION="Bearer " + token_create(actor=None, user=user, name="test")
        )
        return api_client

    return make


__all__ = ["PASSWORD", "Personas", "require_in_ci"]


#: the embedded database's file in a data folder (settings: ``DATA_DIR / "kartoteka.sqlite3"``)
EMBEDDED_DB = "kartoteka.sqlite3"


@pytest.fixture(scope="session")
def migrated_embedded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated embedded database file, made once a run by the real ``migrate``.

    Tests that start real processes copy it into their own data folder: migrating from nothing
    takes about six seconds, a copy a millisecond.
    """
    data_dir = tmp_path_factory.mktemp("migrated-template")
    # The tests' settings: their apps are a superset of the product's, so the copy serves both.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KARTOTEKA_")}
    env["KARTOTEKA_DATA_DIR"] = str(data_dir)
    subprocess.run(
        [sys.executable, "-m", "kartoteka.cli", "migrate", "--verbosity", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return data_dir / EMBEDDED_DB


def copy_migrated(template: Path, data_dir: Path) -> None:
    """Put a copy of the migrated embedded database into ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, data_dir / EMBEDDED_DB)
