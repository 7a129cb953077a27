"""A page's sign-in: the session's user comes with their branch and grants in one statement;
sessions from before the backend was ours stay signed in; a deactivated user is signed out."""

from __future__ import annotations

from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.accounts.backends import FORMER_BACKEND
from tests.conftest import Personas
from tests.factories.accounts import PASSWORD


def test_a_page_reads_the_user_their_branch_and_grants_in_one_statement(
    client: Client, personas: Personas
) -> None:
    client.post("/login/", {"username": "manager_a", "password": PASSWORD})

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/contacts/")

    assert page.status_code == 200
    # The header names the user's branch, the sidebar shows what the grants allow.
    assert f"{personas.manager_a} · {personas.branch_a}" in page.content.decode()
    assert 'href="/contacts/' in page.content.decode()
    statements = [query["sql"] for query in queries.captured_queries]
    grants = [sql for sql in statements if "accounts_rolegrant" in sql]
    assert len(grants) == 1, grants
    assert "accounts_branch" in grants[0] and "accounts_user" in grants[0]
    lone_branch = [sql for sql in statements if '"accounts_branch"."id" = ' in sql]
    assert not lone_branch, lone_branch


def test_a_session_signed_in_through_the_former_backend_stays_signed_in(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.manager_a)
    session = client.session
    session[BACKEND_SESSION_KEY] = FORMER_BACKEND
    session.save()

    page = client.get("/contacts/")

    assert page.status_code == 200
    assert str(personas.manager_a) in page.content.decode()
    assert client.session[BACKEND_SESSION_KEY] != FORMER_BACKEND
    assert client.get("/contacts/").status_code == 200


def test_a_deactivated_user_is_signed_out_on_the_next_page(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.manager_a)
    assert client.get("/contacts/").status_code == 200

    personas.manager_a.is_active = False
    personas.manager_a.save(update_fields=["is_active"])

    page = client.get("/contacts/")
    assert page.status_code == 302 and page["Location"].startswith("/login/")


def test_a_session_naming_no_valid_user_is_signed_out_not_an_error(
    client: Client, personas: Personas
) -> None:
    from django.contrib.auth import SESSION_KEY

    for garbage in (str(2**70), "-5", "0"):  # (a non-number fails in Django before any backend)
        client.force_login(personas.manager_a)
        session = client.session
        session[SESSION_KEY] = garbage
        session.save()
        page = client.get("/contacts/")
        assert page.status_code == 302 and page["Location"].startswith("/login/"), garbage
