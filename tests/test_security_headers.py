"""Security headers on every HTML page; no third-party origins."""

from __future__ import annotations

from typing import Any

from django.test import Client


def test_html_pages_carry_security_headers(client: Client, db: Any) -> None:
    response = client.get("/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    html = response.content.decode()
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html


def test_forms_are_csrf_protected(db: Any, personas: Any) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(personas.manager_a)
    response = strict.post("/companies/new/", {"name": "ООО «Без токена»"})
    assert response.status_code == 403


def test_pages_answer_only_the_methods_browsers_send(client: Client, personas: Any) -> None:
    from tests.factories.clients import CompanyFactory

    company = CompanyFactory(owner=personas.manager_a, name="ООО «Методы»")
    client.force_login(personas.manager_a)
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(f"/companies/{company.pk}/edit/")
        assert response.status_code == 405
        assert "ООО «Методы»" not in response.content.decode()
    assert client.get(f"/companies/{company.pk}/edit/").status_code == 200
