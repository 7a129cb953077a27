"""An activity's own page (where the audit log leads): what happened in words, the client it
was with as far as the reader may see them, and Edit only for those who may change it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.accounts.models import User
from kartoteka.activities.models import Activity
from kartoteka.activities.views.pages import PAGE
from kartoteka.core import access
from tests.activities.helpers import at, call
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def test_the_page_says_what_happened_in_words(personas: Personas, client: Client) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Ромашка»")
    person = ContactFactory(owner=personas.manager_a, last_name="Громов", company=company)
    activity = call(
        personas.manager_a,
        at(0),
        company=company.pk,
        contact=person.pk,
        subject="Сверка",
        body="Договорились о сверке.",
        direction="out",
        duration=125,
        outcome="reached",
    )
    User.objects.filter(pk=personas.manager_a.pk).update(language="ru")
    client.force_login(personas.manager_a)
    page = client.get(f"/activities/{activity.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    for shown in ("Сверка", "Звонок", "исходящий", "дозвонился", "2 мин 5 с", "02.11.2026"):
        assert shown in text, shown
    assert f'href="/companies/{company.pk}/"' in text and "ООО «Ромашка»" in text
    assert f'href="/contacts/{person.pk}/"' in text
    assert "Договорились о сверке." in text
    # Codes and empty fields are not shown as such.
    assert ">out<" not in text and ">reached<" not in text and "Что спрашивали" not in text
    assert f'href="/activities/{activity.pk}/edit/?next=' in text


def test_each_persona_sees_it_with_its_client_or_not_at_all_and_edit_where_allowed(
    personas: Personas, client: Client
) -> None:
    """An activity exists for a reader only while its client does (both its company and its
    person): one about a person hidden from them is a 404, never a page without the name."""
    company = CompanyFactory(owner=personas.manager_a, branch=personas.branch_a)
    secret = ContactFactory(owner=personas.manager_b, last_name="Скрытнов")
    mine = call(personas.manager_a, at(0), company=company.pk, subject="Мой звонок")
    about_secret = call(personas.head, at(1), company=company.pk, contact=secret.pk)
    assert about_secret.contact_id == secret.pk
    offered = {True: 0, False: 0}
    for name, persona in vars(personas).items():
        if not isinstance(persona, User):
            continue
        client.force_login(persona)
        for activity in (mine, about_secret):
            page = client.get(f"/activities/{activity.pk}/")
            sees = access.can(persona, "view", activity)
            if activity == about_secret:
                assert sees <= access.can(persona, "view", secret), name
            assert page.status_code == (200 if sees else 404), (name, activity.pk)
            if not sees:
                continue
            text = page.content.decode()
            if activity == about_secret:
                assert "Скрытнов" in text, name
            may_edit = access.can(persona, "edit", activity)
            assert (f"/activities/{activity.pk}/edit/" in text) == may_edit, name
            offered[may_edit] += 1
    assert offered[True] and offered[False]  # both cases were met


def test_the_page_costs_a_bounded_number_of_queries(personas: Personas, client: Client) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    person = ContactFactory(owner=personas.manager_a, company=company)
    activity = call(personas.manager_a, at(0), company=company.pk, contact=person.pk)
    for persona in (personas.manager_a, personas.head, personas.admin):
        client.force_login(persona)
        client.get(f"/activities/{activity.pk}/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/activities/{activity.pk}/").status_code == 200
        assert len(captured) <= 10, [q["sql"][:100] for q in captured]


def test_a_meeting_with_participants_lists_them(personas: Personas, client: Client) -> Any:
    company = CompanyFactory(owner=personas.manager_a)
    meeting = call(personas.manager_a, at(0), company=company.pk, type="meeting", place="Офис")
    meeting.participants.set([personas.teammate_a])
    client.force_login(personas.manager_a)
    text = client.get(f"/activities/{meeting.pk}/").content.decode()
    assert "Офис" in text and personas.teammate_a.get_full_name() in text


def test_the_list_pages_through_every_activity_once_newest_first(
    personas: Personas, client: Client
) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Листаем»")
    made = [call(personas.manager_a, at(n // 2), company=company.pk) for n in range(PAGE + 7)]
    hidden = CompanyFactory(owner=personas.manager_b)
    call(personas.manager_b, at(999), company=hidden.pk, subject="Чужой звонок")
    client.force_login(personas.manager_a)
    seen: list[int] = []
    url: str | None = "/activities/"
    while url:
        page = client.get(url)
        assert page.status_code == 200
        seen += [row.pk for row in page.context["rows"]]
        assert "Чужой звонок" not in page.content.decode()
        assert "ООО «Листаем»" in page.content.decode()
        older = page.context["older"]
        url = f"/activities/?{urlencode({'before': older})}" if older else None
    newest_first = sorted(made, key=lambda a: (a.occurred_at, a.pk), reverse=True)
    assert seen == [a.pk for a in newest_first]


def test_the_list_costs_the_same_queries_for_few_rows_and_many(
    personas: Personas, client: Client
) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    person = ContactFactory(owner=personas.manager_a, company=company)
    client.force_login(personas.manager_a)
    counts = []
    for rows in (3, PAGE + 3):
        while Activity.objects.count() < rows:
            call(
                personas.manager_a,
                at(Activity.objects.count()),
                company=company.pk,
                contact=person.pk,
            )
        client.get("/activities/")
        with CaptureQueriesContext(connection) as captured:
            client.get("/activities/")
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_a_position_the_list_did_not_give_starts_from_the_top(
    personas: Personas, client: Client
) -> None:
    call(personas.admin, at(0), company=CompanyFactory(owner=personas.admin).pk)
    client.force_login(personas.admin)
    for junk in ("x", "2026-11-02T09:00:00_abc", "2026-11-02T09:00:00_5", "_" * 300, "9" * 40):
        page = client.get("/activities/", {"before": junk})
        assert page.status_code == 200 and len(page.context["rows"]) == 1, junk
