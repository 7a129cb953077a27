"""The search index: a document table, indexed by each database its own way.

PostgreSQL: pg_trgm, a GIN index over the Russian word vector and one over trigrams.
SQLite: an FTS5 trigram table mirroring the documents' text, kept in step by triggers.
"""

from typing import Any

from django.db import migrations, models

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX search_document_words ON core_searchdocument "
    "USING gin (to_tsvector('russian'::regconfig, body))",
    "CREATE INDEX search_document_trigrams ON core_searchdocument USING gin (body gin_trgm_ops)",
]
# The extension stays: dropping it could break other objects that use it.
PG_BACKWARD = [
    "DROP INDEX IF EXISTS search_document_trigrams",
    "DROP INDEX IF EXISTS search_document_words",
]
SQLITE_FORWARD = [
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
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_searchdocument_fts_update",
    "DROP TRIGGER IF EXISTS core_searchdocument_fts_delete",
    "DROP TRIGGER IF EXISTS core_searchdocument_fts_insert",
    "DROP TABLE IF EXISTS core_searchdocument_fts",
]
STATEMENTS = {
    "postgresql": (PG_FORWARD, PG_BACKWARD),
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
}


def _run(schema_editor: Any, forward: bool) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise RuntimeError(f"search index: no indexing for the {vendor} database")
    for statement in STATEMENTS[vendor][0 if forward else 1]:
        schema_editor.execute(statement)


def create_indexes(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, forward=True)


def drop_indexes(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_bulk_batches")]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=30)),
                ("object_id", models.BigIntegerField()),
                ("body", models.TextField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "object_id"), name="search_document_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
