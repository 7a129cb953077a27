"""Applying a group rule to existing clients from its page: a background job with a progress bar
that changes exactly what applying it in the request did."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import translation

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company
from kartoteka.core import batches
from kartoteka.core.models import AuditEntry, Batch, DomainEvent, JobRun
from kartoteka.records.models import GroupRule
from kartoteka.records.services.group_rules import (
    group_rule_apply_existing,
    group_rule_save,
)
from tests.conftest import Personas
from tests.factories.accounts import UserFactory
from tests.factories.clients import CompanyFactory


def rule(actor: User, **values: Any) -> GroupRule:
    values = {"entity": "companies", "operator": "equals", **values}
    return group_rule_save(actor=actor, rule=None, values=values)


@pytest.fixture
def volga(personas: Personas) -> GroupRule:
    """Kazan clients get the "Поволжье" tag, and a later rule gives that tag's clients to a
    colleague: applying the first to existing clients sets off the second."""
    tagging = rule(
        personas.admin,
        name="Поволжье",
        field="city",
        value="Казань",
        effect="add_tag",
        tag="Поволжье",
    )
    rule(
        personas.admin,
        name="Поволжье к коллеге",
        field="tag",
        value="Поволжье",
        effect="set_owner",
        owner=personas.teammate_a,
    )
    for city in ("Казань", "казань", "КАЗАНЬ", "Казань", "Казань", "Москва"):
        CompanyFactory(owner=personas.manager_a, city=city)
    return tagging


@pytest.fixture
def small_batches(monkeypatch: Any) -> None:
    # Several chunks and two batches with six clients, as 50,000 would be in production.
    monkeypatch.setattr(batches.engine, "CHUNK", 2)
    monkeypatch.setattr(batches.engine, "MAX_RECORDS", 3)
    monkeypatch.setattr(batches, "MAX_RECORDS", 3)  # what the rule's loop reads


def outcome() -> dict[str, Any]:
    """Everything applying a rule changes, without ids and times that differ from run to run."""
    companies = sorted(
        (c.name, c.city, c.owner_id, c.branch_id, c.version, sorted(t.name for t in c.tags.all()))
        for c in Company.objects.prefetch_related("tags")
    )
    entries = sorted(
        (e.object_id, e.action, e.actor_id, repr(e.changes), e.version)
        for e in AuditEntry.objects.filter(content_type__model="company")
    )
    events = sorted(
        (
            e.object_id,
            e.type,
            e.actor_id,
            repr({k: v for k, v in e.payload.items() if k != "batch_id"}),
        )
        for e in DomainEvent.objects.all()
    )
    made = sorted(
        (b.name, b.kind, b.actor_id, repr(b.summary), b.changes.count())
        for b in Batch.objects.all()
    )
    return {"companies": companies, "audit": entries, "events": events, "batches": made}


def test_the_job_changes_exactly_what_applying_in_the_request_did(
    personas: Personas,
    volga: GroupRule,
    small_batches: None,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    before = outcome()
    # As the request did: in the administrator's language (English, see tests/factories).
    with transaction.atomic(), translation.override(personas.admin.language):
        assert group_rule_apply_existing(actor=personas.admin, rule=volga) == 5
        direct = outcome()
        transaction.set_rollback(True)
    assert outcome() == before

    client.force_login(personas.admin)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/settings/group-rules/{volga.pk}/apply/")
    assert outcome() == direct
    assert len(direct["batches"]) == 2  # two batches of at most 3: each undoes in one step
    assert {company[2] for company in direct["companies"] if company[1] != "Москва"} == {
        personas.teammate_a.pk
    }
    job = JobRun.objects.get()
    assert started["Location"] == f"/settings/group-rules/{volga.pk}/?job={job.pk}#dry-run"
    assert (job.kind, job.state, job.done, job.total) == ("group_rule.apply", "done", 5, 5)
    assert job.started_by == personas.admin and job.result == {"changed": 5}
    page = client.get(started["Location"]).content.decode()
    assert "The rule changed 5 clients." in page and "hx-trigger" not in page
    assert "htmx-2.min.js" not in page  # htmx only while there is something to follow


def test_the_page_shows_the_progress_bar_until_the_job_is_done(
    personas: Personas, volga: GroupRule, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(personas.admin)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        started = client.post(f"/settings/group-rules/{volga.pk}/apply/")
    job = JobRun.objects.get()
    page = client.get(started["Location"]).content.decode()
    assert f'hx-get="/jobs/{job.pk}/"' in page and 'hx-trigger="every 1s"' in page
    assert "Rule «Поволжье» applied to existing clients" in page
    assert "Apply to existing clients now" not in page  # not twice while it runs
    assert 'src="/static/django_htmx/htmx-2.min.js"' in page

    for callback in queued:  # the commit: the worker runs the job
        callback()
    fragment = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "The rule changed 5 clients." in fragment and "hx-trigger" not in fragment
    assert Company.objects.filter(tags__name="Поволжье").count() == 5


def test_another_administrator_does_not_see_the_job(
    personas: Personas, volga: GroupRule, client: Client
) -> None:
    client.force_login(personas.admin)
    started = client.post(f"/settings/group-rules/{volga.pk}/apply/")
    job = JobRun.objects.get()
    client.force_login(UserFactory(branch=personas.branch_a, roles=["administrator"]))
    page = client.get(started["Location"])
    assert page.status_code == 200 and f"/jobs/{job.pk}/" not in page.content.decode()
    assert client.get(f"/jobs/{job.pk}/").status_code == 404


def test_a_manager_cannot_start_it(
    personas: Personas, volga: GroupRule, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(personas.manager_a)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(f"/settings/group-rules/{volga.pk}/apply/")
    assert response.status_code == 404
    assert queued == [] and not JobRun.objects.exists()
    assert not Company.objects.filter(tags__name="Поволжье").exists()


def test_a_rule_deleted_before_the_job_runs_fails_the_job_and_changes_nothing(
    personas: Personas, volga: GroupRule, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(personas.admin)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(f"/settings/group-rules/{volga.pk}/apply/")
    GroupRule.objects.filter(pk=volga.pk).delete()
    for callback in queued:
        callback()
    job = JobRun.objects.get()
    assert (job.state, job.error) == ("failed", "The rule has been deleted.")
    assert not Company.objects.filter(tags__name="Поволжье").exists()
    fragment = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "The rule has been deleted." in fragment and "hx-trigger" not in fragment
