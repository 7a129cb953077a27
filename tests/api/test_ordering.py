"""``?ordering=`` on API lists: the pages' sort columns, DRF's convention, keyset cursors that
walk every row once in order (ties by id, NULL after every value), filters and scoping kept, an
unknown column refused by name."""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kartoteka.activities.models import Activity, CalendarEvent, Task
from kartoteka.activities.services.activities import activity_create
from kartoteka.activities.services.events import event_create
from kartoteka.activities.services.tasks import task_create
from kartoteka.clients.models import Company, Contact
from kartoteka.core.models import Record
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

MOMENT = datetime.datetime(2026, 3, 2, 7, 30, tzinfo=datetime.UTC)
#: nine rows' values: every one repeats, so ties fall across page boundaries (pages of two)
NAMES = [
    "Борисов",
    "Антонов",
    "Борисов",
    "Васильев",
    "Антонов",
    "Борисов",
    "Антонов",
    "Гусев",
    "Борисов",
]
HOURS = [2, 0, 1, 2, 0, 1, 2, 2, 0]
ROWS = len(NAMES)


def _moment(i: int) -> datetime.datetime:
    return MOMENT + datetime.timedelta(hours=HOURS[i % ROWS])


def _stamp(model: type[Record], pk: int, i: int) -> None:
    # Added and changed moments that tie too (services stamp "now", all but equal).
    model.all_objects.filter(pk=pk).update(  # type: ignore[attr-defined]
        created_at=_moment(i * 2), updated_at=_moment(i * 5)
    )


def _companies(owner: Any) -> list[int]:
    made = []
    for i in range(ROWS):
        company = CompanyFactory(
            owner=owner,
            name=NAMES[i],
            status=["client", "prospect", "former"][i % 3],
            city=["Казань", "", "Москва"][(i // 2) % 3],
        )
        _stamp(Company, company.pk, i)
        made.append(company.pk)
    return made


def _contacts(owner: Any) -> list[int]:
    made = []
    for i in range(ROWS):
        contact = ContactFactory(owner=owner, last_name=NAMES[i])
        _stamp(Contact, contact.pk, i)
        made.append(contact.pk)
    return made


def _activities(owner: Any) -> list[int]:
    company = CompanyFactory(owner=owner)
    made = []
    for i in range(ROWS):
        values = {
            "type": "call",
            "company": company.pk,
            "subject": ["", *NAMES][i % 4],
            "occurred_at": _moment(i + 1).isoformat(),
        }
        activity = activity_create(actor=owner, values=values)
        _stamp(Activity, activity.pk, i)
        made.append(activity.pk)
    return made


def _tasks(owner: Any) -> list[int]:
    made = []
    for i in range(ROWS):
        values: dict[str, Any] = {"title": NAMES[i], "priority": ["high", "low", "normal"][i % 3]}
        due = [None, "2026-03-03", "2026-03-04"][(i // 2) % 3]
        if due is not None:  # a third of the tasks have no due date: NULL
            values["due_date"] = due
        task = task_create(actor=owner, values=values)
        _stamp(Task, task.pk, i)
        made.append(task.pk)
    return made


def _events(owner: Any) -> list[int]:
    made = []
    for i in range(ROWS):
        starts = _moment(i + 4)
        values = {
            "title": NAMES[(i * 4) % ROWS],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + datetime.timedelta(hours=1)).isoformat(),
        }
        event = event_create(actor=owner, values=values)
        _stamp(CalendarEvent, event.pk, i)
        made.append(event.pk)
    return made


#: path -> (model, rows maker, the columns the pages sort by, the default order)
KINDS: dict[str, tuple[type[Record], Callable[[Any], list[int]], tuple[str, ...]]] = {
    "companies": (Company, _companies, ("name", "status", "city", "created_at", "updated_at")),
    "contacts": (Contact, _contacts, ("last_name", "created_at", "updated_at")),
    "activities": (Activity, _activities, ("occurred_at", "subject", "created_at", "updated_at")),
    "tasks": (Task, _tasks, ("title", "due_date", "priority", "created_at", "updated_at")),
    "events": (CalendarEvent, _events, ("title", "starts_at", "created_at", "updated_at")),
}
CASES = [(path, column) for path, (_m, _r, columns) in KINDS.items() for column in (*columns, "id")]


def walk(client: Any, url: str) -> list[int]:
    """Every row's id, following ``next`` from ``url`` to the end."""
    seen: list[int] = []
    next_url: str | None = url
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.content[:500]
        page = response.json()
        assert len(page["results"]) <= 2
        seen += [row["id"] for row in page["results"]]
        next_url = page["next"]
    return seen


def walk_back(client: Any, url: str) -> list[int]:
    """From the last page of ``url`` back to the first by ``previous``: the ids in list order."""
    page = client.get(url).json()
    while page["next"]:
        page = client.get(page["next"]).json()
    seen = [row["id"] for row in page["results"]]
    while page["previous"]:
        page = client.get(page["previous"]).json()
        seen = [row["id"] for row in page["results"]] + seen
    return seen


def expected(model: type[Record], ids: list[int], columns: list[tuple[str, bool]]) -> list[int]:
    """``ids`` in the order of ``columns`` ((name, descending)): NULL after every value, ties by
    id in the last column's direction."""
    names = [name for name, _descending in columns]
    rows = {row["id"]: row for row in model.all_objects.filter(pk__in=ids).values("id", *names)}  # type: ignore[attr-defined]
    order = sorted(ids, reverse=columns[-1][1])
    for name, descending in reversed(columns):
        order.sort(key=lambda pk: (rows[pk][name] is None, rows[pk][name]), reverse=descending)
    return order


@pytest.mark.parametrize(("path", "column"), CASES)
def test_a_list_sorted_by_each_column_walks_every_row_once_in_order(
    path: str, column: str, personas: Personas, api: Any
) -> None:
    model, make, _columns = KINDS[path]
    mine = make(personas.manager_a)
    client = api(personas.manager_a)
    for descending in (False, True):
        ordering = f"-{column}" if descending else column
        url = f"/api/v1/{path}/?limit=2&ordering={ordering}"
        want = expected(model, mine, [(column, descending)])
        assert walk(client, url) == want, ordering
        assert walk_back(client, url) == want, ordering


@pytest.mark.parametrize(
    ("path", "ordering"),
    [
        ("companies", "status,-name"),
        ("companies", "-city,created_at"),
        ("tasks", "due_date,-priority"),
        ("tasks", "-due_date,title,-created_at"),
        ("activities", "subject,-occurred_at"),
    ],
)
def test_several_columns_sort_in_turn(
    path: str, ordering: str, personas: Personas, api: Any
) -> None:
    model, make, _columns = KINDS[path]
    mine = make(personas.manager_a)
    columns = [(name.lstrip("-"), name.startswith("-")) for name in ordering.split(",")]
    client = api(personas.manager_a)
    url = f"/api/v1/{path}/?limit=2&ordering={ordering}"
    assert walk(client, url) == expected(model, mine, columns)
    assert walk_back(client, url) == expected(model, mine, columns)


def test_a_manager_sees_only_their_records_sorted_and_filtered(
    personas: Personas, api: Any
) -> None:
    mine = _companies(personas.manager_a)
    _companies(personas.teammate_a)
    _companies(personas.manager_b)
    client = api(personas.manager_a)
    clients = list(
        Company.objects.filter(pk__in=mine, status="client").values_list("pk", flat=True)
    )
    assert walk(client, "/api/v1/companies/?limit=2&status=client&ordering=-name") == expected(
        Company, clients, [("name", True)]
    )
    assert walk(client, "/api/v1/contacts/?limit=2&ordering=last_name") == []
    people = _contacts(personas.manager_a)
    _contacts(personas.colleague_a)
    query = urlencode({"limit": 2, "q": "Борисов", "ordering": "-last_name,created_at"})
    found = walk(client, f"/api/v1/contacts/?{query}")
    borisovs = [pk for pk in people if Contact.objects.get(pk=pk).last_name == "Борисов"]
    assert found == expected(Contact, borisovs, [("last_name", True), ("created_at", False)])


def test_tasks_sorted_by_due_date_put_those_without_one_last(personas: Personas, api: Any) -> None:
    _tasks(personas.manager_a)
    client = api(personas.manager_a)
    undated = Task.objects.filter(due_date__isnull=True).count()
    assert undated == 4
    dues = [
        Task.objects.get(pk=pk).due_date
        for pk in walk(client, "/api/v1/tasks/?limit=2&ordering=due_date")
    ]
    assert dues == sorted(d for d in dues if d) + [None] * undated
    dues = [
        Task.objects.get(pk=pk).due_date
        for pk in walk(client, "/api/v1/tasks/?limit=2&ordering=-due_date")
    ]
    assert dues == [None] * undated + sorted((d for d in dues if d), reverse=True)


def test_without_ordering_each_list_keeps_its_own_order(personas: Personas, api: Any) -> None:
    activities = _activities(personas.manager_a)  # and their company
    _companies(personas.manager_a)
    events = _events(personas.manager_a)
    client = api(personas.manager_a)
    companies = Company.objects.filter(owner=personas.manager_a).values_list("pk", flat=True)
    assert walk(client, "/api/v1/companies/?limit=2") == sorted(companies, reverse=True)
    assert walk(client, "/api/v1/activities/?limit=2") == expected(
        Activity, activities, [("occurred_at", True)]
    )
    assert walk(client, "/api/v1/events/?limit=2") == expected(
        CalendarEvent, events, [("starts_at", False)]
    )


# --- Refusals ------------------------------------------------------------------------------------


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    error = response.json()["error"]
    assert {"code", "message", "fields"} <= set(error)
    return error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "/api/v1/contacts/?ordering=foo",
            "Unknown column 'foo'; allowed: "
            "last_name, first_name, middle_name, created_at, updated_at, id.",
        ),
        (
            # A column of the model that the list's pages do not sort by.
            "/api/v1/contacts/?ordering=last_name,-birthday",
            "Unknown column 'birthday'; allowed: "
            "last_name, first_name, middle_name, created_at, updated_at, id.",
        ),
        (
            "/api/v1/companies/?ordering=-inn",
            "Unknown column 'inn'; allowed: name, status, city, created_at, updated_at, id.",
        ),
        (
            "/api/v1/tasks/?ordering=owner__password",
            "Unknown column 'owner__password'; allowed: "
            "title, due_date, priority, created_at, updated_at, id.",
        ),
        ("/api/v1/users/?ordering=last_name", "Unknown column 'last_name'; allowed: id."),
        ("/api/v1/companies/?ordering=name,-name", "The column 'name' is given twice."),
    ],
)
def test_an_unknown_column_is_a_400_naming_it(
    url: str, message: str, personas: Personas, api: Any
) -> None:
    CompanyFactory(owner=personas.admin)
    error = _error(api(personas.admin).get(url, HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert error["code"] == "invalid"
    assert error["fields"] == {"ordering": [message]}


def test_the_refusal_is_in_the_callers_language(personas: Personas, api: Any) -> None:
    response = api(personas.admin).get("/api/v1/contacts/?ordering=foo", HTTP_ACCEPT_LANGUAGE="ru")
    (message,) = _error(response, 400)["fields"]["ordering"]
    assert "foo" in message and "last_name" in message
    assert "Unknown" not in message


def _token(data: Any) -> str:
    raw = json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        {"o": "last_name,pk", "r": False, "v": [None, 1]},  # NULL where the column has none
        {"o": "created_at,pk", "r": False, "v": ["вчера", 1]},  # text where a moment goes
        {"o": "created_at,pk", "r": False, "v": ["2026-03-02T10:00:00", 1]},  # no offset
        {"o": "created_at,pk", "r": False, "v": ["9999-12-31T23:00:00-21:28", 1]},  # overflows
        {"o": "last_name,pk", "r": False, "v": ["Антонов", 2**64]},  # an id beyond 64 bits
        {"o": "last_name,pk", "r": False, "v": ["Антонов"]},  # the id missing
        {"o": "last_name,pk", "r": False, "v": [["Антонов"], 1]},
        {"o": "last_name,pk", "r": False, "v": ["Антонов\x00", 1]},  # a NUL: PostgreSQL refuses
        {"o": "last_name,pk", "r": "yes", "v": ["Антонов", 1]},
        ["Антонов", 1],
    ],
)
def test_a_cursor_the_api_did_not_give_is_a_400(cursor: Any, personas: Personas, api: Any) -> None:
    ContactFactory(owner=personas.manager_a)
    ordering = cursor["o"].split(",")[0] if isinstance(cursor, dict) else "last_name"
    response = api(personas.manager_a).get(
        "/api/v1/contacts/", {"ordering": ordering, "cursor": _token(cursor)}
    )
    assert "cursor" in _error(response, 400)["fields"]


def test_a_cursor_of_another_order_is_a_400(personas: Personas, api: Any) -> None:
    _contacts(personas.manager_a)
    client = api(personas.manager_a)
    first = client.get("/api/v1/contacts/?limit=2&ordering=last_name").json()
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    response = client.get(f"/api/v1/contacts/?limit=2&ordering=-last_name&cursor={cursor}")
    assert "cursor" in _error(response, 400)["fields"]


# --- The document and the queries ----------------------------------------------------------------


def test_the_document_lists_the_columns_each_list_sorts_by(personas: Personas, api: Any) -> None:
    response = api(personas.manager_a).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    document = json.loads(response.content)

    def ordering_of(path: str) -> dict[str, Any]:
        parameters = document["paths"][path]["get"]["parameters"]
        return next(p for p in parameters if p["name"] == "ordering")

    contacts = ordering_of("/api/v1/contacts/")
    assert contacts["schema"]["items"]["enum"] == [
        "last_name",
        "-last_name",
        "first_name",
        "-first_name",
        "middle_name",
        "-middle_name",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
        "id",
        "-id",
    ]
    assert contacts["style"] == "form" and contacts["explode"] is False
    tasks = ordering_of("/api/v1/tasks/")["schema"]["items"]["enum"]
    assert "-due_date" in tasks and "description" not in tasks
    assert ordering_of("/api/v1/users/")["schema"]["items"]["enum"] == ["id", "-id"]


def test_a_sorted_page_takes_as_many_queries_as_the_first(personas: Personas, api: Any) -> None:
    client = api(personas.manager_a)
    _contacts(personas.manager_a)
    _tasks(personas.manager_a)

    def queries(url: str) -> int:
        client.get(url)  # warm per-process caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured.captured_queries)

    for path, ordering in (("contacts", "-last_name,created_at"), ("tasks", "due_date")):
        plain = queries(f"/api/v1/{path}/?limit=2")
        first = client.get(f"/api/v1/{path}/?limit=2&ordering={ordering}").json()
        assert queries(f"/api/v1/{path}/?limit=2&ordering={ordering}") == plain
        assert queries(first["next"]) == plain


def test_moments_with_offsets_postgresql_does_not_take_are_read_in_utc(
    personas: Personas, api: Any
) -> None:
    made = _activities(personas.manager_a)
    client = api(personas.manager_a)
    cursor = _token({"o": "created_at,pk", "r": False, "v": ["2026-03-02T10:00:00+21:28", 1]})
    response = client.get("/api/v1/contacts/", {"ordering": "created_at", "cursor": cursor})
    assert response.status_code == 200, response.content[:300]
    response = client.get("/api/v1/activities/", {"occurred_after": "2026-03-02T17:00:00+21:28"})
    assert response.status_code == 200, response.content[:300]
    assert sorted(row["id"] for row in response.json()["results"]) == sorted(made)
