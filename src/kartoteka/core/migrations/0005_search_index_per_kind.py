"""Search indexes move from one over all documents to one set per kind (see search/indexes.py).

This drops the all-kinds indexes of 0003; the apps that register kinds create theirs. Going
back recreates the all-kinds indexes and fills them from the documents.
"""

from typing import Any

from django.db import migrations

PG_DROP = [
    "DROP INDEX IF EXISTS search_document_trigrams",
    "DROP INDEX IF EXISTS search_document_words",
]
PG_CREATE = [
    "CREATE INDEX search_document_words ON core_searchdocument "
    "USING gin (to_tsvector('russian'::regconfig, body))",
    "CREATE INDEX search_document_trigrams ON core_searchdocument USING gin (body gin_trgm_ops)",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_searchdocument_fts_update",
    "DROP TRIGGER IF EXISTS core_searchdocument_fts_delete",
    "DROP TRIGGER IF EXISTS core_searchdocument_fts_insert",
    "DROP TABLE IF EXISTS core_searchdocument_fts",
]
SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE core_searchdocument_fts USING fts5("
    "body, content='core_searchdocument', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER core_searchdocument_fts_insert AFTER INSERT ON core_searchdocument BEGIN "
    "INSERT INTO core_searchdocument_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER core_searchdocument_fts_delete AFTER DELETE ON core_searchdocument BEGIN "
    "INSERT INTO core_searchdocument_fts(core_searchdocument_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER core_searchdocument_fts_update AFTER UPDATE ON core_searchdocument BEGIN "
    "INSERT INTO core_searchdocument_fts(core_searchdocument_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); "
    "INSERT INTO core_searchdocument_fts(rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO core_searchdocument_fts(core_searchdocument_fts) VALUES ('rebuild')",
]
STATEMENTS = {"postgresql": (PG_DROP, PG_CREATE), "sqlite": (SQLITE_DROP, SQLITE_CREATE)}


def _run(schema_editor: Any, index: int) -> None:
    for statement in STATEMENTS[schema_editor.connection.vendor][index]:
        schema_editor.execute(statement)


def drop_shared_indexes(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, 0)


def recreate_shared_indexes(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_export_action")]

    operations = [migrations.RunPython(drop_shared_indexes, recreate_shared_indexes)]
