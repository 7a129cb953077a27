"""Buttons a role cannot use are not shown: every link a persona is shown opens for them."""

from __future__ import annotations

import re
from collections import deque

import pytest
from django.test import Client

from kartoteka.clients.models import Company
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

HREF = re.compile(r'<a\b[^>]*\bhref="(/[^"#]*)(?:#[^"]*)?"([^>]*)>')
#: pages that are fine to reach but not to walk further (they act or leave)
SKIP = ("/accounts/logout", "/api/")


def _walk(client: Client, starts: list[str], limit: int = 120) -> dict[str, int]:
    seen: dict[str, int] = {}
    queue = deque((url, 0) for url in starts)
    while queue and len(seen) < limit:
        url, depth = queue.popleft()
        if url in seen or url.startswith(SKIP):
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or depth >= 2 or "text/html" not in response["Content-Type"]:
            continue
        html = response.content.decode()
        for href, rest in HREF.findall(html):
            target = href.replace("&amp;", "&")
            if "download" in rest or target in seen:
                continue
            queue.append((target, depth + 1))
    return seen


@pytest.mark.parametrize(
    "persona_name",
    ["admin", "head", "branch_head_a", "manager_a", "service_a", "marketer", "auditor"],
)
def test_every_link_a_persona_sees_opens(persona_name: str, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Кнопки»", phone="+79160001122")
    ContactFactory(owner=personas.manager_a, last_name="Кнопкин", company=company)
    CompanyFactory(owner=personas.manager_a, name="Кнопки", phone="+79160001122")
    client = Client()
    client.force_login(getattr(personas, persona_name))
    starts = ["/", "/companies/", "/contacts/", "/settings/", f"/companies/{company.pk}/"]
    seen = _walk(client, starts)
    broken = {url: status for url, status in seen.items() if status in (403, 404)}
    # The card itself is out of some personas' scope: asked for, not shown as a link.
    broken.pop(f"/companies/{company.pk}/", None)
    assert not broken, f"{persona_name} is shown links that do not open: {broken}"


def test_marketer_sees_no_create_buttons(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.marketer)
    for url in ("/companies/", "/contacts/", f"/companies/{company.pk}/?tab=contacts"):
        html = client.get(url).content.decode()
        assert "/companies/new/" not in html and "/contacts/new/" not in html, url
    assert Company.objects.count() == 1


def test_handover_offers_only_colleagues_who_may_own_clients(
    client: Client, personas: Personas
) -> None:
    from kartoteka.core import batches
    from kartoteka.core.errors import DomainError

    CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.admin)
    html = client.get(f"/settings/users/{personas.manager_a.pk}/handover/").content.decode()
    offered = set(re.findall(r'name="to_owners" value="(\d+)"', html))
    assert str(personas.teammate_a.pk) in offered and str(personas.head.pk) in offered
    for reader in (personas.marketer, personas.auditor, personas.outsider, personas.manager_a):
        assert str(reader.pk) not in offered, reader.username
    # The service refuses a crafted choice too, and nothing moves.
    with pytest.raises(DomainError):
        batches.handover(
            actor=personas.admin, person=personas.manager_a, to_owners=[personas.marketer]
        )
    answer = client.post(
        f"/settings/users/{personas.manager_a.pk}/handover/", {"to_owners": [personas.marketer.pk]}
    )
    assert answer.status_code == 422
    assert Company.objects.get().owner == personas.manager_a
