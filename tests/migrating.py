"""Moving the test database to a migration and back, for tests of one migration's rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(target: tuple[str, str]) -> Any:
    """Apply or unapply migrations until ``target`` is the last one of its app; its models."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


@contextmanager
def migrations_moved() -> Iterator[Callable[[tuple[str, str]], Any]]:
    """:func:`migrate_to`, with every app brought back to its latest migration afterwards, even
    when the test failed (the next test needs the whole schema)."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        yield migrate_to
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)


def kind_indexed(kind: str) -> bool:
    """Whether the search index of documents of ``kind`` exists: its FTS5 table on SQLite, its
    trigram index on PostgreSQL (a search migration creates it forward and drops it back)."""
    from kartoteka.core.search.indexes import fts_table

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = %s", [fts_table(kind)])
        else:
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexname = %s", [f"search_{kind}_trigrams"]
            )
        return bool(cursor.fetchone()[0])


def kind_documents(apps: Any, kind: str) -> dict[int, str]:
    """{record id: text} of the search documents of ``kind`` in the migration state ``apps``."""
    document = apps.get_model("core", "SearchDocument")
    return dict(document.objects.filter(kind=kind).values_list("object_id", "body"))
