"""An index that may say where NULLs sort, on both databases.

An index serves an ORDER BY only when its columns sort the same way, NULLs included. PostgreSQL
puts NULLs last in an ascending column unless the index says ``NULLS FIRST``; SQLite always puts
them first in one and refuses ``NULLS FIRST``/``NULLS LAST`` in an index. :class:`NullsIndex`
takes its columns as expressions (``F("due_at").asc(nulls_first=True)``) and, on SQLite, leaves
out what SQLite does anyway.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import OrderBy


def _sqlite_column(expression: Any) -> Any:
    # ASC NULLS FIRST and DESC NULLS LAST are SQLite's own orders: say neither.
    if isinstance(expression, OrderBy):
        if expression.nulls_first and not expression.descending:
            return OrderBy(expression.expression)
        if expression.nulls_last and expression.descending:
            return OrderBy(expression.expression, descending=True)
    return expression


class NullsIndex(models.Index):
    """A ``models.Index`` of expressions whose NULLS FIRST/LAST PostgreSQL gets as written and
    SQLite as its default order, where that is the same order (SQLite cannot index any other:
    there the migration fails, as it should)."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor != "sqlite":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        plain = models.Index(
            *(_sqlite_column(expression) for expression in self.expressions),
            name=self.name,
            condition=self.condition,
        )
        return plain.create_sql(model, schema_editor, using=using, **kwargs)
