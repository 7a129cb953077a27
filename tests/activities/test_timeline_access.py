"""Persona tests: a timeline shows exactly what its reader may see, on pages and in the API."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.test import Client

from kartoteka.accounts.models import Role, RoleGrant, User
from kartoteka.activities import queries, timeline
from kartoteka.activities.models import Activity
from kartoteka.clients.models import Company
from kartoteka.core import access
from kartoteka.core.models import RecordShare
from tests.activities.helpers import at, call
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

HTMX = {"HX-Request": "true"}


def _share(company: Company, user: Any, by: Any) -> None:
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Company),
        object_id=company.pk,
        user=user,
        created_by=by,
    )


def test_a_manager_sees_a_colleagues_call_on_a_shared_client_not_one_on_a_hidden_client(
    client: Client, personas: Personas, api: Any
) -> None:
    colleague, manager = personas.colleague_a, personas.manager_a
    shared = CompanyFactory(owner=colleague, name="ООО «Общая»")
    _share(shared, manager, colleague)
    hidden = CompanyFactory(owner=personas.manager_b, name="ООО «Казанская тайна»")
    call(colleague, at(1), company=shared.pk, body="звонок коллеги об общей")
    call(personas.manager_b, at(2), company=hidden.pk, body="тайный звонок")

    client.force_login(manager)
    fragment = client.get(f"/companies/{shared.pk}/timeline/", headers=HTMX).content.decode()
    assert "звонок коллеги об общей" in fragment
    assert 'href="/activities/' not in fragment  # not theirs to edit or delete
    assert client.get(f"/companies/{hidden.pk}/timeline/").status_code == 404
    assert client.get(f"/companies/{hidden.pk}/log/call/").status_code == 404
    answer = api(manager).get(f"/api/v1/companies/{shared.pk}/timeline/").json()
    assert [item["activity"]["body"] for item in answer["results"]] == ["звонок коллеги об общей"]
    missing = api(manager).get(f"/api/v1/companies/{hidden.pk}/timeline/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert "тайный" not in missing.content.decode()


def test_a_call_about_a_hidden_person_never_shows_on_a_visible_company(
    personas: Personas, client: Client
) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    secret = ContactFactory(owner=personas.manager_b, last_name="Скрытнов", company=company)
    call(personas.head, at(1), company=company.pk, contact=secret.pk, body="про Скрытнова")
    call(personas.manager_b, at(2), contact=secret.pk, body="лично Скрытнову")
    assert timeline.page(manager, company).items == []
    client.force_login(manager)
    text = client.get(f"/companies/{company.pk}/timeline/", headers=HTMX).content.decode()
    assert "Скрытнов" not in text
    # The head of sales sees both, and whose they are.
    assert len(timeline.page(personas.head, company).items) == 2


def test_trashed_activities_leave_the_timeline(personas: Personas) -> None:
    from kartoteka.activities.services.activities import activity_trash

    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    gone = call(manager, at(1), company=company.pk)
    activity_trash(actor=manager, activity=gone)
    assert timeline.page(manager, company).items == []


def test_the_api_pages_newest_first_with_a_cursor(personas: Personas, api: Any) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    person = ContactFactory(owner=manager, company=company, last_name="Лицов")
    made = [call(manager, at(n), company=company.pk, body=f"звонок {n}") for n in range(5)]
    about_person = call(manager, at(10), contact=person.pk, body="лицу")
    client = api(manager)
    first = client.get(f"/api/v1/companies/{company.pk}/timeline/?limit=4").json()
    assert [item["id"] for item in first["results"]] == [
        about_person.pk,
        made[4].pk,
        made[3].pk,
        made[2].pk,
    ]
    item = first["results"][0]
    assert item["kind"] == "activity" and item["type"] == "call"
    assert item["contact"] == person.pk and item["company"] is None
    assert item["person"] == {"id": manager.pk, "name": manager.get_full_name()}
    assert first["next"].startswith("http://testserver/api/v1/companies/")
    second = client.get(first["next"]).json()
    assert [item["id"] for item in second["results"]] == [made[1].pk, made[0].pk]
    assert second["next"] is None
    only_person = client.get(f"/api/v1/contacts/{person.pk}/timeline/").json()
    assert [item["id"] for item in only_person["results"]] == [about_person.pk]
    calls = client.get(f"/api/v1/companies/{company.pk}/timeline/?type=note&type=task").json()
    assert calls["results"] == []
    bad = client.get(f"/api/v1/companies/{company.pk}/timeline/?cursor=nonsense")
    assert bad.status_code == 400 and "cursor" in bad.json()["error"]["fields"]
    assert client.get(f"/api/v1/companies/{company.pk}/timeline/?limit=0").status_code == 400


def test_the_timeline_is_in_the_openapi_schema(personas: Personas, api: Any) -> None:
    schema = api(personas.manager_a).get("/api/v1/schema/?format=json").json()
    for path in ("/api/v1/companies/{id}/timeline/", "/api/v1/contacts/{id}/timeline/"):
        assert path in schema["paths"], sorted(schema["paths"])[:50]
        operation = schema["paths"][path]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"cursor", "limit", "type", "person", "id"} <= names


def test_each_persona_is_offered_edit_and_delete_exactly_where_the_role_allows(
    client: Client, personas: Personas
) -> None:
    # A company the whole Moscow branch works with; calls by people of every scope, one of
    # them shared with the manager by its author (a share grants editing, never deleting).
    company = CompanyFactory(owner=personas.manager_a, branch=personas.branch_a)
    for persona in (personas.teammate_a, personas.colleague_a, personas.head):
        _share(company, persona, personas.manager_a)
    authors = [
        personas.manager_a,
        personas.teammate_a,
        personas.colleague_a,
        personas.head,
        personas.branch_head_a,
    ]
    calls = {
        author.username: call(author, at(n), company=company.pk) for n, author in enumerate(authors)
    }
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Activity),
        object_id=calls[personas.colleague_a.username].pk,
        user=personas.manager_a,
        created_by=personas.colleague_a,
    )
    offered_somewhere = {"edit": False, "refused_somewhere": False}
    for name, persona in vars(personas).items():
        if not isinstance(persona, User):
            continue
        client.force_login(persona)
        response = client.get(f"/companies/{company.pk}/timeline/", headers=HTMX)
        if response.status_code == 404:
            continue
        fragment = response.content.decode()
        for item in response.context["page"].items:
            activity = item.obj
            edit = access.can(persona, "edit", activity)  # the rule asked of the database
            delete = access.can(persona, "delete", activity)
            offered = f'href="/activities/{activity.pk}/edit/?next=' in fragment
            assert offered == edit, (name, activity.owner)
            offered = f'action="/activities/{activity.pk}/delete/"' in fragment
            assert offered == delete, (name, activity.owner)
            opened = client.get(f"/activities/{activity.pk}/edit/").status_code
            assert (opened == 200) == edit, (name, activity.owner, opened)
            offered_somewhere["edit"] |= edit
            offered_somewhere["refused_somewhere"] |= not edit
    # The case is not vacuous: some readers may edit some calls, and some may not.
    assert offered_somewhere == {"edit": True, "refused_somewhere": True}


def test_edit_and_delete_rights_of_a_page_cost_at_most_one_team_and_one_share_query(
    personas: Personas, django_assert_max_num_queries: Any
) -> None:
    # Calls by everyone in a branch, one shared: the team and the shares are each read once
    # for both actions, whoever reads and however many rows there are.
    # A team lead may edit and delete the team's calls: the case where the team is asked.
    lead = Role.objects.create(code="team_lead", name="Team lead")
    for action in ("edit", "delete"):
        RoleGrant.objects.create(role=lead, entity="activities", action=action, scope="team")
    personas.teammate_a.roles.add(lead)
    company = CompanyFactory(owner=personas.manager_a, branch=personas.branch_a)
    for persona in (personas.teammate_a, personas.colleague_a, personas.head):
        _share(company, persona, personas.manager_a)
    rows = [
        call(author, at(n), company=company.pk)
        for n, author in enumerate(
            [personas.manager_a, personas.teammate_a, personas.colleague_a, personas.head] * 5
        )
    ]
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Activity),
        object_id=rows[2].pk,
        user=personas.manager_a,
        created_by=personas.colleague_a,
    )
    for persona in vars(personas).values():
        if not isinstance(persona, User):
            continue
        access.grants(persona)  # the role's grants are read once per request anyway
        with django_assert_max_num_queries(2):
            edit, delete = queries.may_change(persona, rows)
        assert edit == {row.pk for row in rows if access.can(persona, "edit", row)}
        assert delete == {row.pk for row in rows if access.can(persona, "delete", row)}
    assert queries.may_change(personas.teammate_a, rows)[1] == {
        row.pk for row in rows if row.owner in (personas.manager_a, personas.teammate_a)
    }


def test_a_page_of_a_company_whose_newest_rows_are_about_a_hidden_person_is_still_full(
    personas: Personas,
) -> None:
    # The newest 50 calls are about a person the manager may not see; 25 older ones are on the
    # company itself: the first page holds the 20 newest visible ones, the second the rest.
    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    secret = ContactFactory(owner=personas.manager_b, company=company)
    visible = [call(manager, at(n), company=company.pk).pk for n in range(25)]
    for n in range(50):
        call(personas.head, at(100 + n), contact=secret.pk)
    first = timeline.page(manager, company)
    assert [item.id for item in first.items] == visible[::-1][:20]
    assert first.next is not None
    rest = timeline.page(manager, company, cursor=first.next)
    assert [item.id for item in rest.items] == visible[::-1][20:]
    assert len(timeline.page(personas.head, company).items) == 20


def test_a_task_set_about_a_hidden_person_does_not_name_them_on_a_visible_company(
    personas: Personas, client: Client
) -> None:
    """The head sets the manager a task about a person the manager may not see: the manager
    sees the task (it is theirs), on the company's timeline and in its plan, but not whom it
    was about: neither the name nor the id."""
    from kartoteka.activities.services.tasks import task_create
    from tests.activities.helpers import done_task

    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    secret = ContactFactory(owner=personas.manager_b, last_name="Скрытнов", company=company)
    done_task(personas.head, at(1), title="Сделано", contact=secret.pk, assignee=manager.pk)
    task_create(
        actor=personas.head,
        values={"title": "Впереди", "contact": secret.pk, "assignee": manager.pk},
    )
    client.force_login(manager)
    text = client.get(f"/companies/{company.pk}/timeline/", headers=HTMX).content.decode()
    assert "Сделано" in text and "Впереди" in text
    assert "Скрытнов" not in text and f"/contacts/{secret.pk}/" not in text
    items = client.get(f"/api/v1/companies/{company.pk}/timeline/").json()["results"]
    tasks = [item for item in items if item["kind"] == "task"]
    assert tasks and all(item["contact"] is None for item in tasks)
