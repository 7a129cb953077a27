"""PostgreSQL as Django's backend, with moments read by the standard library's parser and a
cursor for the few statements worth preparing.

Django reads every ``timestamptz`` through psycopg's pure-Python text loader (a regular
expression, then a time-zone shift) and replaces the zone again in a subclass of its own: about
7 µs a value, a sixth of the time of reading a page of activities. ``datetime.fromisoformat``
is written in C and reads PostgreSQL's ISO output directly: about 1 µs.
"""

from __future__ import annotations

import datetime
from functools import cache
from typing import Any

from django.db.backends.postgresql import base, operations
from psycopg import errors, pq
from psycopg.types.datetime import TimestamptzLoader


class _MomentLoader(TimestamptzLoader):
    """A ``timestamptz`` as Django's own loader gives it: aware in ``timezone``, or naive
    (``None``: the session's local time)."""

    timezone: datetime.tzinfo | None = None

    def load(self, data: Any) -> datetime.datetime:
        try:
            moment = datetime.datetime.fromisoformat(bytes(data).decode())
        except ValueError:
            # Not ISO (another DateStyle, a year out of range): psycopg's own loader reads it or
            # names what it cannot read.
            moment = super().load(data)
        if self.timezone is None:
            return moment.replace(tzinfo=None)
        return moment.astimezone(self.timezone)


@cache
def _loader_for(zone: datetime.tzinfo | None) -> type[_MomentLoader]:
    # Django's cursor checks the loader's ``timezone`` and puts its own back if it differs.
    return type("MomentLoader", (_MomentLoader,), {"timezone": zone, "__module__": __name__})


class _PreparedCursor(base.ServerBindingCursor):  # type: ignore[misc, name-defined]
    """Prepares each statement on the server the first time it runs on its connection."""

    def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
        options["prepare"] = True
        try:
            return super().execute(query, params, **options)
        except errors.FeatureNotSupported:
            # "cached plan must not change result type": another process migrated a column
            # this statement reads since it was prepared here. Kept, it would fail on every
            # run on this connection; outside a transaction it is dropped and made anew (a
            # failed transaction's rollback drops it as well).
            if self.connection.info.transaction_status != pq.TransactionStatus.IDLE:
                raise
            self.connection.execute("DEALLOCATE ALL")  # psycopg forgets its names with it
            return super().execute(query, params, **options)


#: executions after which psycopg prepares a statement by itself: never. Django's cursors bind
#: parameters on the client and are never prepared; only ``planned_once`` asks for it (psycopg
#: ignores the request when this is None, Django's default).
_NEVER_BY_ITSELF = 2**31 - 1


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str:
        if isinstance(cursor, _PreparedCursor):
            # A prepared run sends no text to read back: the statement with its values, as
            # Django shows it for server-side binding (query logs, captured queries in tests).
            return super().compose_sql(sql, params)  # type: ignore[no-any-return]
        return super().last_executed_query(cursor, sql, params)  # type: ignore[no-any-return]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        connection.adapters.register_loader("timestamptz", _loader_for(self.timezone))
        connection.prepare_threshold = _NEVER_BY_ITSELF
        return connection

    #: above 0 while statements are to be prepared (:func:`kartoteka.core.db.prepared.planned_once`)
    preparing = 0

    def create_cursor(self, name: str | None = None) -> Any:
        if self.preparing and name is None:
            # The connection's own moment loader is already this wrapper's (see above).
            return _PreparedCursor(self.connection)
        return super().create_cursor(name)
