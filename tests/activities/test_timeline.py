"""The card's timeline: every source merged newest first, filters, roll-up, keyset pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kartoteka.activities import timeline
from kartoteka.activities.services.activities import activity_create
from kartoteka.clients.models import Company
from kartoteka.clients.services.companies import company_create, company_update
from kartoteka.core.models import AuditEntry, RecordShare
from tests.activities.helpers import at, call, done_task
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def _audit_at(company: Company, minutes: int) -> None:
    """Put the company's audit entries at a known moment (the trail stamps the real clock)."""
    AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Company), object_id=company.pk
    ).update(at=at(minutes))


def _keys(page: timeline.Page) -> list[tuple[str, int]]:
    return [(item.source, item.id) for item in page.items]


def test_sources_merge_newest_first(personas: Personas) -> None:
    manager = personas.manager_a
    company = company_create(actor=manager, values={"name": "ООО «Хроника»"})
    _audit_at(company, 0)  # created at 09:00
    first = call(manager, at(10), company=company.pk, body="первый звонок")
    task = done_task(manager, at(20), company=company.pk, title="Отправить КП")
    company_update(
        actor=manager, company=company, version=company.version, values={"city": "Тверь"}
    )
    AuditEntry.objects.filter(object_id=company.pk, action="update").update(at=at(30))
    last = call(manager, at(40), company=company.pk, body="второй звонок")

    with translation.override("ru"):
        page = timeline.page(manager, company)

    assert [(i.source, i.type) for i in page.items] == [
        ("activity", "call"),
        ("change", "change"),
        ("task", "task"),
        ("activity", "call"),
        ("change", "change"),
    ]
    assert page.items[0].obj == last and page.items[2].obj == task and page.items[3].obj == first
    change = page.items[1].obj
    assert ("Город", "—", "Тверь") in change.lines  # worded by core.audit_text
    assert page.next is None


def test_keyset_pages_cover_everything_once_even_at_equal_times(personas: Personas) -> None:
    manager = personas.manager_a
    company = company_create(actor=manager, values={"name": "ООО «Ровно»"})
    company_update(actor=manager, company=company, version=1, values={"city": "Тверь"})
    _audit_at(company, 5)  # the creation and the change at the same moment
    for minute in (5, 5, 5, 7, 9, 9):  # ties within and across sources
        call(manager, at(minute), company=company.pk)
    for minute in (5, 9):
        done_task(manager, at(minute), company=company.pk)
    everything = _keys(timeline.page(manager, company, size=50))
    assert len(everything) == 10

    walked: list[tuple[str, int]] = []
    cursor = ""
    while True:
        page = timeline.page(manager, company, size=2, cursor=cursor)
        walked += _keys(page)
        if page.next is None:
            break
        cursor = page.next
    assert walked == everything


def test_a_companys_own_and_its_peoples_rows_merge_in_order_and_once(
    personas: Personas,
) -> None:
    """A company's rows and its people's are read as separate branches (one index each); the
    pages still interleave them in time order, a row about both shows once, nothing is lost."""
    manager = personas.manager_a
    company = CompanyFactory(owner=manager, name="ООО «Две ветки»")
    person = ContactFactory(owner=manager, company=company)
    other = ContactFactory(owner=manager, company=company)
    expected = [
        call(manager, at(1), company=company.pk),
        call(manager, at(2), contact=person.pk),
        call(manager, at(3), company=company.pk, contact=person.pk),  # about both
        call(manager, at(3), contact=other.pk),  # a tie across the branches
        call(manager, at(3), company=company.pk),
        call(manager, at(4), contact=other.pk),
        call(manager, at(5), contact=person.pk),
        call(manager, at(6), company=company.pk),
    ]
    expected.sort(key=lambda row: (row.occurred_at, row.pk), reverse=True)
    calls = timeline.Filters.read(["call"], None)

    walked: list[Any] = []
    cursor = ""
    with CaptureQueriesContext(connection) as captured:
        while True:
            page = timeline.page(manager, company, filters=calls, size=2, cursor=cursor)
            walked += [item.obj for item in page.items]
            if page.next is None:
                break
            cursor = page.next
    assert walked == expected
    # Neither branch is an OR of the other: PostgreSQL reads the whole table for that.
    for query in captured.captured_queries:
        sql = query["sql"]
        if 'FROM "activities_activity"' in sql and "ORDER BY" in sql:
            own = f'"activities_activity"."company_id" = {company.pk}' in sql
            assert not (own and '"clients_employment"' in sql), sql


def test_a_companys_planned_tasks_merge_its_own_and_its_peoples(personas: Personas) -> None:
    from kartoteka.activities.services.tasks import task_create

    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    person = ContactFactory(owner=manager, company=company)

    def task(title: str, **values: Any) -> Any:
        return task_create(actor=manager, values={"title": title, **values})

    third = task("Третья", due_date="2026-12-03", contact=person.pk)
    first = task("Первая", due_date="2026-12-01", company=company.pk)
    timed = task("С временем", due_at="2026-12-02T10:00:00+03:00", company=company.pk)
    second = task("Вторая", due_date="2026-12-02", contact=person.pk)
    undated = task("Без срока", contact=person.pk)
    page = timeline.page(manager, company, planned=True)
    assert page.planned == [first, timed, second, third, undated]


def test_a_cursor_it_did_not_give_is_refused(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    for token in ("zzz", "WzEsMiwzXQ", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgOSwgMV0"):
        with pytest.raises(timeline.BadCursor):
            timeline.page(personas.manager_a, company, cursor=token)


def test_filters_by_type_and_by_person(personas: Personas) -> None:
    manager, colleague = personas.manager_a, personas.colleague_a
    company = company_create(actor=manager, values={"name": "ООО «Фильтр»"})
    mine = call(manager, at(1), company=company.pk)
    activity_create(
        actor=manager,
        values={"type": "note", "occurred_at": at(2), "body": "заметка", "company": company.pk},
    )
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Company),
        object_id=company.pk,
        user=colleague,
        created_by=manager,
    )
    theirs = call(colleague, at(3), company=company.pk)
    done_task(manager, at(4), company=company.pk)

    calls = timeline.page(manager, company, filters=timeline.Filters.read(["call"], None))
    assert [i.obj for i in calls.items] == [theirs, mine]
    notes_and_tasks = timeline.page(
        manager, company, filters=timeline.Filters.read(["note", "task"], None)
    )
    assert [i.type for i in notes_and_tasks.items] == ["task", "note"]
    by_colleague = timeline.page(
        manager, company, filters=timeline.Filters.read([], str(colleague.pk))
    )
    assert [i.obj for i in by_colleague.items] == [theirs]
    changes = timeline.page(manager, company, filters=timeline.Filters.read(["change"], None))
    assert {i.source for i in changes.items} == {"change"}
    unknown = timeline.Filters.read(["nonsense"], "abc")
    assert unknown.types == frozenset() and unknown.person is None


def test_people_roll_up_into_their_company_only_as_far_as_the_reader_sees_them(
    personas: Personas,
) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager, name="ООО «Свод»")
    seen = ContactFactory(owner=manager, last_name="Виденов", company=company)
    hidden = ContactFactory(owner=personas.manager_b, last_name="Скрытнов", company=company)
    elsewhere = ContactFactory(owner=manager, last_name="Посторонний")
    about_seen = call(manager, at(1), contact=seen.pk)
    call(personas.manager_b, at(2), contact=hidden.pk)
    call(manager, at(3), contact=elsewhere.pk)
    on_company = call(manager, at(4), company=company.pk, contact=seen.pk)

    page = timeline.page(manager, company, filters=timeline.Filters.read(["call"], None))
    assert [i.obj for i in page.items] == [on_company, about_seen]
    assert page.items[1].via == seen and page.items[0].via == seen
    # manager_b sees the hidden person's call in the company's timeline? Not the company itself:
    head_page = timeline.page(personas.head, company, filters=timeline.Filters.read(["call"], None))
    assert len(head_page.items) == 3  # the head sees every person of the company
    # The person's own timeline has only what is about them.
    assert [i.obj for i in timeline.page(manager, seen).items if i.source == "activity"] == [
        on_company,
        about_seen,
    ]


def test_planned_tasks_show_above_the_history(personas: Personas) -> None:
    from kartoteka.activities.services.tasks import task_create

    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    later = task_create(actor=manager, values={"title": "Позже", "due_date": "2026-12-10"})
    soon = task_create(
        actor=manager, values={"title": "Скоро", "due_date": "2026-12-01", "company": company.pk}
    )
    undated = task_create(actor=manager, values={"title": "Когда-нибудь", "company": company.pk})
    page = timeline.page(manager, company, planned=True)
    assert page.planned == [soon, undated] and later not in page.planned


def test_every_name_an_entry_shows_is_on_the_page(client: Client, personas: Personas) -> None:
    """Authors, people, companies, participants and assignees are read once for the page (not
    joined into each source's statement): every one of them still shows, on both cards and in
    the API."""
    from kartoteka.activities.services.activities import activity_log
    from kartoteka.activities.services.tasks import task_create

    manager, teammate = personas.manager_a, personas.teammate_a
    company = CompanyFactory(owner=manager, name="ООО «Перечень»")
    person = ContactFactory(owner=manager, last_name="Называев", company=company)
    meeting, step = activity_log(
        actor=manager,
        values={
            "type": "meeting",
            "occurred_at": at(3),
            "subject": "Смотрины",
            "company": company.pk,
            "contact": person.pk,
            "participants": [manager.pk, teammate.pk],
        },
        next_step={"title": "Выслать счёт", "due_date": "2026-12-20", "assignee": teammate.pk},
    )
    done_task(manager, at(2), title="Сверка", company=company.pk, assignee=teammate.pk)
    task_create(
        actor=manager,
        values={"title": "Перезвонить", "company": company.pk, "assignee": teammate.pk},
    )

    def name(user: Any) -> str:
        return str(user.get_full_name() or user.username)

    client.force_login(manager)
    fragment = {"HX-Request": "true"}
    on_company = client.get(f"/companies/{company.pk}/timeline/", headers=fragment)
    text = on_company.content.decode()
    meeting_row = text[text.index(f'id="tl-activity-{meeting.pk}"') :]
    meeting_row = meeting_row[: meeting_row.index("</li>")]
    assert name(manager) in meeting_row and name(teammate) in meeting_row  # author, participants
    assert person.full_name in meeting_row  # the person it was with
    assert "Выслать счёт" in meeting_row and meeting_row.count(name(teammate)) == 2  # + assignee
    planned = text[text.index('class="card timeline-planned"') :]
    assert "Перезвонить" in planned[: planned.index("</section>")]
    assert name(teammate) in planned[: planned.index("</section>")]
    done_row = text[text.index('class="tl-item tl-task') :]
    assert "Сверка" in done_row and name(manager) in done_row[: done_row.index("</li>")]

    on_person = client.get(f"/contacts/{person.pk}/timeline/", headers=fragment).content.decode()
    assert "ООО «Перечень»" in on_person and f"/companies/{company.pk}/" in on_person

    api = client.get(f"/api/v1/contacts/{person.pk}/timeline/").json()["results"]
    listed = next(item for item in api if item["kind"] == "activity")
    assert set(listed["activity"]["participants"]) == {manager.pk, teammate.pk}
    assert listed["activity"]["next_steps"] == [step.pk]
    assert listed["person"] == {"id": manager.pk, "name": name(manager)}


def _count(callable_: Any) -> int:
    callable_()
    with CaptureQueriesContext(connection) as captured:
        response = callable_()
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries)


def _grow(personas: Personas, company: Company, person: Any, rows: int, start: int) -> None:
    manager = personas.manager_a
    for n in range(rows):
        call(manager, at(start + n), company=company.pk, body=f"звонок {n}")
        call(manager, at(start + n), contact=person.pk, body=f"звонок лицу {n}")
        done_task(manager, at(start + n), company=company.pk, title=f"задача {n}")
        company_update(
            actor=manager, company=company, version=company.version, values={"city": f"Город {n}"}
        )
        company.refresh_from_db()


@pytest.mark.parametrize(
    "url",
    [
        "/companies/{company}/timeline/",
        "/companies/{company}/timeline/?type=call&type=change",
        "/contacts/{contact}/timeline/",
        "/companies/{company}/?tab=timeline",
        "/api/v1/companies/{company}/timeline/",
        "/api/v1/contacts/{contact}/timeline/?limit=200",
    ],
)
def test_timeline_queries_do_not_grow_with_history(
    url: str, personas: Personas, client: Client
) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    person = ContactFactory(owner=manager, company=company)
    client.force_login(manager)
    address = url.format(company=company.pk, contact=person.pk)
    fragment = {"HX-Request": "true"}
    _grow(personas, company, person, 3, 0)
    small = _count(lambda: client.get(address, headers=fragment))
    _grow(personas, company, person, 40, 100)
    large = _count(lambda: client.get(address, headers=fragment))
    assert large <= small, f"{address}: {small} queries with 3 of each, {large} with 43"
    # ... and the next page too.
    page = client.get(address, headers=fragment)
    assert page.status_code == 200


def test_scrolling_to_the_end_loads_the_next_page_in_place(
    personas: Personas, client: Client
) -> None:
    manager = personas.manager_a
    company = CompanyFactory(owner=manager)
    for n in range(timeline.PAGE + 5):
        call(manager, at(n), company=company.pk, body=f"звонок №{n}")
    client.force_login(manager)
    url = f"/companies/{company.pk}/timeline/"
    first = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "звонок №24" in first and "звонок №4<" not in first
    loader = first.split('class="timeline-more" hx-get="', 1)[1].split('"', 1)[0]
    assert 'hx-trigger="revealed"' in first and "cursor=" in loader
    more = client.get(loader.replace("&amp;", "&"), headers={"HX-Request": "true"})
    text = more.content.decode()
    assert "timeline-root" not in text  # only the items, appended where the loader was
    assert "звонок №4<" in text and "звонок №0<" in text and "звонок №5<" not in text
    assert "timeline-more" not in text  # the end
    # Without JavaScript the same address is a page with a "Load more" link.
    page = client.get(loader.replace("&amp;", "&")).content.decode()
    assert "<html" in page and "звонок №0<" in page
