"""A manager's lists are found and counted one part of the access rule at a time (their own
records, those shared with them): the pages and the API still show every visible record once,
in the list's order both ways, and the pager's total counts a record both owned and shared once.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company
from kartoteka.core.models import RecordShare
from kartoteka.records.models import Tag
from tests.api.test_ordering import expected, walk, walk_back
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

#: names that repeat, so ties fall across the API's pages of two
NAMES = ["Борей", "Аргон", "Борей", "Вега", "Аргон", "Гелий", "Борей"]


def _share(company: Company, by: User, **to: Any) -> None:
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Company),
        object_id=company.pk,
        created_by=by,
        **to,
    )


@pytest.fixture
def visible(personas: Personas) -> list[int]:
    """manager_a's own companies and those shared with them, interleaved by id, apart by name;
    two of the own ones are also shared with their team. Beside them: a colleague's, one in
    the trash, one whose share has run out."""
    me, kazan = personas.manager_a, personas.manager_b
    vip = Tag.objects.create(name="VIP")
    seen = []
    for number, name in enumerate(NAMES):
        own = CompanyFactory(owner=me, name=f"{name} {number}")
        # By name, all the own ones come first: a page can come from one part alone.
        shared = CompanyFactory(owner=kazan, name=f"Я-{NAMES[-1 - number]} {number}")
        _share(shared, kazan, user=me)
        seen += [own.pk, shared.pk]
        if number % 3 == 0:
            own.tags.add(vip)
            shared.tags.add(vip)
        if number < 2:
            _share(own, personas.branch_head_a, team=personas.team_a)
    CompanyFactory(owner=personas.colleague_a, name="Аргон скрытый")
    lapsed = CompanyFactory(owner=kazan, name="Аргон истёкший")
    _share(lapsed, kazan, user=me, until=timezone.localdate() - timedelta(days=1))
    trashed = CompanyFactory(owner=me, name="Аргон в корзине")
    Company.all_objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    return seen


@pytest.mark.parametrize("ordering", ["", "name", "-name", "-created_at"])
def test_the_api_walks_own_and_shared_records_once_in_order(
    ordering: str, personas: Personas, api: Any, visible: list[int]
) -> None:
    client = api(personas.manager_a)
    url = "/api/v1/companies/?limit=2" + (f"&ordering={ordering}" if ordering else "")
    column = ordering.lstrip("-") or "id"
    order = expected(Company, visible, [(column, ordering.startswith("-") or not ordering)])
    assert walk(client, url) == order
    assert walk_back(client, url) == order


def test_a_filter_through_tags_walks_the_tagged_ones(
    personas: Personas, api: Any, visible: list[int]
) -> None:
    """A filter by tag reads distinct rows, which also select the columns they sort by."""
    client = api(personas.manager_a)
    tagged = list(
        Company.objects.filter(pk__in=visible, tags__name="VIP").values_list("pk", flat=True)
    )
    for ordering in ("name", "-updated_at"):
        url = f"/api/v1/companies/?limit=2&tag=VIP&ordering={ordering}"
        order = expected(Company, tagged, [(ordering.lstrip("-"), ordering.startswith("-"))])
        assert walk(client, url) == order
    assert walk(client, "/api/v1/companies/?tag=no-such-tag&ordering=name") == []


def _page(client: Client, url: str) -> tuple[list[str], str]:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    names = [unescape(n) for n in re.findall(r'href="/companies/\d+/">([^<]+)</a>', body)]
    found = re.search(r"data-pager-range>([^<]+)<", html)
    assert found
    return names, unescape(found.group(1))


@pytest.mark.parametrize(("limit", "pager"), [(14, "1–14 of 14"), (13, "1–14 of more than 13")])
def test_the_page_counts_a_record_owned_and_shared_once(
    limit: int,
    pager: str,
    client: Client,
    personas: Personas,
    visible: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counted part by part (own, then shared and not own), 14 records are 14, not the 16 the
    parts hold together; past the limit the pager says "more than"."""
    monkeypatch.setattr("kartoteka.core.pagination.COUNT_LIMIT", limit)
    personas.manager_a.language = "en"
    personas.manager_a.save(update_fields=["language"])
    client.force_login(personas.manager_a)
    names, shown = _page(client, "/companies/?sort=name")
    assert shown == pager
    rows = Company.objects.filter(pk__in=visible).order_by("name", "id")
    assert names == [row.name for row in rows]
