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


#: a word, two words, two short starts, a word and a letter: "Иванов5 Иван" style terms the
#: shared data maker's contacts (Иванов N, Иван, at «Ромашка N») all match
LIST_TERMS = ["Иванов", "Иванов Иван", "Ив Ив", "Иван И", "Ромашка Иван"]


def test_list_search_asks_the_same_questions_for_every_term(personas: Personas, api: Any) -> None:
    """Each term of a list search is one more condition of the list's queries (matched through
    the indexes), never a query of its own nor a query per row; a page of matches reads the
    same few prefetches whatever matched. The list's first rows are tested first (one query,
    which is the page when they hold one; on SQLite for one word only) and every match looked
    up only if not: more records never mean more queries."""
    client = api(personas.admin)
    grow(personas, 10)
    small = {
        term: count(lambda term=term: client.get("/api/v1/contacts/", {"q": term}))
        for term in LIST_TERMS
    }
    grow(personas, 190)
    for term in LIST_TERMS:
        found = client.get("/api/v1/contacts/", {"q": term, "limit": 50}).json()["results"]
        assert len(found) == 50, term
        large = count(lambda term=term: client.get("/api/v1/contacts/", {"q": term}))
        assert large <= small[term] <= small["Иванов"], (term, small, large)


def test_list_page_search_asks_the_same_questions_for_every_term(
    personas: Personas, client: Client
) -> None:
    client.force_login(personas.admin)
    grow(personas, 10)
    one_word = count(lambda: client.get("/contacts/", {"q": "Иванов"}))
    grow(personas, 190)
    for term in LIST_TERMS:
        assert count(lambda term=term: client.get("/contacts/", {"q": term})) <= one_word, term
