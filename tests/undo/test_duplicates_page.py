"""The Duplicates page: opens where the results are, counts on every tab, honest names."""

from __future__ import annotations

import re

from django.test import Client

from kartoteka.clients import duplicates
from kartoteka.records import duplicates as record_duplicates
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory


def _tabs(html: str) -> list[tuple[str, str]]:
    nav = html.split('class="view-tabs"', 1)[1].split("</nav>", 1)[0]
    return [
        (code, count)
        for code, count in re.findall(
            r'reason=(\w+)"[^>]*>[^<]*(?:<span class="tab-count[^"]*"[^>]*>([^<]*)</span>)?', nav
        )
    ]


def test_page_opens_on_the_first_tab_with_results_and_counts_each(
    client: Client, personas: Personas
) -> None:
    admin = personas.admin
    # No shared INN, but two pairs of phones and one of emails.
    CompanyFactory(owner=admin, name="Альфа", phone="+79161234567")
    CompanyFactory(owner=admin, name="Бета", phone="+79161234567")
    CompanyFactory(owner=admin, name="Гамма", phone="+79160000001")
    CompanyFactory(owner=admin, name="Дельта", phone="+79160000001")
    client.force_login(admin)
    html = client.get("/duplicates/?kind=companies").content.decode()
    # Every tab shows its count, nothing found included.
    assert dict(_tabs(html)) == {"inn": "0", "phone": "2", "email": "0", "name": "0"}
    active = html.split('class="view-tabs"', 1)[1].split("</nav>", 1)[0]
    assert re.search(r'reason=phone" class="active" aria-current="page"', active)
    assert "same phone +7 916 123-45-67" in html
    # An explicit tab is respected even when it is empty.
    html = client.get("/duplicates/?kind=companies&reason=inn").content.decode()
    assert "same phone" not in html


def test_pairs_are_named_not_numbered(client: Client, personas: Personas) -> None:
    first = CompanyFactory(owner=personas.admin, name="Альфа", phone="+79161234567", city="Тула")
    second = CompanyFactory(owner=personas.admin, name="Бета", phone="+79161234567")
    client.force_login(personas.admin)
    html = client.get("/duplicates/?kind=companies&reason=phone").content.decode()
    table = html.split('id="duplicate-pairs"', 1)[1].split("</table>", 1)[0]
    assert f"#{first.pk}" not in table and f"#{second.pk}" not in table
    assert "Альфа" in table and "Тула" in table and "added" in table  # Бета: no city, no INN


def test_ooo_and_ip_with_different_inns_are_not_the_same_name(personas: Personas) -> None:
    ooo = CompanyFactory(owner=personas.admin, name="ООО «Ромашка»", inn="7707083893", phone="")
    ip = CompanyFactory(owner=personas.admin, name="ИП «Ромашка»", inn="500100732259", phone="")
    page = record_duplicates.duplicate_pairs(personas.admin, "companies", "name")
    assert all(pair.label != "same name" for pair in page.pairs)
    assert "same name" not in duplicates.shared_with(ooo, ip)
    # Without an INN on one side the legal form is still folded away: one name.
    bare = CompanyFactory(owner=personas.admin, name="Ромашка", inn="", phone="")
    assert "same name" in duplicates.shared_with(ooo, bare)
    assert duplicates.company_similarity("ООО «Ромашка»", "1", "ООО Ромашка", "2") == 1.0
