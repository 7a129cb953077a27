"""The client card: header with quick actions, tabs that work without JavaScript, messengers."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from kartoteka.clients.models import Contact
from tests.clients.post_data import contact_post
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def _selected_tab(page: str) -> list[str]:
    return re.findall(r'role="tab" id="tab-([\w-]+)"[^>]*aria-selected="true"', page)


def _shown_panels(page: str) -> list[str]:
    return re.findall(r'role="tabpanel" id="([\w-]+)"[^>]*tabindex="0">', page)


def test_company_card_opens_on_details_and_each_tab_is_a_link(
    client: Client, personas: Personas
) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Вкладки»", phone="+74951234567")
    ContactFactory.create_batch(2, owner=personas.manager_a, company=company)
    client.force_login(personas.manager_a)

    page = client.get(f"/companies/{company.pk}/").content.decode()
    assert _selected_tab(page) == ["details"] and _shown_panels(page) == ["details"]
    for key in ("details", "contacts", "timeline", "sharing"):
        assert f'href="?tab={key}"' in page
    assert re.search(r'id="tab-people"[^>]*>Contacts <span class="tab-count">2</span>', page)
    assert 'href="tel:+74951234567"' in page  # quick action: call the main phone
    assert f'href="/tasks/new/?company={company.pk}"' in page  # quick action: plan a task

    page = client.get(f"/companies/{company.pk}/", {"tab": "contacts"}).content.decode()
    assert _selected_tab(page) == ["people"] and _shown_panels(page) == ["people"]
    page = client.get(f"/companies/{company.pk}/", {"tab": "nonsense"}).content.decode()
    assert _selected_tab(page) == ["details"]


def test_contact_card_tabs_show_related_persons_and_timeline(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.manager_a)
    client.post(
        "/contacts/new/",
        contact_post(
            last_name="Табов",
            first_name="Пётр",
            related=[
                {"name": "Игорь", "relation": "child", "birthday": "2015-07-01", "anniversary": ""}
            ],
        ),
    )
    contact = Contact.objects.get(last_name="Табов")
    page = client.get(f"/contacts/{contact.pk}/", {"tab": "related"}).content.decode()
    assert _selected_tab(page) == ["related"] and _shown_panels(page) == ["related"]
    assert "Игорь" in page and "01.07.2015" in page
    page = client.get(f"/contacts/{contact.pk}/", {"tab": "timeline"}).content.decode()
    assert _selected_tab(page) == ["timeline"] and _shown_panels(page) == ["timeline"]
    # The activities app's timeline replaces the audit-only history: its panel loads the fragment.
    assert f'hx-get="/contacts/{contact.pk}/timeline/"' in page
    fragment = client.get(f"/contacts/{contact.pk}/timeline/", headers={"HX-Request": "true"})
    assert "Табов" in fragment.content.decode()  # the creation is in the timeline


def test_share_returns_to_the_sharing_tab(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)
    response = client.post(f"/companies/{company.pk}/share/", {"branch": personas.branch_a.pk})
    assert response["Location"] == f"/companies/{company.pk}/?tab=sharing"


def test_messengers_are_edited_on_the_contact_form_and_shown_on_the_card(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/contacts/new/",
        contact_post(
            last_name="Мессенджеров",
            messengers=[("telegram", "https://t.me/ivan_mess"), ("whatsapp", "8 916 123-45-67")],
        ),
    )
    assert response.status_code == 302
    contact = Contact.objects.get(last_name="Мессенджеров")
    assert contact.messengers == [
        {"kind": "telegram", "handle": "@ivan_mess"},
        {"kind": "whatsapp", "handle": "+79161234567"},
    ]
    card = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert 'href="https://t.me/ivan_mess"' in card and "@ivan_mess" in card
    assert 'href="https://wa.me/79161234567"' in card and "+7 916 123-45-67" in card
    timeline = client.get(f"/contacts/{contact.pk}/timeline/").content.decode()
    assert "Telegram @ivan_mess, WhatsApp +7 916 123-45-67" in timeline  # read, not a dict

    form = client.get(f"/contacts/{contact.pk}/edit/").content.decode()
    assert 'value="@ivan_mess"' in form and 'name="messengers-TOTAL_FORMS"' in form
    response = client.post(
        f"/contacts/{contact.pk}/edit/",
        contact_post(
            last_name="Мессенджеров", version=contact.version, messengers=[("skype", "ivan.m")]
        ),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.messengers == [{"kind": "skype", "handle": "ivan.m"}]


def test_bad_messenger_is_named_beside_its_row_and_nothing_is_saved(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/contacts/new/",
        contact_post(
            last_name="Ошибкин", messengers=[("telegram", "a b"), ("viber", "12"), ("skype", "")]
        ),
    )
    assert response.status_code == 422
    rows = next(fs for spec, fs in response.context["formsets"] if spec.name == "messengers")
    assert rows.forms[0].errors["handle"] and rows.forms[1].errors["handle"]
    assert not rows.forms[2].errors
    assert 'value="a b"' in response.content.decode()  # what was typed is kept
    assert not Contact.objects.filter(last_name="Ошибкин").exists()


def test_api_refuses_an_unknown_messenger(personas: Personas, api: Any) -> None:
    response = api(personas.manager_a).post(
        "/api/v1/contacts/",
        {"last_name": "Апиев", "messengers": [{"kind": "pager", "handle": "123"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "messengers" in response.json()["error"]["fields"]
    assert not Contact.objects.filter(last_name="Апиев").exists()
