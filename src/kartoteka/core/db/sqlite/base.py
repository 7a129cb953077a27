"""SQLite with Unicode-aware LOWER/UPPER.

SQLite's own LOWER only folds ASCII, so "ЗВОН" would not match "звон". Registering Python's
str.lower under the same names makes every case-insensitive comparison Kartoteka builds with
LOWER() behave as it does on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from django.db.backends.sqlite3 import base, features


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


class DatabaseFeatures(features.DatabaseFeatures):
    # Django assumes SQLite's old limit of 999 bound values; since 3.32 it is 32766, so bulk
    # writes (a batch of 500 records' changes and audit rows) go in one statement, not dozens.
    max_query_params = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        connection.create_function("LOWER", 1, _lower, deterministic=True)
        connection.create_function("UPPER", 1, _upper, deterministic=True)
        return connection
