"""A record's model check (``full_clean``) refuses what Django's refuses, without reading back
the links it was given as records, and decides "is this field empty" constraints itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CheckConstraint, Q
from django.test.utils import CaptureQueriesContext

from kartoteka.activities.models import Activity, CalendarEvent
from kartoteka.core.models import _emptiness_fields
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def check(obj: Any, **kwargs: Any) -> tuple[dict[str, list[str]], int]:
    """``obj.full_clean(**kwargs)``: (its errors, the statements it ran)."""
    with CaptureQueriesContext(connection) as captured:
        try:
            obj.full_clean(**kwargs)
            errors: dict[str, list[str]] = {}
        except ValidationError as error:
            errors = error.message_dict
    return errors, len(captured.captured_queries)


def test_links_given_as_records_are_not_read_again(personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    call = Activity(
        type="call", company=company, owner=personas.manager_a, branch=personas.branch_a
    )
    assert check(call) == ({}, 0)


def test_links_given_by_id_are_still_looked_up_and_a_missing_one_refused(
    personas: Personas,
) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    call = Activity(
        type="call",
        company_id=company.pk,
        owner_id=personas.manager_a.pk,
        branch_id=personas.branch_a.pk,
    )
    assert check(call) == ({}, 3)
    call.company_id = company.pk + 1000
    errors, _statements = check(call)
    assert set(errors) == {"company"}


@pytest.mark.parametrize("company, contact", [(False, False), (True, False), (False, True)])
def test_the_has_a_client_check_is_decided_as_the_database_decides_it(
    company: bool, contact: bool, personas: Personas
) -> None:
    place = {"owner": personas.manager_a, "branch": personas.branch_a}
    call = Activity(
        type="call",
        company=CompanyFactory(owner=personas.manager_a) if company else None,
        contact=ContactFactory(owner=personas.manager_a) if contact else None,
        **place,
    )
    (constraint,) = Activity._meta.constraints
    assert isinstance(constraint, CheckConstraint)
    try:
        constraint.validate(Activity, call)  # Django's own: a query
        expected: dict[str, list[str]] = {}
    except ValidationError as error:
        expected = ValidationError(error.update_error_dict({})).message_dict
    assert check(call) == (expected, 0)
    assert bool(expected) == (not company and not contact)
    # Excluding a field it tests skips it, as Django does.
    assert check(call, exclude=["company"]) == ({}, 0)


def test_other_checks_are_left_to_the_database(personas: Personas) -> None:
    event = CalendarEvent(title="Встреча", owner=personas.manager_a, branch=personas.branch_a)
    (ends_after_start,) = CalendarEvent._meta.constraints
    assert _emptiness_fields(event, ends_after_start) is None
    odd = CheckConstraint(condition=Q(company__isnull=True) ^ Q(contact__isnull=True), name="x")
    assert _emptiness_fields(Activity(), odd) is None
    by_value = CheckConstraint(condition=Q(duration__gte=0), name="y")
    assert _emptiness_fields(Activity(), by_value) is None
    assert _emptiness_fields(Activity(), Activity._meta.constraints[0]) == {"company", "contact"}
