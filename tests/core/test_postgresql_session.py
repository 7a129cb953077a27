"""On PostgreSQL, every connection the CRM opens runs its statements without JIT compilation."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting"),
]


def test_statements_are_never_compiled_with_llvm_first() -> None:
    # PostgreSQL's default compiles a statement planned above a cost before running it: up to
    # 100 ms more on a list search at a million contacts.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
