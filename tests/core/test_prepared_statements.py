"""On PostgreSQL the sign-in statements every request starts with (and a page's session), a
caller-ID lookup and the one write path's statements are planned once per connection; lists and
searches, whose plans depend on their values, are not; a prepared statement still shows in
query logs with its values."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.accounts.models import Branch
from tests.conftest import Personas
from tests.factories.clients import ContactFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared plans"),
]


def _prepared(reading: str) -> dict[str, int]:
    """Each statement of this connection's prepared ones reading ``reading``, by its text:
    its runs so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            [f"%{reading}%"],
        )
        return dict(cursor.fetchall())


def _prepared_sign_ins() -> dict[str, int]:
    return _prepared("accounts_rolegrant")


def test_api_calls_and_pages_reuse_one_prepared_sign_in_each(
    api: Any, client: Client, personas: Personas
) -> None:
    caller = api(personas.manager_a)
    client.force_login(personas.manager_b)
    assert caller.get("/api/v1/users/me/").status_code == 200
    assert client.get("/contacts/").status_code == 200
    first = _prepared_sign_ins()
    sessions = _prepared('FROM "django_session"')
    # One for a token, one for a session: one statement each, however many requests follow.
    assert len(first) == 2, first
    assert any("accounts_apitoken" in sql for sql in first)

    for _ in range(3):
        assert caller.get("/api/v1/users/me/").status_code == 200
        assert client.get("/contacts/").status_code == 200

    again = _prepared_sign_ins()
    assert again.keys() == first.keys()
    assert all(again[sql] == first[sql] + 3 for sql in first), (first, again)
    # The page's session is read by its key the same way, once per page.
    assert len(sessions) == 1, sessions
    assert _prepared('FROM "django_session"') == {sql: runs + 3 for sql, runs in sessions.items()}


def test_a_prepared_sign_in_is_logged_with_its_values(api: Any, personas: Personas) -> None:
    caller = api(personas.manager_a)

    with CaptureQueriesContext(connection) as queries:
        me = caller.get("/api/v1/users/me/")

    assert me.json()["username"] == "manager_a"
    sign_in = [query["sql"] for query in queries if "accounts_rolegrant" in query["sql"]]
    assert len(sign_in) == 1
    assert "%s" not in sign_in[0] and "$1" not in sign_in[0]
    assert "t.key_hash = '" in sign_in[0]


def test_caller_id_lookups_share_one_prepared_statement_and_lists_are_planned_each_time(
    api: Any, personas: Personas
) -> None:
    numbers = ["+79161234567", "+79031112233", "+79265550011"]
    for number in numbers:
        ContactFactory(owner=personas.manager_a, phone=number, last_name=f"Звонящий{number[-2:]}")
    caller = api(personas.manager_a)

    for number in numbers:
        found = caller.get("/api/v1/contacts/", {"phone": "8" + number[2:]}).json()["results"]
        assert [row["last_name"] for row in found] == [f"Звонящий{number[-2:]}"]
    assert caller.get("/api/v1/contacts/", {"q": "Звонящий"}).status_code == 200
    assert caller.get("/api/v1/contacts/", {"q": "Звонящий", "phone": "89161234567"}).json()[
        "results"
    ]
    assert caller.get("/api/v1/contacts/").status_code == 200

    lists = _prepared("clients_contact")
    # One statement for the three numbers, run three times; the search and the list unprepared.
    assert list(lists.values()) == [3], lists
    assert "clients_contactphone" in next(iter(lists))


def test_writes_through_the_one_write_path_are_prepared_once(api: Any, personas: Personas) -> None:
    caller = api(personas.manager_a)
    for number in ("1", "2", "3"):
        created = caller.post(
            "/api/v1/contacts/",
            {"last_name": f"Новиков{number}", "phones": [{"number": f"+7916000000{number}"}]},
            format="json",
        )
        assert created.status_code == 201, created.content

    inserts = _prepared('INSERT INTO "clients_contact"')
    documents = _prepared('INSERT INTO "core_searchdocument"')
    assert list(inserts.values()) == [3], inserts
    assert list(documents.values()) == [3], documents
    found = caller.get("/api/v1/contacts/", {"q": "Новиков2"}).json()["results"]
    assert [row["phones"][0]["number"] for row in found] == ["+79160000002"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_column_migrated_by_another_process_does_not_break_the_prepared_sign_in(
    api: Any, personas: Personas
) -> None:
    caller = api(personas.manager_a)
    assert caller.get("/api/v1/users/me/").status_code == 200  # prepared on this connection
    table = connection.ops.quote_name(Branch._meta.db_table)
    length = Branch._meta.get_field("city").max_length
    assert length is not None
    # Another node's `kartoteka migrate`, while this one serves: the city the sign-in reads
    # changes its type under the statement prepared here.
    other = psycopg.connect(_dsn(), autocommit=True)
    try:
        other.execute(f"ALTER TABLE {table} ALTER COLUMN city TYPE varchar({length + 1})")
        for _ in range(2):
            me = caller.get("/api/v1/users/me/")
            assert me.status_code == 200
            assert me.json()["username"] == "manager_a"
    finally:
        other.execute(f"ALTER TABLE {table} ALTER COLUMN city TYPE varchar({length})")
        other.close()


def _dsn() -> str:
    params = connection.get_connection_params()
    keep = ("dbname", "host", "port", "user", "password")
    return " ".join(f"{key}={params[key]}" for key in keep if params.get(key))
