"""Settings › Refusal reasons: add, rename, deactivate, reorder — only for settings editors."""

from __future__ import annotations

from django.test import Client

from kartoteka.activities.models import RefusalReason
from kartoteka.core.models import AuditEntry
from tests.conftest import Personas


def _names() -> list[tuple[str, bool]]:
    return list(RefusalReason.objects.order_by("position", "name").values_list("name", "active"))


def test_an_administrator_adds_renames_deactivates_and_orders_reasons(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)
    assert client.get("/settings/").content.decode().count("/settings/refusal-reasons/") == 1
    for name in ("Дорого", "Купили у конкурента", "Не сейчас"):
        response = client.post("/settings/refusal-reasons/new/", {"new-name": f"  {name} "})
        assert response.status_code == 302
    assert _names() == [("Дорого", True), ("Купили у конкурента", True), ("Не сейчас", True)]
    duplicate = client.post("/settings/refusal-reasons/new/", {"new-name": "дорого"})
    assert duplicate.status_code == 422 and RefusalReason.objects.count() == 3

    expensive = RefusalReason.objects.get(name="Дорого")
    response = client.post(
        f"/settings/refusal-reasons/{expensive.pk}/",
        {f"r{expensive.pk}-name": "Слишком дорого"},  # the box unticked: no longer offered
    )
    assert response.status_code == 302
    later = RefusalReason.objects.get(name="Не сейчас")
    client.post(f"/settings/refusal-reasons/{later.pk}/move/", {"direction": "up"})
    assert _names() == [
        ("Слишком дорого", False),
        ("Не сейчас", True),
        ("Купили у конкурента", True),
    ]
    entry = AuditEntry.objects.filter(object_id=expensive.pk, action="update").first()
    assert entry is not None
    assert entry.changes == {"name": ["Дорого", "Слишком дорого"], "active": [True, False]}
    page = client.get("/settings/refusal-reasons/").content.decode()
    assert "Слишком дорого" in page


def test_only_settings_editors_reach_the_page(client: Client, personas: Personas) -> None:
    reason = RefusalReason.objects.create(name="Дорого")
    client.force_login(personas.manager_a)
    assert client.get("/settings/refusal-reasons/").status_code == 404
    assert client.post("/settings/refusal-reasons/new/", {"new-name": "x"}).status_code == 404
    response = client.post(f"/settings/refusal-reasons/{reason.pk}/", {f"r{reason.pk}-name": "x"})
    assert response.status_code == 404
    assert _names() == [("Дорого", True)]
