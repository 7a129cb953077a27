"""The contact's consent to emails: on the form, the card, the API and in the history."""

from __future__ import annotations

from typing import Any

from kartoteka.clients.models import Contact
from kartoteka.clients.services.contacts import contact_update
from kartoteka.core.models import AuditEntry
from tests.conftest import Personas
from tests.factories.clients import ContactFactory


def test_consent_is_off_until_given_and_every_change_is_audited(personas: Personas) -> None:
    contact = ContactFactory(owner=personas.manager_a)
    assert contact.email_consent is False
    contact_update(
        actor=personas.manager_a,
        contact=contact,
        version=contact.version,
        values={"email_consent": True},
    )
    assert Contact.objects.get(pk=contact.pk).email_consent is True
    entry = AuditEntry.objects.filter(object_id=contact.pk, action="update").latest("id")
    assert entry.actor == personas.manager_a and "email_consent" in entry.changes


def test_the_form_and_the_card_show_it(personas: Personas, login: Any) -> None:
    contact = ContactFactory(owner=personas.manager_a, email_consent=True)
    client = login(personas.manager_a)
    assert 'name="email_consent"' in client.get(f"/contacts/{contact.pk}/edit/").content.decode()
    card = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "Emails from us" in card or "Письма от нас" in card


def test_the_api_reads_and_writes_it(personas: Personas, api: Any) -> None:
    contact = ContactFactory(owner=personas.manager_a)
    caller = api(personas.manager_a)
    body = caller.get(f"/api/v1/contacts/{contact.pk}/").json()
    assert body["email_consent"] is False
    changed = caller.patch(
        f"/api/v1/contacts/{contact.pk}/",
        {"email_consent": True, "version": body["version"]},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert Contact.objects.get(pk=contact.pk).email_consent is True
