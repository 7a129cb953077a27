"""The command box as every persona: a visible record linked to a hidden one never shows the
hidden one's name, and a hidden record's name finds nothing through it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kartoteka.clients.models import Employment
from kartoteka.clients.services.companies import company_create
from kartoteka.clients.services.contacts import contact_create
from kartoteka.core import access, search
from tests.conftest import SIGNED_IN, Personas

PERSONAS = SIGNED_IN


def _text(html: str) -> str:
    """What the box says, without its markup (highlights split names)."""
    return re.sub(r"<[^>]+>", "", html)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_box_shows_only_what_the_persona_may_see(
    persona: str, personas: Personas, client: Client
) -> None:
    visible = company_create(actor=personas.manager_a, values={"name": "ООО «Зебра Видимая»"})
    hidden = company_create(actor=personas.manager_b, values={"name": "ООО «Зебра Скрытая»"})
    seen = contact_create(
        actor=personas.manager_a, values={"last_name": "Зебров", "first_name": "Вид"}
    )
    unseen = contact_create(
        actor=personas.manager_b, values={"last_name": "Зебрин", "first_name": "Скрыт"}
    )
    # Linked across the line: each works at the other side's company too.
    Employment.objects.create(contact=seen, company=hidden, position="")
    Employment.objects.create(contact=unseen, company=visible, position="")
    search.index_many(type(seen), [seen.pk, unseen.pk])
    user = getattr(personas, persona)
    client.force_login(user)

    html = _text(client.get("/search/box/", {"q": "зебр"}).content.decode())
    for record, name in (
        (visible, "Зебра Видимая"),
        (hidden, "Зебра Скрытая"),
        (seen, "Зебров"),
        (unseen, "Зебрин"),
    ):
        assert (name in html) == access.can(user, "view", record), (persona, name)

    through_hidden = _text(client.get("/search/box/", {"q": "скрытая"}).content.decode())
    if not access.can(user, "view", hidden):
        assert "Зебр" not in through_hidden
