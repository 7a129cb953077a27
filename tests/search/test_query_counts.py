"""The search page and API ask the database a bounded number of questions, whatever its size.

The shared data maker names companies «Ромашка N»; "ромашке" finds them all through word forms.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import Personas
from tests.test_query_counts import count, grow

PAGES = ["/search/?q=%D0%BE%D0%BE%D0%BE", "/search/?q=%D1%80%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B5"]
API = ["/api/v1/search/?q=%D1%80%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B5", "/api/v1/search/?q=7916"]


@pytest.mark.parametrize("url", PAGES)
def test_search_page_queries_do_not_grow(url: str, personas: Personas, client: Client) -> None:
    client.force_login(personas.admin)
    grow(personas, 10)
    small = count(lambda: client.get(url))
    grow(personas, 190)
    large = count(lambda: client.get(url))
    assert large <= small, f"{url}: {small} queries at 10 rows, {large} at 200"


@pytest.mark.parametrize("url", API)
def test_search_api_queries_do_not_grow(url: str, personas: Personas, api: Any) -> None:
    client = api(personas.admin)
    grow(personas, 10)
    small = count(lambda: client.get(url))
    grow(personas, 190)
    large = count(lambda: client.get(url))
    assert large <= small, f"{url}: {small} queries at 10 rows, {large} at 200"
