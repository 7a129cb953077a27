"""Emptying and refilling the database around a transactional test, in few statements.

A test that commits (a live server for the browser, a migration) is followed by a flush, and
``serialized_rollback`` then writes back what the migrations had put there: the built-in roles
and their grants, the content types. Django does both the slow way for the tests' small tables:

- on PostgreSQL it empties them with one ``TRUNCATE`` of every table, which makes new files
  for each (0.2-0.5 s, whatever is in them), where a ``DELETE`` per table takes ~15 ms;
- it saves the rows back one at a time, an UPDATE and an INSERT each: about 900 statements,
  a quarter of a second on PostgreSQL, where one INSERT per table takes ~30 ms.

With some 140 such tests in a run, that is over a minute of the PostgreSQL run.
"""

from __future__ import annotations

from collections import defaultdict
from io import StringIO
from typing import Any

from django.core import serializers
from django.db import transaction
from django.db.backends.base.creation import BaseDatabaseCreation
from django.db.backends.postgresql.operations import DatabaseOperations

_truncate = DatabaseOperations.sql_flush


def deserialize_in_bulk(self: BaseDatabaseCreation, data: str) -> None:
    """``BaseDatabaseCreation.deserialize_db_from_string`` with one INSERT per table."""
    alias = self.connection.alias
    rows: dict[type[Any], list[Any]] = defaultdict(list)
    links: list[tuple[Any, dict[str, list[Any]]]] = []
    with transaction.atomic(using=alias), self.connection.constraint_checks_disabled():
        for found in serializers.deserialize("json", StringIO(data), using=alias):
            model = type(found.object)
            if model._meta.parents:  # a child row spans two tables: saved the usual way
                found.save()
                continue
            rows[model].append(found.object)
            if found.m2m_data:
                links.append((found.object, found.m2m_data))
        for model, objects in rows.items():
            # Before the first such test the rows are still there, as the migrations left them.
            model._base_manager.using(alias).bulk_create(objects, ignore_conflicts=True)
        for record, values in links:
            for accessor, related in values.items():
                getattr(record, accessor).set(related)
        self.connection.check_constraints(table_names=[model._meta.db_table for model in rows])


def delete_from_each(
    self: DatabaseOperations,
    style: Any,
    tables: list[str],
    *,
    reset_sequences: bool = False,
    allow_cascade: bool = False,
) -> list[str]:
    """PostgreSQL's flush as a DELETE per table, in the flush's one transaction; foreign keys
    are checked at its end (Django makes them deferrable), when every table is empty."""
    if reset_sequences or not tables:
        return _truncate(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    return [
        "SET CONSTRAINTS ALL DEFERRED;",
        *(f"DELETE FROM {self.quote_name(table)};" for table in tables),
    ]


def install() -> None:
    BaseDatabaseCreation.deserialize_db_from_string = deserialize_in_bulk  # type: ignore[method-assign]
    DatabaseOperations.sql_flush = delete_from_each  # type: ignore[method-assign]
