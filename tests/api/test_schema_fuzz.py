"""A property-based run over the OpenAPI document: Schemathesis generates requests for every
operation from its schema and sends them to the application in-process (WSGI, same database
connection as the test), with an administrator's token and a sales manager's.

Every answer must be no server error (5xx), with a status, content type and body the document
declares for that operation. Each request runs in a savepoint rolled back afterwards, so what
one request writes (a deactivated user, a changed password, a deleted record) never changes the
next one's world. Hypothesis is derandomized and keeps no example database: the same code gives
the same requests on every run, and the run is bounded (a few examples per operation).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from kartoteka.accounts.models import Branch, Role, User
from kartoteka.accounts.services import token_create
from kartoteka.activities.models import (
    Activity,
    CalendarEvent,
    EventParticipant,
    RefusalReason,
    Task,
)
from kartoteka.clients.models import Company, Contact
from kartoteka.core import notifications
from kartoteka.core.models import AuditEntry, Batch, JobRun, Notification
from kartoteka.records.models import CustomField
from kartoteka.records.services.bulk import bulk_apply
from kartoteka.records.services.custom_fields import custom_field_save
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

#: examples per operation and persona: about 45 operations × 2 personas stay within a minute;
#: KARTOTEKA_FUZZ_EXAMPLES=200 for a deeper run by hand
EXAMPLES = int(os.environ.get("KARTOTEKA_FUZZ_EXAMPLES", "10"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """Django as a WSGI application answering inside the test's transaction.

    Django closes a connection in a transaction at the start and end of each request (the test
    client disconnects that too); here it would end the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class World:
    tokens: dict[str, str]
    #: existing ids per collection ("companies": [...]): half the generated paths name one
    ids: dict[str, list[int]]


@pytest.fixture
def world(personas: Personas) -> World:
    """Records in and out of the sales manager's scope, a custom field, a batch, a job each,
    two tokens."""
    for owner in (personas.manager_a, personas.manager_b):
        companies = CompanyFactory.create_batch(3, owner=owner)
        ContactFactory.create_batch(3, owner=owner, company=companies[0])
        place = {"owner": owner, "branch": owner.branch, "company": companies[0]}
        Activity.objects.create(type="call", subject="Звонок", **place)
        Task.objects.create(title="Задача", author=owner, **place)
        start = timezone.now()
        event = CalendarEvent.objects.create(
            title="Встреча", starts_at=start, ends_at=start + timedelta(hours=1), **place
        )
        EventParticipant.objects.create(event=event, user=owner)
    RefusalReason.objects.create(name="Дорого")
    for kind in ("number", "money"):
        custom_field_save(
            actor=personas.admin,
            field=None,
            entity="companies",
            code=kind,
            label=kind,
            type=kind,
            choices=[],
        )
    bulk_apply(
        actor=personas.admin,
        model=Company,
        target=list(Company.objects.values_list("pk", flat=True)[:2]),
        action="set_field",
        params={"field": "city", "value": "Тверь"},
    )
    for starter in (personas.admin, personas.manager_a):
        JobRun.objects.create(kind="search.rebuild", title="Индекс", started_by=starter)
        for number in (1, 2):
            notifications.notify(
                user=starter, kind="task_reminder", title="Задача", key=f"fuzz-{number}"
            )
    models = {
        "companies": Company,
        "contacts": Contact,
        "users": User,
        "roles": Role,
        "branches": Branch,
        "custom-fields": CustomField,
        "audit": AuditEntry,
        "batches": Batch,
        "jobs": JobRun,
        "activities": Activity,
        "tasks": Task,
        "events": CalendarEvent,
        "refusal-reasons": RefusalReason,
        "notifications": Notification,
    }
    return World(
        tokens={
            "administrator": token_create(actor=None, user=personas.admin, name="fuzz"),
            "sales manager": token_create(actor=None, user=personas.manager_a, name="fuzz"),
        },
        ids={
            name: list(model.objects.order_by("pk").values_list("pk", flat=True)[:20])
            for name, model in models.items()
        },
    )


def _schema(app: Any) -> Any:
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    return schema


def test_the_api_answers_every_generated_request_as_documented(wsgi_app: Any, world: World) -> None:
    schema = _schema(wsgi_app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    for persona, token in world.tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        for operation in operations:
            collection = operation.path.removeprefix("/api/v1/").split("/", 1)[0]
            failure = _fuzz(operation, headers, world.ids.get(collection, []))
            if failure:
                failures.append(
                    f"{persona}: {operation.method.upper()} {operation.path}\n{failure}"
                )
    assert not failures, "\n\n".join(failures)


def _fuzz(operation: Any, headers: dict[str, str], ids: list[int]) -> str:
    """Run the operation's examples; the first failure's description, or ""."""
    found: list[str] = []
    existing = st.sampled_from(ids) if ids else st.nothing()

    @given(case=operation.as_strategy(), known=st.none() | existing)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    def run(case: Any, known: int | None) -> None:
        if known is not None and "id" in (case.path_parameters or {}):
            case.path_parameters["id"] = known
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as error:
            found.append(f"{case.as_curl_command(headers=headers)}\n{error}")
            raise

    try:
        run()
    except BaseException as error:  # an exception group: reported with the case that failed
        if isinstance(error, KeyboardInterrupt):
            raise
        return found[-1] if found else repr(error)
    return ""
