"""Links between records go through the access rule (issue 7, part C).

manager_a's contact works at three companies: one of manager_a's own ("ООО «Видимая»"), one of
manager_b's in the other branch ("ООО «Скрытая»", a 404 for manager_a) and one in the trash
("ООО «Удалённая»"). The hidden and the trashed company's names appear nowhere manager_a looks,
and manager_a's writes keep the links they cannot see.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kartoteka.clients.models import Company, Contact, Employment
from kartoteka.clients.services import common
from kartoteka.clients.services.companies import company_create
from kartoteka.clients.services.contacts import contact_create, contact_update
from kartoteka.core import search
from kartoteka.core.trash import trash_restore
from tests.clients.post_data import contact_post
from tests.conftest import Personas

HIDDEN = "Скрытая"
TRASHED = "Удалённая"
UNSEEN = (HIDDEN, TRASHED)


@pytest.fixture
def linked(personas: Personas) -> dict[str, Any]:
    visible = company_create(actor=personas.manager_a, values={"name": "ООО «Видимая»"})
    hidden = company_create(actor=personas.manager_b, values={"name": f"ООО «{HIDDEN}»"})
    trashed = company_create(actor=personas.manager_a, values={"name": f"ООО «{TRASHED}»"})
    jobs = [
        {"company": visible.pk, "position": "бухгалтер"},
        {"company": hidden.pk, "position": "директор"},
        {"company": trashed.pk, "position": "консультант"},
    ]
    # The administrator links manager_a's people to all three, so their history names them.
    people = [
        contact_create(
            actor=personas.admin,
            values={
                "last_name": "Петров",
                "first_name": first,
                "owner": personas.manager_a,
                "phones": [{"number": phone, "kind": "mobile"}],
                "employments": jobs,
            },
        )
        for first, phone in (("Пётр", "+79160000001"), ("Павел", "+79160000002"))
    ]
    common.record_trash(actor=personas.admin, obj=trashed)
    return {
        "visible": visible,
        "hidden": hidden,
        "trashed": trashed,
        "contact": people[0],
        "twin": people[1],
    }


def shows_nothing_unseen(text: str) -> None:
    for name in UNSEEN:
        assert name not in text


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    return response.content.decode()


def test_pages_never_show_hidden_or_trashed_employers(
    personas: Personas, linked: dict[str, Any], client: Client
) -> None:
    client.force_login(personas.manager_a)
    contact, twin = linked["contact"], linked["twin"]
    urls = [
        "/contacts/",
        "/contacts/?cols=company&cols=phone",
        f"/contacts/{contact.pk}/",
        *[
            f"/contacts/{contact.pk}/?tab={tab}"
            for tab in ("details", "companies", "related", "timeline", "sharing")
        ],
        f"/contacts/{contact.pk}/edit/",
        f"/contacts/{contact.pk}/merge/{twin.pk}/",
        "/search/?q=Петров",
        f"/contacts/new/?company={linked['hidden'].pk}",
        f"/contacts/new/?company={linked['trashed'].pk}",
    ]
    for url in urls:
        text = page(client, url)
        shows_nothing_unseen(text)
    # Searching the hidden name finds nothing (the box itself echoes what was typed).
    hidden_search = page(client, f"/search/?q={HIDDEN}")
    # By full name: the header names the signed-in user, whose generated name may be Петров.
    assert "Петров Пётр" not in hidden_search and "Петров Павел" not in hidden_search
    card = page(client, f"/contacts/{contact.pk}/?tab=companies")
    assert "ООО «Видимая»" in card  # what manager_a may see is still there
    assert "Петров" in page(client, "/search/?q=Петров")


def test_history_names_a_hidden_employer_neutrally(
    personas: Personas, linked: dict[str, Any], client: Client
) -> None:
    client.force_login(personas.manager_a)
    history = page(client, f"/contacts/{linked['contact'].pk}/timeline/")
    shows_nothing_unseen(history)
    assert "ООО «Видимая»" in history
    assert "hidden record" in history or "скрытая запись" in history
    # Those who may see the company read its name.
    client.force_login(personas.admin)
    assert HIDDEN in page(client, f"/contacts/{linked['contact'].pk}/timeline/")


def test_a_bad_post_does_not_render_a_hidden_company_in_the_picker(
    personas: Personas, linked: dict[str, Any], client: Client
) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/contacts/new/",
        contact_post(last_name="", companies=[(linked["hidden"].pk, "")]),
    )
    assert response.status_code == 422
    shows_nothing_unseen(response.content.decode())


def test_search_by_a_hidden_companys_name_finds_none_of_its_people(
    personas: Personas, linked: dict[str, Any], api: Any
) -> None:
    for user in (personas.manager_a, personas.service_a):
        found = search.find(user, HIDDEN)
        assert found["contacts"].hits == [] and found["companies"].hits == []
        assert search.find(user, f"Петров {HIDDEN}")["contacts"].hits == []
        answer = api(user).get("/api/v1/search/", {"q": HIDDEN}).json()
        assert answer["contacts"] == [] and answer["companies"] == []
        listed = api(user).get("/api/v1/contacts/", {"q": HIDDEN}).json()
        assert listed["results"] == []
    # A company one may see still finds its people, alone or with their name.
    titles = [hit.title for hit in search.find(personas.manager_a, "Видимая")["contacts"].hits]
    assert titles == ["Петров Павел", "Петров Пётр"]
    assert len(search.find(personas.manager_a, "Петров Видимая")["contacts"].hits) == 2
    # And whoever may see the hidden company finds its people by its name.
    assert len(search.find(personas.admin, HIDDEN)["contacts"].hits) == 2
    hit = search.find(personas.manager_a, "Пётр")["contacts"].hits[0]
    assert "Видимая" in hit.subtitle
    shows_nothing_unseen(hit.subtitle)


def test_exports_name_only_visible_employers(
    personas: Personas, linked: dict[str, Any], client: Client, api: Any
) -> None:
    client.force_login(personas.manager_a)
    response = client.get("/contacts/export/")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "ООО «Видимая»" in text
    shows_nothing_unseen(text)
    response = api(personas.manager_a).get("/api/v1/contacts/export/")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "ООО «Видимая»" in text
    shows_nothing_unseen(text)


def test_api_returns_no_hidden_ids(personas: Personas, linked: dict[str, Any], api: Any) -> None:
    client = api(personas.manager_a)
    contact = linked["contact"]
    one = client.get(f"/api/v1/contacts/{contact.pk}/").json()
    many = client.get("/api/v1/contacts/").json()["results"]
    for body in [one, *many]:
        assert body["companies"] == [linked["visible"].pk]
        assert [job["company"] for job in body["employments"]] == [linked["visible"].pk]
    # Filtering by a company one cannot see finds nothing (it does not exist for them).
    assert client.get("/api/v1/contacts/", {"company": linked["hidden"].pk}).json()["results"] == []
    assert (
        len(client.get("/api/v1/contacts/", {"company": linked["visible"].pk}).json()["results"])
        == 2
    )


def _jobs(contact: Contact) -> set[str]:
    return set(Employment.objects.filter(contact=contact).values_list("company__name", flat=True))


ALL_JOBS = {"ООО «Видимая»", f"ООО «{HIDDEN}»", f"ООО «{TRASHED}»"}


def test_page_save_keeps_hidden_and_trashed_links(
    personas: Personas, linked: dict[str, Any], client: Client
) -> None:
    client.force_login(personas.manager_a)
    contact = linked["contact"]
    # What the edit form shows, sent back with a new position: the visible row only.
    response = client.post(
        f"/contacts/{contact.pk}/edit/",
        contact_post(
            last_name="Петров",
            first_name="Пётр",
            version=contact.version,
            phones=["+79160000001"],
            companies=[(linked["visible"].pk, "главный бухгалтер")],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _jobs(contact) == ALL_JOBS
    assert Employment.objects.get(contact=contact, company=linked["visible"]).position == (
        "главный бухгалтер"
    )
    # Removing every row one sees removes only those.
    contact.refresh_from_db()
    response = client.post(
        f"/contacts/{contact.pk}/edit/",
        contact_post(last_name="Петров", version=contact.version, phones=["+79160000001"]),
    )
    assert response.status_code == 302
    assert _jobs(contact) == {f"ООО «{HIDDEN}»", f"ООО «{TRASHED}»"}


@pytest.mark.parametrize("method", ["put", "patch"])
def test_api_save_keeps_hidden_and_trashed_links(
    method: str, personas: Personas, linked: dict[str, Any], api: Any
) -> None:
    client = api(personas.manager_a)
    contact = linked["contact"]
    body = client.get(f"/api/v1/contacts/{contact.pk}/").json()
    body["employments"] = [{"company": linked["visible"].pk, "position": "аудитор"}]
    body.pop("companies")
    if method == "patch":
        body = {"employments": body["employments"], "version": body["version"]}
    response = getattr(client, method)(f"/api/v1/contacts/{contact.pk}/", body, format="json")
    assert response.status_code == 200, response.content
    assert _jobs(contact) == ALL_JOBS
    assert [job["company"] for job in response.json()["employments"]] == [linked["visible"].pk]
    contact.refresh_from_db()
    response = client.patch(
        f"/api/v1/contacts/{contact.pk}/",
        {"companies": [], "version": contact.version},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert _jobs(contact) == {f"ООО «{HIDDEN}»", f"ООО «{TRASHED}»"}


def test_a_hidden_company_cannot_be_linked_by_id(
    personas: Personas, linked: dict[str, Any], api: Any
) -> None:
    contact = linked["contact"]
    response = api(personas.manager_a).patch(
        f"/api/v1/contacts/{contact.pk}/",
        {"companies": [linked["visible"].pk, linked["hidden"].pk], "version": contact.version},
        format="json",
    )
    assert response.status_code in (400, 422)
    shows_nothing_unseen(response.content.decode())


def test_a_trashed_employer_comes_back_on_restore(
    personas: Personas, linked: dict[str, Any], client: Client
) -> None:
    contact = linked["contact"]
    # Any save while the company is in the trash...
    contact = contact_update(
        actor=personas.manager_a,
        contact=contact,
        version=contact.version,
        values={"preferences": "любит чай", "companies": [linked["visible"].pk]},
    )
    assert _jobs(contact) == ALL_JOBS
    # ...and the company's restoration shows the link again.
    trash_restore(actor=personas.admin, label="clients.company", pk=linked["trashed"].pk)
    client.force_login(personas.manager_a)
    card = page(client, f"/contacts/{contact.pk}/?tab=companies")
    assert TRASHED in card and HIDDEN not in card
    assert len(search.find(personas.manager_a, TRASHED)["contacts"].hits) == 2


@pytest.mark.parametrize("first_fence", [None, 100])
def test_own_record_is_found_among_many_hidden_namesakes(
    first_fence: int | None, personas: Personas, client: Client, api: Any, monkeypatch: Any
) -> None:
    if first_fence:  # the first pass reads too few documents to reach one's own: the second does
        from kartoteka.core.search import results

        monkeypatch.setattr(results, "FENCES", (first_fence, 100_000))
    branch_b = personas.manager_b.branch
    Contact.objects.bulk_create(
        [
            Contact(
                last_name="Петровский",
                first_name=f"Чужой{n}",
                owner=personas.manager_b,
                branch=branch_b,
            )
            for n in range(450)
        ]
    )
    mine = Contact.objects.create(
        last_name="Петровский",
        first_name="Свой",
        owner=personas.manager_a,
        branch=personas.manager_a.branch,
    )
    Company.objects.bulk_create(
        [
            Company(name=f"Петровский завод {n}", owner=personas.manager_b, branch=branch_b)
            for n in range(450)
        ]
    )
    own_company = Company.objects.create(
        name="Петровский рынок", owner=personas.manager_a, branch=personas.manager_a.branch
    )
    search.rebuild()
    found = search.find(personas.manager_a, "Петровский")
    assert [hit.id for hit in found["contacts"].hits] == [mine.pk]
    assert [hit.id for hit in found["companies"].hits] == [own_company.pk]
    loose = search.find(personas.manager_a, "Петровского")
    assert [hit.id for hit in loose["contacts"].hits] == [mine.pk]
    client.force_login(personas.manager_a)
    assert "Свой" in page(client, "/search/?q=Петровский")
    answer = api(personas.manager_a).get("/api/v1/search/", {"q": "Петровский"}).json()
    assert [hit["id"] for hit in answer["contacts"]] == [mine.pk]
    assert [hit["id"] for hit in answer["companies"]] == [own_company.pk]


def test_migration_takes_employers_out_of_existing_documents(
    personas: Personas, linked: dict[str, Any]
) -> None:
    import importlib

    from django.apps import apps

    from kartoteka.core.search.document import SearchDocument

    migration = importlib.import_module(
        "kartoteka.clients.migrations.0008_contact_documents_quote_no_employer"
    )
    contact = linked["contact"]
    document = SearchDocument.objects.get(kind="contact", object_id=contact.pk)
    fresh = document.body
    # A document written by the earlier code, quoting the employers.
    SearchDocument.objects.filter(pk=document.pk).update(body=fresh + " ооо скрытая")
    assert search.find(personas.manager_a, HIDDEN)["contacts"].hits
    migration.forward(apps, None)
    assert SearchDocument.objects.get(pk=document.pk).body == fresh
    assert search.find(personas.manager_a, HIDDEN)["contacts"].hits == []


def test_company_history_names_hidden_people_neutrally(personas: Personas, client: Client) -> None:
    from kartoteka.clients.services.merge import company_merge

    mine = company_create(actor=personas.manager_a, values={"name": "ООО «Моя»"})
    theirs = company_create(actor=personas.manager_b, values={"name": "ООО «Чужая»"})
    contact_create(
        actor=personas.manager_b,
        values={"last_name": "Скрытов", "companies": [theirs.pk]},
    )
    company_merge(
        actor=personas.admin,
        survivor=mine,
        other=theirs,
        version=mine.version,
        other_version=theirs.version,
    )
    client.force_login(personas.manager_a)
    history = page(client, f"/companies/{mine.pk}/timeline/")
    assert "Скрытов" not in history and "Чужая" not in history
    assert "hidden record" in history or "скрытая запись" in history
    client.force_login(personas.admin)
    history = page(client, f"/companies/{mine.pk}/timeline/")
    assert "Скрытов" in history and "Чужая" in history  # in the trash, seen by who sees it


def test_a_record_given_away_by_a_rule_answers_without_hidden_links(
    personas: Personas, linked: dict[str, Any], api: Any
) -> None:
    from kartoteka.records.services.group_rules import group_rule_save

    group_rule_save(
        actor=personas.admin,
        rule=None,
        values={
            "name": "Казань",
            "entity": "contacts",
            "field": "address",
            "operator": "equals",
            "value": "Казань",
            "effect": "set_owner",
            "owner": personas.manager_b,
        },
    )
    contact = linked["contact"]
    response = api(personas.manager_a).patch(
        f"/api/v1/contacts/{contact.pk}/",
        {"address": "Казань", "version": contact.version},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Contact.objects.get(pk=contact.pk).owner == personas.manager_b
    assert response.json()["companies"] == [linked["visible"].pk]
