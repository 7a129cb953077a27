"""On PostgreSQL, moments are read by the standard library's parser (see core/db/postgresql),
and come back exactly as Django's own loader gave them."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from kartoteka.core.db.postgresql.base import _loader_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the loader is the PostgreSQL backend's"
    ),
]


def _read(sql: str) -> datetime.datetime:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        value: datetime.datetime = cursor.fetchone()[0]
    return value


def test_a_moment_is_the_same_instant_in_utc_to_the_microsecond() -> None:
    moment = _read("SELECT '2026-03-01 10:20:30.5+03'::timestamptz")
    assert moment == datetime.datetime(2026, 3, 1, 7, 20, 30, 500000, tzinfo=datetime.UTC)
    assert moment.utcoffset() == datetime.timedelta(0)
    assert _read("SELECT '0001-01-01 00:00:00+00'::timestamptz").year == 1
    with connection.cursor() as cursor:  # the session's zone only changes how it is written
        cursor.execute("SET TIME ZONE 'Asia/Kolkata'")
        try:
            later = _read("SELECT '2026-03-01 10:20:30.123456+03'::timestamptz")
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")
    assert later == datetime.datetime(2026, 3, 1, 7, 20, 30, 123456, tzinfo=datetime.UTC)
    assert later.tzinfo == datetime.UTC


def test_the_loader_is_ours_and_a_value_it_cannot_parse_goes_to_psycopgs() -> None:
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(1184, 0)  # timestamptz, text
    assert loader is _loader_for(connection.timezone)
    naive = _loader_for(None)(1184, connection.connection)
    assert naive.load(b"2026-03-01 10:20:30+03") == datetime.datetime(2026, 3, 1, 10, 20, 30)
    with pytest.raises(Exception, match="timestamp"):
        _loader_for(datetime.UTC)(1184, connection.connection).load(b"2026-03-01 x")
