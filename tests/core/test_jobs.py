"""Background jobs: queued only after commit, claimed once, progress written cheaply and shown
only to the person who started the job."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from huey.contrib.djhuey import db_task

from kartoteka.core import jobs
from kartoteka.core.errors import DomainError
from kartoteka.core.models import JobRun
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory

pytestmark = pytest.mark.django_db

#: what the test task below was called with, in order
SEEN: list[Any] = []


@db_task()
def remember(*values: Any) -> None:
    SEEN.append(values)


@db_task()
def count_to(job_id: int, target: int) -> None:
    def work(progress: jobs.Progress) -> jobs.Outcome:
        progress.set_total(target)
        for _ in range(target):
            progress.advance()
        return jobs.Outcome(message=f"counted to {target}", result={"count": target})

    jobs.run(job_id, work)


@pytest.fixture(autouse=True)
def _clean_seen() -> Any:
    SEEN.clear()
    yield
    SEEN.clear()


class Boom(Exception):
    pass


# --- Enqueueing after commit ---------------------------------------------------------------------
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_is_queued_when_the_transaction_commits_never_before() -> None:
    with transaction.atomic():
        jobs.enqueue(remember, 5, "x")
        assert SEEN == []  # a worker would not find the rows yet
    assert SEEN == [(5, "x")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_of_a_change_that_rolls_back_is_never_queued() -> None:
    with pytest.raises(Boom), transaction.atomic():
        jobs.enqueue(remember, 6)
        raise Boom
    assert SEEN == []


def test_the_test_suite_runs_jobs_with_on_commit_callbacks(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        jobs.enqueue(remember, 7)
        assert SEEN == []
    assert len(callbacks) == 1 and SEEN == [(7,)]


def test_a_job_takes_ids_not_objects(personas: Personas) -> None:
    with pytest.raises(TypeError):
        jobs.enqueue(remember, CompanyFactory(owner=personas.manager_a))


# --- Tracked runs --------------------------------------------------------------------------------
def start_counting(
    personas: Personas, target: int, capture: Callable[..., Any], *, execute: bool = True
) -> JobRun:
    with capture(execute=execute):
        job = jobs.start(
            count_to, target, actor=personas.manager_a, kind="test.count", title="Считаем"
        )
        assert JobRun.objects.get(pk=job.pk).state == JobRun.State.QUEUED
    job.refresh_from_db()
    return job


def test_a_started_job_runs_after_commit_and_finishes_with_its_outcome(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    job = start_counting(personas, 1234, django_capture_on_commit_callbacks)
    assert (job.state, job.done, job.total, job.percent) == ("done", 1234, 1234, 100)
    assert (job.message, job.result) == ("counted to 1234", {"count": 1234})
    assert job.started_by == personas.manager_a
    assert job.started_at is not None and job.finished_at is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_started_job_rolls_back_with_its_transaction(personas: Personas) -> None:
    with pytest.raises(Boom), transaction.atomic():
        jobs.start(count_to, 3, actor=personas.manager_a, kind="test.count", title="Считаем")
        raise Boom
    assert not JobRun.objects.exists()


def test_a_job_delivered_twice_runs_once(personas: Personas) -> None:
    job = jobs.track(actor=personas.manager_a, kind="test.count", title="Считаем")
    calls: list[int] = []

    def work(progress: jobs.Progress) -> None:
        calls.append(1)

    assert jobs.run(job.pk, work) is not None
    assert jobs.run(job.pk, work) is None
    assert calls == [1]
    job.refresh_from_db()
    assert job.state == "done"


def test_a_refused_job_fails_with_the_reason_and_a_crash_with_a_plain_message(
    personas: Personas,
) -> None:
    refused = jobs.track(actor=personas.manager_a, kind="test", title="Отказ")
    crashed = jobs.track(actor=personas.manager_a, kind="test", title="Сбой")

    def refuse(progress: jobs.Progress) -> None:
        raise DomainError("Правило удалено.")

    def crash(progress: jobs.Progress) -> None:
        progress.set_total(10)
        progress.advance(3)
        raise RuntimeError("password=secret in a traceback")

    jobs.run(refused.pk, refuse)
    jobs.run(crashed.pk, crash)
    refused.refresh_from_db()
    crashed.refresh_from_db()
    assert (refused.state, refused.error) == ("failed", "Правило удалено.")
    assert crashed.state == "failed" and "secret" not in crashed.error
    # The starter reads English (tests/factories): the message is in their language.
    assert crashed.error == "The job failed. The administrator can find the details in the log."
    assert (crashed.done, crashed.total) == (3, 10) and crashed.finished_at is not None


def test_a_job_speaks_its_starters_language(personas: Personas) -> None:
    type(personas.manager_a).objects.filter(pk=personas.manager_a.pk).update(language="ru")
    job = jobs.track(actor=personas.manager_a, kind="test", title="Язык")
    with translation.override("en"):  # the worker's own language does not matter
        jobs.run(job.pk, lambda progress: jobs.Outcome(message=str(translation.get_language())))
    job.refresh_from_db()
    assert job.message == "ru"


# --- Progress ------------------------------------------------------------------------------------
def updates_of_runs(queries: CaptureQueriesContext) -> int:
    table = JobRun._meta.db_table
    return sum(
        1
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith("UPDATE") and table in query["sql"]
    )


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # as in a worker: no transaction around the job
def test_progress_is_written_every_500_items_or_every_second_not_per_item(
    personas: Personas,
) -> None:
    job = jobs.track(actor=personas.manager_a, kind="test", title="Прогресс")
    now = [0.0]
    progress = jobs.Progress(job, clock=lambda: now[0])
    progress.set_total(2_000)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(1_499):
            progress.advance()
    assert updates_of_runs(queries) == 2  # at 500 and at 1,000
    job.refresh_from_db()
    assert (job.done, job.total) == (1_000, 2_000)
    with CaptureQueriesContext(connection) as queries:
        progress.advance()  # 1,500: a write, by count
        progress.advance()
        now[0] += 1.0
        progress.advance()  # a second passed: a write, by time
    assert updates_of_runs(queries) == 2
    job.refresh_from_db()
    assert job.done == 1_502


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_progress_inside_a_long_transaction_is_seen_while_the_row_is_not(
    personas: Personas,
) -> None:
    job = jobs.track(actor=personas.manager_a, kind="test", title="Долгая транзакция")
    JobRun.objects.filter(pk=job.pk).update(state=JobRun.State.RUNNING)
    progress = jobs.Progress(job, every=10)
    progress.set_total(100)
    with transaction.atomic():  # a bulk change: the row would show nothing until it commits
        progress.advance(40)
        with CaptureQueriesContext(connection) as queries:
            progress.advance(10)
        assert updates_of_runs(queries) == 0
        seen = jobs.progress_of(JobRun.objects.get(pk=job.pk))
        assert (seen.done, seen.total, seen.percent) == (50, 100, 50)
    assert JobRun.objects.get(pk=job.pk).done == 0


# --- Who sees a job ------------------------------------------------------------------------------
def test_the_progress_bar_polls_while_the_job_runs_and_stops_when_done(
    personas: Personas, client: Client
) -> None:
    job = jobs.track(actor=personas.manager_a, kind="test", title="Перенос клиентов")
    JobRun.objects.filter(pk=job.pk).update(state="running", done=30, total=120)
    client.force_login(personas.manager_a)

    fragment = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in html
    assert f'hx-get="/jobs/{job.pk}/"' in html and 'hx-trigger="every 1s"' in html
    assert 'value="25"' in html and "30 of 120" in html
    assert "HX-Request" in fragment["Vary"]

    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "<html" in page and "Перенос клиентов" in page and 'hx-trigger="every 1s"' in page

    JobRun.objects.filter(pk=job.pk).update(state="done", done=120, message="Готово: 120.")
    done = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done and "hx-get" not in done
    assert 'value="100"' in done and "Готово: 120." in done


def test_only_the_starter_sees_a_job(personas: Personas, client: Client, api: Any) -> None:
    job = jobs.track(actor=personas.manager_a, kind="test", title="Секретная работа")
    for other in (personas.admin, personas.teammate_a, personas.head):
        client.force_login(other)
        page = client.get(f"/jobs/{job.pk}/")
        assert page.status_code == 404 and "Секретная работа" not in page.content.decode()
        answer = api(other).get(f"/api/v1/jobs/{job.pk}/")
        assert answer.status_code == 404 and "Секретная работа" not in answer.content.decode()
        assert api(other).get("/api/v1/jobs/").json()["results"] == []
        assert jobs.run_for(other, job.pk) is None
    client.logout()
    assert client.get(f"/jobs/{job.pk}/").status_code == 302  # to the login page

    client.force_login(personas.manager_a)
    assert client.get(f"/jobs/{job.pk}/").status_code == 200
    mine = api(personas.manager_a).get(f"/api/v1/jobs/{job.pk}/").json()
    assert mine["title"] == "Секретная работа" and mine["state"] == "queued"
    assert [
        row["id"] for row in api(personas.manager_a).get("/api/v1/jobs/").json()["results"]
    ] == [job.pk]


def test_the_api_reports_progress_and_outcome(
    personas: Personas, api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = start_counting(personas, 40, django_capture_on_commit_callbacks)
    answer = api(personas.manager_a).get(f"/api/v1/jobs/{job.pk}/").json()
    assert {key: answer[key] for key in ("state", "done", "total", "percent", "is_finished")} == {
        "state": "done",
        "done": 40,
        "total": 40,
        "percent": 100,
        "is_finished": True,
    }
    assert answer["result"] == {"count": 40} and answer["message"] == "counted to 40"
    assert api(personas.manager_a).post(f"/api/v1/jobs/{job.pk}/").status_code == 405


def test_jobs_are_in_the_api_schema(client: Client, db: Any) -> None:
    schema = client.get("/api/v1/schema/?format=json").json()
    assert "/api/v1/jobs/{id}/" in schema["paths"]


# --- Re-indexing as a job ------------------------------------------------------------------------
def test_many_records_are_reindexed_by_a_job_a_few_at_once(
    personas: Personas, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from kartoteka.clients.models import Company
    from kartoteka.core import search
    from kartoteka.core.search import background

    monkeypatch.setattr(background, "INLINE", 2)
    few = [
        Company.objects.create(
            name=f"ООО «Тихая {i}»", owner=personas.admin, branch=personas.branch_a
        )
        for i in range(2)
    ]
    many = [
        Company.objects.create(
            name=f"ООО «Громкая {i}»", owner=personas.admin, branch=personas.branch_a
        )
        for i in range(3)
    ]

    def found(text: str) -> int:
        return len(search.find(personas.admin, text)["companies"].hits)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert (
            background.index_many_later(Company, [c.pk for c in few], actor=personas.admin) is None
        )
        assert found("тихая") == 2  # now, in the caller's transaction
        job = background.index_many_later(Company, [c.pk for c in many], actor=personas.admin)
        assert job is not None and found("громкая") == 0
    assert found("громкая") == 3
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.started_by) == ("done", 3, 3, personas.admin)


def test_rebuild_runs_as_a_job_from_the_command_line(personas: Personas, capsys: Any) -> None:
    from kartoteka.cli import cmd_reindex
    from kartoteka.clients.models import Company
    from kartoteka.core import search

    Company.objects.create(
        name="ООО «Без документа»", owner=personas.admin, branch=personas.branch_a
    )
    assert not search.is_complete()
    with translation.override("en"):
        assert cmd_reindex(argparse.Namespace(background=False)) == 0
    assert search.is_complete()
    job = JobRun.objects.get(kind="search.rebuild")
    assert (job.state, job.done, job.total, job.started_by) == ("done", 1, 1, None)
    assert "Search index rebuilt: 1 record." in capsys.readouterr().out
