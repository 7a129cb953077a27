"""The task pages: the list's tabs, creating from the page, the card, the tick and its undo."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.activities.models import Task, TaskComment
from tests.activities.task_helpers import make_task
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[str]:
    return re.findall(r'class="clip task-title" title="([^"]+)"', html)


def test_the_list_tabs(personas: Personas, login: Any) -> None:
    today = timezone.localdate()
    me = personas.manager_a
    make_task(me, "Вчерашняя", due_date=today - datetime.timedelta(days=1))
    make_task(me, "Сегодняшняя", due_date=today)
    make_task(me, "Завтрашняя", due_date=today + datetime.timedelta(days=1))
    make_task(me, "Сделанная", due_date=today, done_at=timezone.now())
    make_task(personas.colleague_a, "Коллеге", author=me)
    make_task(personas.manager_b, "Казанская")
    client = login(me)
    assert _rows(client.get("/tasks/").content.decode()) == [
        "Вчерашняя",
        "Сегодняшняя",
        "Завтрашняя",
    ]
    assert _rows(client.get("/tasks/?tab=overdue").content.decode()) == ["Вчерашняя"]
    assert _rows(client.get("/tasks/?tab=today").content.decode()) == ["Сегодняшняя"]
    assert _rows(client.get("/tasks/?tab=upcoming").content.decode()) == ["Завтрашняя"]
    assert _rows(client.get("/tasks/?tab=done").content.decode()) == ["Сделанная"]
    delegated = client.get("/tasks/?tab=delegated").content.decode()
    assert _rows(delegated) == ["Коллеге"]
    # A manager sees only their own: asking for someone else's shows their own still.
    other = client.get(f"/tasks/?assignee={personas.colleague_a.pk}").content.decode()
    assert "Коллеге" not in _rows(other) and 'name="assignee"' not in other


def _row(html: str, task: Task) -> str:
    start = html.index(f'data-id="{task.pk}" data-task-row>')
    return html[start : html.index("</tr>", start)]


def test_a_row_shows_what_the_task_is(personas: Personas, login: Any) -> None:
    """One row: the tick, the title with its marks (high priority, repeats), the due day and
    time, the client as links, who set it; a done one reopens and says when it was done."""
    User.objects.filter(pk=personas.manager_a.pk).update(language="ru")
    me = personas.manager_a
    today = timezone.localdate()
    company = CompanyFactory(owner=me, name="ООО «Ромашка & Ко»")
    due_at = timezone.make_aware(datetime.datetime.combine(today, datetime.time(15, 30)))
    task = make_task(
        me,
        "Позвонить <Иванову>",
        author=personas.branch_head_a,
        due_date=today,
        due_at=due_at,
        priority="high",
        recurrence="FREQ=WEEKLY",
        company=company,
    )
    done = make_task(me, "Сделано", due_date=today - datetime.timedelta(days=2))
    Task.objects.filter(pk=done.pk).update(
        done_at=timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 5))
    )
    client = login(me)
    row = _row(client.get("/tasks/").content.decode(), task)
    assert f'action="/tasks/{task.pk}/done/"' in row
    assert 'aria-label="Отметить выполненной: Позвонить &lt;Иванову&gt;"' in row
    assert f'href="/tasks/{task.pk}/">Позвонить &lt;Иванову&gt;</a>' in row
    assert '<span class="badge priority-high" title="Высокий приоритет">!</span>' in row
    assert 'title="Повторяется"' in row
    assert '<span class="task-due nowrap is-today">сегодня 15:30</span>' in row
    assert f'href="/companies/{company.pk}/">ООО «Ромашка &amp; Ко»</a>' in row
    assert str(personas.branch_head_a) in row
    row = _row(client.get("/tasks/?tab=done").content.decode(), done)
    assert f'action="/tasks/{done.pk}/reopen/"' in row and "is-ticked" in row
    assert '<td class="nowrap" data-label="Готово">02.03.2026 09:05</td>' in row
    overdue = (today - datetime.timedelta(days=2)).strftime("%d.%m.%Y")
    assert f'<span class="task-due nowrap">{overdue}</span>' in row  # done: not overdue


def test_a_head_filters_by_assignee(personas: Personas, login: Any) -> None:
    today = timezone.localdate()
    make_task(personas.manager_a, "Просрочка А", due_date=today - datetime.timedelta(days=3))
    make_task(personas.manager_b, "Просрочка Б", due_date=today - datetime.timedelta(days=3))
    branch_head = login(personas.branch_head_a)
    page = branch_head.get(f"/tasks/?tab=overdue&assignee={personas.manager_a.pk}")
    assert _rows(page.content.decode()) == ["Просрочка А"]
    everyone = branch_head.get("/tasks/?tab=overdue&assignee=all").content.decode()
    assert _rows(everyone) == ["Просрочка А"]  # Kazan is outside the branch head's scope
    assert "manager_b" not in everyone and "Просрочка Б" not in everyone
    # Someone outside the scope, asked for by id, is not shown.
    outside = branch_head.get(f"/tasks/?tab=overdue&assignee={personas.manager_b.pk}")
    assert "Просрочка Б" not in outside.content.decode()


def test_create_from_the_page(personas: Personas, login: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Ромашка»")
    client = login(personas.manager_a)
    form = client.get(f"/tasks/new/?company={company.pk}")
    assert form.status_code == 200
    assert "ООО «Ромашка»" in form.content.decode()
    response = client.post(
        "/tasks/new/",
        {
            "title": "Отправить КП",
            "assignee": personas.colleague_a.pk,
            "due_date": "2026-12-10",
            "due_time": "11:30",
            "priority": "high",
            "company": company.pk,
            "repeat": "weekly",
        },
    )
    task = Task.objects.get(title="Отправить КП")
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/"
    assert task.owner == personas.colleague_a and task.author == personas.manager_a
    assert timezone.localtime(task.due_at).strftime("%d.%m %H:%M") == "10.12 11:30"
    assert task.recurrence == "FREQ=WEEKLY;BYDAY=TH"
    assert task.company == company
    card = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "Поставил(а): " in card or "Set by: " in card


def test_create_refuses_another_branch_beside_the_field(personas: Personas, login: Any) -> None:
    client = login(personas.manager_a)
    response = client.post(
        "/tasks/new/",
        {"title": "Чужому", "assignee": personas.manager_b.pk, "priority": "normal"},
    )
    assert response.status_code == 422
    assert not Task.objects.exists()


def test_a_bad_rule_is_shown_beside_the_rule(personas: Personas, login: Any) -> None:
    client = login(personas.manager_a)
    response = client.post(
        "/tasks/new/",
        {
            "title": "По правилу",
            "due_date": "2026-12-10",
            "priority": "normal",
            "repeat": "custom",
            "rule": "FREQ=SOMETIMES",
        },
    )
    assert response.status_code == 422
    assert 'id="id_rule-error"' in response.content.decode()


def test_the_card_edits_and_keeps_versions(personas: Personas, login: Any) -> None:
    task = make_task(personas.manager_a, due_date=datetime.date(2026, 12, 10))
    client = login(personas.manager_a)
    data = {"version": task.version, "title": "Позвонить ещё", "priority": "low"}
    assert client.post(f"/tasks/{task.pk}/", data).status_code == 302
    task.refresh_from_db()
    assert task.title == "Позвонить ещё" and task.due_date is None and task.version == 2
    stale = client.post(f"/tasks/{task.pk}/", {**data, "title": "Старое"})
    assert stale.status_code == 409
    task.refresh_from_db()
    assert task.title == "Позвонить ещё"


def test_tick_answers_a_toast_and_undo_reopens(personas: Personas, login: Any) -> None:
    task = make_task(personas.manager_a, "Отметить меня")
    client: Client = login(personas.manager_a)
    answer = client.post(f"/tasks/{task.pk}/done/", {"next": "/"}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    data = answer.json()
    assert data["done"] is True
    task.refresh_from_db()
    assert task.done_at is not None and task.done_by == personas.manager_a
    undo_url = re.search(r'action="(/undo/[^"]+)"', data["toast"]).group(1)
    assert 'name="next" value="/"' in data["toast"]
    back = client.post(undo_url, {"next": "/"})
    assert back.status_code == 302 and back["Location"] == "/"
    task.refresh_from_db()
    assert task.done_at is None
    # The token works once.
    client.post(undo_url, {"next": "/"})
    assert Task.objects.get(pk=task.pk).done_at is None


def test_tick_without_scripts_redirects_with_the_toast(personas: Personas, login: Any) -> None:
    task = make_task(personas.manager_a, "Без скриптов")
    client = login(personas.manager_a)
    response = client.post(f"/tasks/{task.pk}/done/", {"next": "/tasks/"}, follow=True)
    assert response.status_code == 200
    assert "toast-undo" in response.content.decode()


def test_others_cannot_tick(personas: Personas, login: Any) -> None:
    task = make_task(personas.manager_a)
    answer = login(personas.colleague_a).post(
        f"/tasks/{task.pk}/done/", HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 404
    task.refresh_from_db()
    assert task.done_at is None and task.version == 1


def test_checklist_and_comments_on_the_card(personas: Personas, login: Any) -> None:
    task = make_task(personas.manager_a)
    client = login(personas.manager_a)
    client.post(f"/tasks/{task.pk}/checklist/", {"op": "add", "text": "Счёт", "version": 1})
    client.post(f"/tasks/{task.pk}/checklist/", {"op": "toggle", "index": "0", "version": 2})
    task.refresh_from_db()
    assert task.checklist == [{"text": "Счёт", "done": True}]
    client.post(f"/tasks/{task.pk}/checklist/", {"op": "remove", "index": "0", "version": 3})
    task.refresh_from_db()
    assert task.checklist == []
    response = client.post(f"/tasks/{task.pk}/comments/", {"body": "Перезвонят в пятницу"})
    assert response.status_code == 302
    assert TaskComment.objects.get(task=task).body == "Перезвонят в пятницу"
    assert "Перезвонят в пятницу" in client.get(f"/tasks/{task.pk}/").content.decode()


def test_a_delegated_task_hides_a_client_the_author_cannot_see(
    personas: Personas, login: Any
) -> None:
    kazan = CompanyFactory(owner=personas.manager_b, name="ООО «Казанская тайна»")
    task = make_task(personas.manager_b, "Общая", author=personas.manager_a, company=kazan)
    client = login(personas.manager_a)
    for url in (f"/tasks/{task.pk}/", "/tasks/?tab=delegated"):
        page = client.get(url).content.decode()
        assert "Общая" in page and "Казанская тайна" not in page
    # Saving the card keeps the link it cannot see.
    client.post(f"/tasks/{task.pk}/", {"version": 1, "title": "Общая!", "priority": "normal"})
    task.refresh_from_db()
    assert task.title == "Общая!" and task.company == kazan


def test_the_command_box_offers_a_new_task(personas: Personas, login: Any) -> None:
    User.objects.filter(pk=personas.manager_a.pk).update(language="ru")
    page = login(personas.manager_a).get("/search/box/?q=задач").content.decode()
    assert "/tasks/new/" in page and "Новая задача" in page


def test_delete_to_the_trash_and_undo(personas: Personas, login: Any) -> None:
    task = make_task(personas.manager_a, "В корзину")
    client = login(personas.manager_a)
    response = client.post(f"/tasks/{task.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert not Task.objects.filter(pk=task.pk).exists()
    undo_url = re.search(r'action="(/undo/[^"]+)"', response.content.decode()).group(1)
    client.post(undo_url, {"next": "/tasks/"})
    assert Task.objects.filter(pk=task.pk).exists()
