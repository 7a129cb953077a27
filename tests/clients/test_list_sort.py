"""Lists sort by a column and page by keyset: every record exactly once, in order."""

from __future__ import annotations

import re
from html import unescape

from django.test import Client

from tests.conftest import Personas
from tests.factories.clients import CompanyFactory


def names_on(client: Client, url: str) -> tuple[list[str], str | None]:
    html = client.get(url).content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    names = re.findall(r'href="/companies/\d+/">([^<]+)</a>', body)
    following = re.search(r'href="(\?after=[^"]+)"', html)
    return names, ("/companies/" + unescape(following.group(1)) if following else None)


def test_sorting_by_name_walks_every_record_once(client: Client, personas: Personas) -> None:
    # Equal names on a page boundary are the hard case for keyset paging.
    for name in ["Бета", "Альфа", "Гамма", "Альфа", "Дельта"] * 22:
        CompanyFactory(owner=personas.admin, name=f"ООО «{name}»")
    client.force_login(personas.admin)
    seen: list[str] = []
    url: str | None = "/companies/?sort=name"
    pages = 0
    while url:
        names, url = names_on(client, url)
        seen += names
        pages += 1
    assert pages == 3
    assert len(seen) == 110
    assert seen == sorted(seen)
    descending, _next = names_on(client, "/companies/?sort=-name")
    assert descending[0] == "ООО «Дельта»" and descending == sorted(descending, reverse=True)


def test_sort_survives_filters_and_bad_cursors(client: Client, personas: Personas) -> None:
    CompanyFactory(owner=personas.admin, name="ООО «Юг»")
    CompanyFactory(owner=personas.admin, name="ООО «Аист»")
    client.force_login(personas.admin)
    names, _ = names_on(client, f"/companies/?sort=name&owner={personas.admin.pk}")
    assert names == ["ООО «Аист»", "ООО «Юг»"]
    assert client.get("/companies/?sort=name&after=%%%garbage").status_code == 200
    assert client.get("/companies/?sort=nonsense").status_code == 200
