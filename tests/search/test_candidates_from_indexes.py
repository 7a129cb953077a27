"""PostgreSQL: someone who sees every record gets their search candidates from the indexes
(sequential scans priced out for those statements only); the setting never outlives them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.core.search.indexing import sources
from tests.conftest import Personas
from tests.factories.clients import ContactFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]


def _seq_scan() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        return str(cursor.fetchone()[0])


@pytest.mark.parametrize(("persona", "steered"), [("admin", True), ("manager_a", False)])
def test_search_candidates_without_sequential_scans_and_nothing_left_behind(
    persona: str, steered: bool, personas: Personas, api: Any
) -> None:
    ContactFactory(owner=personas.manager_a, last_name="Доронина")
    caller = api(getattr(personas, persona))

    with CaptureQueriesContext(connection) as queries:
        found = caller.get("/api/v1/search/", {"q": "Дорони"}).json()

    assert [hit["title"].split()[0] for hit in found["contacts"]] == ["Доронина"]
    statements = [query["sql"] for query in queries]
    switched = [sql for sql in statements if "set_config('enable_seqscan', 'off'" in sql]
    # Once per kind of record searched (companies, contacts...), for those who see them all.
    assert len(switched) == (len(list(sources())) if steered else 0), switched
    # The ranking statement runs between the switch and the setting put back.
    if steered:
        first = statements.index(switched[-1])
        assert any("core_searchdocument" in sql for sql in statements[first:])
    assert _seq_scan() == "on"
