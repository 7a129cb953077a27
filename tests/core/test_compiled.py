"""Kept statements (:mod:`kartoteka.core.db.compiled`): one slot, or none kept at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.db.models import Q, QuerySet

from kartoteka.clients.models import Contact
from kartoteka.core.db import compiled
from tests.conftest import Personas
from tests.factories.clients import ContactFactory


@pytest.fixture(autouse=True)
def nothing_kept() -> Iterator[None]:
    compiled.forget()
    yield
    compiled.forget()


def test_a_value_found_twice_is_no_slot(personas: Personas) -> None:
    twice = Contact.objects.filter(Q(last_name="Ким") | Q(first_name="Ким"))
    assert compiled.Statement.of(twice, "Ким") is None
    assert compiled.Statement.of(twice, "Пак") is None


def test_a_query_that_can_match_nothing_is_not_kept(personas: Personas) -> None:
    ContactFactory(owner=personas.admin, last_name="Ким")
    assert compiled.Statement.of(Contact.objects.none(), "Ким") is None
    assert compiled.rows("nothing", "Ким", Contact.objects.none) == []
    assert len(compiled._kept) == 0


def test_the_slot_takes_the_next_value(personas: Personas) -> None:
    kim = ContactFactory(owner=personas.admin, last_name="Ким")
    pak = ContactFactory(owner=personas.admin, last_name="Пак")

    def build(name: str) -> Callable[[], QuerySet[Contact]]:
        return lambda: Contact.objects.filter(last_name=name).order_by("id")

    assert [c.pk for c in compiled.rows("by name", "Ким", build("Ким"))] == [kim.pk]
    # The second call's queryset is never built: the kept statement runs with "Пак".
    assert [c.pk for c in compiled.rows("by name", "Пак", build("Ким"))] == [pak.pk]


def test_only_the_latest_shapes_are_kept(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled, "LIMIT", 2)
    for shape in ("a", "b", "c"):
        compiled.rows(shape, "Ким", lambda: Contact.objects.filter(last_name="Ким"))
    assert list(compiled._kept) == ["b", "c"]
