"""The search index: one document per searchable record, and the lookups that match it.

The text lives in an ordinary table on both databases; each vendor indexes it its own way,
one set of indexes per kind (indexes.py): PostgreSQL with partial GIN indexes over
``to_tsvector('russian', body)`` and over trigrams (pg_trgm), SQLite with an FTS5 trigram table
per kind fed by triggers. The lookup below and matching.py are the only SQL that uses them.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Lookup

#: text-search configuration of the PostgreSQL word index; the query must name the same one
TS_CONFIG = "russian"


class SearchDocument(models.Model):
    """What a record can be found by, folded (lower case, ё as е) into one text."""

    kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField()
    body = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class WordForm(Lookup):  # type: ignore[type-arg]
    """PostgreSQL: ``body__word_form="иванову:*"`` — a word of the body has the query word's stem
    as its stem's prefix (the value is a ``to_tsquery`` operand). Written exactly as the GIN
    index expression so the index is used."""

    lookup_name = "word_form"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql = (
            f"to_tsvector('{TS_CONFIG}'::regconfig, {lhs}) "
            f"@@ to_tsquery('{TS_CONFIG}'::regconfig, %s)"
        )
        return sql, [*lhs_params, self.rhs]


SearchDocument._meta.get_field("body").register_lookup(WordForm)
