"""After a rebuild the search indexes are left in one piece: on SQLite each FTS5 table is a
single segment, so the writes that follow merge only their own few pages (at a million contacts
FTS5 went on merging a rebuild's segments inside later creates: one in thirty took 25-55 ms)."""

from __future__ import annotations

import pytest
from django.db import connection

from kartoteka.clients.models import Company
from kartoteka.clients.services.companies import company_update
from kartoteka.core import search
from kartoteka.core.search import indexes
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="FTS5 segments are SQLite's (PostgreSQL: GIN)"
)


def _mergeable_pages(kind: str) -> int:
    """What merging every segment of ``kind``'s table into one would change (1: nothing)."""
    table = indexes.fts_table(kind)
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT probe")
        before = connection.connection.total_changes
        cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('merge', -100000)")
        changes = connection.connection.total_changes - before
        cursor.execute("ROLLBACK TO probe")
        cursor.execute("RELEASE probe")
    return int(changes)


def test_a_rebuild_leaves_each_full_text_table_one_segment(personas: Personas) -> None:
    companies = [CompanyFactory(owner=personas.admin, name=f"Ромашка {n}") for n in range(6)]
    for number, company in enumerate(companies):
        # Each change rewrites a document already written: FTS5 starts a new segment.
        company_update(
            actor=personas.admin,
            company=Company.objects.get(pk=company.pk),
            version=company.version,
            values={"name": f"Василёк {number}"},
        )
    assert _mergeable_pages("company") > 1

    search.rebuild()

    assert _mergeable_pages("company") == 1
    assert _mergeable_pages("contact") == 1
    found = search.find(personas.admin, "Василёк")["companies"]
    assert sorted(hit.title for hit in found.hits) == [f"Василёк {n}" for n in range(6)]
