"""The database indexes behind search: one set per kind of record.

Each kind's documents get indexes of their own — on PostgreSQL partial GIN indexes (words and
trigrams) ``WHERE kind = '<kind>'``, on SQLite an FTS5 trigram table fed by triggers — so
looking for a company never wades through the documents of a million contacts that happen to
share a fragment. An app that registers a search :class:`~kartoteka.core.search.Source` adds its
kind's indexes in one of its migrations::

    migrations.RunPython(*indexes.operations_for("company", "contact"))

Documents of a kind without indexes are still found, only by reading them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kartoteka.core.search.document import TS_CONFIG

TABLE = "core_searchdocument"
_KIND = re.compile(r"[a-z][a-z_]{0,29}")


def _checked(kind: str) -> str:
    # Kinds become part of index and table names: only plain identifiers, never user input.
    if not _KIND.fullmatch(kind):
        raise ValueError(f"search kind {kind!r} is not a plain lower-case name")
    return kind


def fts_table(kind: str) -> str:
    """SQLite: the FTS5 table holding the documents of ``kind``."""
    return f"{TABLE}_fts_{_checked(kind)}"


def statements(vendor: str, kind: str) -> tuple[list[str], list[str]]:
    """(create, drop) SQL for the indexes of ``kind`` on ``vendor``; creating fills them."""
    kind = _checked(kind)
    if vendor == "postgresql":
        words, trigrams = f"search_{kind}_words", f"search_{kind}_trigrams"
        where = f"WHERE kind = '{kind}'"
        return (
            [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                f"CREATE INDEX IF NOT EXISTS {words} ON {TABLE} "
                f"USING gin (to_tsvector('{TS_CONFIG}'::regconfig, body)) {where}",
                f"CREATE INDEX IF NOT EXISTS {trigrams} ON {TABLE} "
                f"USING gin (body gin_trgm_ops) {where}",
            ],
            [f"DROP INDEX IF EXISTS {trigrams}", f"DROP INDEX IF EXISTS {words}"],
        )
    if vendor == "sqlite":
        fts = fts_table(kind)
        when = f"WHEN {{row}}.kind = '{kind}'"
        # Names come from _checked kinds only: no user input reaches this SQL.
        delete = f"INSERT INTO {fts}({fts}, rowid, body) VALUES ('delete', old.id, old.body);"  # noqa: S608
        insert = f"INSERT INTO {fts}(rowid, body) VALUES (new.id, new.body);"  # noqa: S608
        return (
            [
                f"CREATE VIRTUAL TABLE {fts} USING fts5("
                f"body, content='{TABLE}', content_rowid='id', tokenize='trigram')",
                f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {TABLE} "
                f"{when.format(row='new')} BEGIN {insert} END",
                f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {TABLE} "
                f"{when.format(row='old')} BEGIN {delete} END",
                f"CREATE TRIGGER {fts}_update AFTER UPDATE ON {TABLE} "
                f"{when.format(row='old')} BEGIN {delete} {insert} END",
                f"INSERT INTO {fts}(rowid, body) SELECT id, body FROM {TABLE} "  # noqa: S608
                f"WHERE kind = '{kind}'",
            ],
            [
                f"DROP TRIGGER IF EXISTS {fts}_update",
                f"DROP TRIGGER IF EXISTS {fts}_delete",
                f"DROP TRIGGER IF EXISTS {fts}_insert",
                f"DROP TABLE IF EXISTS {fts}",
            ],
        )
    raise RuntimeError(f"search index: no indexing for the {vendor} database")


def compact(connection: Any) -> None:
    """Leaves the search indexes in one piece after a bulk load (:func:`indexing.rebuild`).

    SQLite: each FTS5 table merged into a single segment ("optimize"). A rebuild writes every
    document anew in many segments, and FTS5 went on merging them, 64 pages a level every 64
    pages written, inside the commits of the writes that followed: at a million contacts one
    create in thirty took 25-55 ms instead of 6, for thousands of creates. PostgreSQL: the GIN
    indexes' pending entries moved into the indexes, not left to whichever insert fills the list.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE %s "
                "AND sql LIKE %s",
                [f"{TABLE}_fts_%", "CREATE VIRTUAL TABLE % USING fts5(%"],
            )
            for (name,) in cursor.fetchall():
                fts = fts_table(name.removeprefix(f"{TABLE}_fts_"))  # checked again
                cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")  # noqa: S608
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT gin_clean_pending_list(c.oid::regclass) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                "WHERE i.indrelid = %s::regclass AND a.amname = 'gin'",
                [TABLE],
            )


def operations_for(*kinds: str) -> tuple[Callable[..., None], Callable[..., None]]:
    """(forward, backward) functions for ``migrations.RunPython`` creating/dropping the
    indexes of ``kinds``."""

    def forward(apps: Any, schema_editor: Any) -> None:
        for kind in kinds:
            for sql in statements(schema_editor.connection.vendor, kind)[0]:
                schema_editor.execute(sql)

    def backward(apps: Any, schema_editor: Any) -> None:
        for kind in reversed(kinds):
            for sql in statements(schema_editor.connection.vendor, kind)[1]:
                schema_editor.execute(sql)

    return forward, backward


def new_kind_operations(kind: str, write: Callable[..., None]) -> list[Any]:
    """A migration's operations adding documents of a new ``kind``: ``write(apps,
    schema_editor)`` stores them, then the kind's indexes are created (after the rows, so
    PostgreSQL builds each GIN index once instead of growing it). Backward drops the indexes
    and the documents."""
    from django.db import migrations

    def drop(apps: Any, schema_editor: Any) -> None:
        apps.get_model("core", "SearchDocument").objects.filter(kind=kind).delete()

    return [migrations.RunPython(write, drop), migrations.RunPython(*operations_for(kind))]
