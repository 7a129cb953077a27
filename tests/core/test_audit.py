"""The audit trail as people read it: every action has a label, in the reader's language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from kartoteka.core.models import AuditEntry
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory


def test_every_audit_action_has_a_label_of_its_own() -> None:
    with translation.override("en"):
        labels = {value: str(label) for value, label in AuditEntry.Action.choices}
    assert labels["export"] == "exported"
    assert all(label != value for value, label in labels.items())
    with translation.override("ru"):
        assert str(AuditEntry.Action.EXPORT.label) == "выгружено"


@pytest.mark.parametrize(
    ("language", "action", "what", "export"),
    [
        ("en", ">exported</td>", "<b>Records</b>: — → companies", "Export: companies, 2 rows"),
        ("ru", ">выгружено</td>", "<b>Записи</b>: — → компании", "Экспорт: компании, строк: 2"),
    ],
)
def test_an_export_shows_as_exported_on_the_audit_page(
    personas: Personas, client: Client, language: str, action: str, what: str, export: str
) -> None:
    CompanyFactory.create_batch(2, owner=personas.admin)
    personas.admin.language = language
    personas.admin.save(update_fields=["language"])
    client.force_login(personas.admin)
    response = client.get("/companies/export/")
    b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert AuditEntry.objects.filter(action="export", actor=personas.admin).count() == 1

    page = client.get("/settings/audit/").content.decode()
    assert action in page
    assert what in page
    assert export in page
    assert ">export<" not in page  # the raw stored value is never shown
