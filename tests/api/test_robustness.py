"""No 500s and no silent changes: what a careless or hostile program sends gets a JSON 400/404.

Every answer here is ``{"error": {"code", "message", "fields"}}``. Filters follow one convention:
a value that cannot name anything (letters or a number beyond 64 bits where an id is expected)
matches nothing, like an id that does not exist; ids a caller asks to *change* (bulk ids, pickers)
are refused with a 400 naming the field.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.db.models.signals import pre_save

from kartoteka.clients.models import Company
from kartoteka.records.models import CustomField
from kartoteka.records.services.custom_fields import custom_field_save
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

HUGE = "99999999999999999999"  # beyond 64 bits


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    error = response.json()["error"]
    assert {"code", "message", "fields"} <= set(error)
    return error


def define(actor: Any, code: str, type: str, entity: str = "companies") -> CustomField:
    return custom_field_save(
        actor=actor, field=None, entity=entity, code=code, label=code, type=type, choices=[]
    )


# --- Ids in paths ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/companies/abc/"),
        ("patch", "/api/v1/companies/abc/"),
        ("delete", "/api/v1/contacts/1x/"),
        ("post", "/api/v1/companies/abc/merge/"),
        ("get", "/api/v1/custom-fields/abc/"),
        ("get", "/api/v1/users/abc/"),
        ("get", "/api/v1/audit/abc/"),
        ("post", "/api/v1/batches/abc/undo/"),
        ("get", f"/api/v1/companies/{HUGE}/"),
        ("get", f"/api/v1/custom-fields/{HUGE}/"),
        ("get", "/api/v1/no-such-endpoint/"),
    ],
)
def test_a_path_that_names_nothing_is_a_json_404(
    method: str, path: str, personas: Personas, api: Any
) -> None:
    response = getattr(api(personas.admin), method)(path, {"version": 1}, format="json")
    assert error_of(response, 404)["code"] == "not_found"


def test_an_unexpected_failure_is_a_json_500(
    personas: Personas, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("kartoteka.clients.api.records.CompanyViewSet.get_queryset", broken)
    client = api(personas.admin)
    client.raise_request_exception = False
    error = error_of(client.get("/api/v1/companies/"), 500)
    assert error["code"] == "server_error" and "boom" not in error["message"]


def test_a_failure_outside_the_api_views_is_a_json_500_too(
    personas: Personas, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, request: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("kartoteka.core.request_guards.RefuseNulMiddleware.__call__", broken)
    client = api(personas.admin)
    client.raise_request_exception = False
    error = error_of(client.get("/api/v1/companies/"), 500)
    assert error["code"] == "server_error" and "boom" not in error["message"]


# --- Integers beyond 64 bits ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"owner": HUGE},
        {"branch": HUGE},
        {"owner": "-" + HUGE},
        {"company": HUGE},
    ],
)
def test_a_filter_beyond_64_bits_matches_nothing(
    params: dict[str, str], personas: Personas, api: Any
) -> None:
    CompanyFactory(owner=personas.manager_a)
    ContactFactory(owner=personas.manager_a)
    for entity in ("companies", "contacts"):
        if "company" in params and entity == "companies":
            continue
        response = api(personas.manager_a).get(f"/api/v1/{entity}/", params)
        assert response.status_code == 200, response.content[:300]
        assert response.json()["results"] == []


def test_audit_filters_beyond_64_bits_match_nothing(personas: Personas, api: Any) -> None:
    CompanyFactory(owner=personas.manager_a)
    response = api(personas.admin).get(
        "/api/v1/audit/", {"actor": HUGE, "record_type": "clients.company", "object_id": HUGE}
    )
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "trash", "ids": [int(HUGE)]}, "ids"),
        ({"action": "reassign", "ids": [1], "to_owners": [int(HUGE)]}, "to_owners"),
    ],
)
def test_bulk_ids_beyond_64_bits_are_refused_by_name(
    body: dict[str, Any], field: str, personas: Personas, api: Any
) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    body = {**body, "ids": [company.pk] if body["ids"] == [1] else body["ids"]}
    response = api(personas.head).post("/api/v1/companies/bulk/", body, format="json")
    assert field in error_of(response, 400)["fields"]
    assert Company.objects.filter(pk=company.pk, owner=personas.manager_a).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": int(HUGE)}, "owner"),
        ({"branch": int(HUGE)}, "branch"),
        ({"companies": [int(HUGE)]}, "companies"),
        ({"employments": [{"company": int(HUGE)}]}, "employments"),
    ],
)
def test_pickers_beyond_64_bits_are_refused_by_name(
    body: dict[str, Any], field: str, personas: Personas, api: Any
) -> None:
    response = api(personas.head).post(
        "/api/v1/contacts/", {"last_name": "Огромнов", **body}, format="json"
    )
    assert field in error_of(response, 400)["fields"]


def test_merge_with_an_other_id_beyond_64_bits_is_not_found(personas: Personas, api: Any) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    response = api(personas.admin).post(
        f"/api/v1/companies/{company.pk}/merge/",
        {"other": int(HUGE), "version": 1, "other_version": 1},
        format="json",
    )
    assert response.status_code in (400, 404), response.content[:300]
    error_of(response, response.status_code)


# --- Cursors --------------------------------------------------------------------------------------
def _drf_cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize("raw", ["p=zzz", "p=" + HUGE, "o=-1&p=1", "o=zz", "r=1&p=1%00", "p=1.5"])
def test_a_crafted_api_cursor_is_400(raw: str, personas: Personas, api: Any) -> None:
    CompanyFactory.create_batch(3, owner=personas.manager_a)
    response = api(personas.manager_a).get(
        "/api/v1/companies/", {"cursor": _drf_cursor(raw), "limit": 1}
    )
    assert "cursor" in error_of(response, 400)["fields"]


def test_a_cursor_the_api_gave_still_pages(personas: Personas, api: Any) -> None:
    ids = sorted(c.pk for c in CompanyFactory.create_batch(3, owner=personas.manager_a))
    client = api(personas.manager_a)
    first = client.get("/api/v1/companies/", {"limit": 2}).json()
    second = client.get(first["next"]).json()
    assert [row["id"] for row in first["results"] + second["results"]] == ids[::-1]


def test_garbage_in_the_cursor_is_400(personas: Personas, api: Any) -> None:
    response = api(personas.manager_a).get("/api/v1/companies/", {"cursor": "%%%not base64"})
    assert "cursor" in error_of(response, 400)["fields"]


# --- Custom field values --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("number", "1e308"),
        ("number", "-1e309"),
        ("number", 1e308),
        ("number", "1e-400"),
        ("number", "0.1234567890123456789"),
        ("number", "12345678901234567890"),
        ("number", "NaN"),
        ("money", "1e27"),
        ("money", "1e13"),
        ("money", "-0.001"),
        ("money", "10.005"),
        ("money", "Infinity"),
    ],
)
def test_custom_values_that_cannot_be_stored_as_typed_are_refused(
    kind: str, value: Any, personas: Personas, api: Any
) -> None:
    define(personas.admin, "amount", kind)
    client = api(personas.manager_a)
    response = client.post(
        "/api/v1/companies/", {"name": "ООО «Число»", "custom_fields": {"amount": value}}, "json"
    )
    assert list(error_of(response, 400)["fields"]) == ["custom_fields.amount"]
    assert not Company.objects.filter(name="ООО «Число»").exists()


def test_a_json_number_that_underflows_is_refused_not_stored_as_zero(
    personas: Personas, api: Any
) -> None:
    define(personas.admin, "amount", "number")
    response = api(personas.manager_a).post(
        "/api/v1/companies/",
        '{"name": "ООО «Ноль»", "custom_fields": {"amount": 1e-400}}'.encode(),
        content_type="application/json",
    )
    assert list(error_of(response, 400)["fields"]) == ["custom_fields.amount"]
    assert not Company.objects.filter(name="ООО «Ноль»").exists()


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("number", "1 500,5", 1500.5),
        ("number", "-0", 0),
        ("number", "123456789012345", 123456789012345),
        ("number", "0.000001", 0.000001),
        ("number", 2.5, 2.5),
        ("money", "9999999999999.99", "9999999999999.99"),
        ("money", "-0.00", "0.00"),
        ("money", "-12.5", "-12.50"),
        ("money", 10.1, "10.10"),
    ],
)
def test_values_that_can_be_stored_as_typed_are_kept(
    kind: str, value: Any, stored: Any, personas: Personas, api: Any
) -> None:
    define(personas.admin, "amount", kind)
    response = api(personas.manager_a).post(
        "/api/v1/companies/", {"name": "ООО «Число»", "custom_fields": {"amount": value}}, "json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["custom_fields"] == {"amount": stored}


@pytest.mark.parametrize("value", ["1e308", "1e-400", "-0.001"])
def test_bulk_set_field_refuses_a_value_it_would_change(
    value: str, personas: Personas, api: Any
) -> None:
    define(personas.admin, "amount", "money" if value == "-0.001" else "number")
    company = CompanyFactory(owner=personas.manager_a)
    response = api(personas.manager_a).post(
        "/api/v1/companies/bulk/",
        {
            "action": "set_field",
            "ids": [company.pk],
            "field": "custom_fields.amount",
            "value": value,
        },
        format="json",
    )
    assert "value" in error_of(response, 400)["fields"]
    company.refresh_from_db()
    assert company.custom_fields == {}


def test_a_number_filter_beyond_what_a_number_holds_matches_nothing(
    personas: Personas, api: Any
) -> None:
    define(personas.admin, "amount", "number")
    CompanyFactory(owner=personas.manager_a, custom_fields={"amount": 5})
    for value in ("1e400", "-1e400", "1e-400", HUGE + "0" * 300):
        response = api(personas.manager_a).get("/api/v1/companies/", {"cf_amount__to": value})
        assert response.status_code == 200, response.content[:300]


# --- Request bodies -------------------------------------------------------------------------------
def test_json_nested_deeper_than_anyone_writes_is_400(personas: Personas, api: Any) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = api(personas.manager_a).post(
        "/api/v1/companies/", body, content_type="application/json"
    )
    error_of(response, 400)
    nested: Any = "x"
    for _level in range(200):
        nested = {"a": nested}
    response = api(personas.manager_a).post(
        "/api/v1/contacts/",
        {"last_name": "Глубоков", "preferences": nested},
        format="json",
    )
    error_of(response, 400)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "ООО «Нуль»", "custom_fields": {"note": "a\x00b"}},
        {"name": "ООО «Нуль»", "custom_fields": {"no\x00te": "x"}},
    ],
)
def test_a_nul_character_in_a_body_is_400(
    body: dict[str, Any], personas: Personas, api: Any
) -> None:
    define(personas.admin, "note", "text")
    response = api(personas.manager_a).post("/api/v1/companies/", body, format="json")
    error_of(response, 400)
    assert not Company.objects.filter(name="ООО «Нуль»").exists()


def test_a_nul_character_in_contact_json_fields_is_400(personas: Personas, api: Any) -> None:
    response = api(personas.manager_a).post(
        "/api/v1/contacts/",
        {"last_name": "Нулев", "messengers": [{"kind": "telegram", "handle": "a\x00"}]},
        format="json",
    )
    error_of(response, 400)


# --- NUL bytes and texts without a word in queries ------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/companies/", "/api/v1/contacts/", "/api/v1/search/"])
@pytest.mark.parametrize("text", ["\x00", "Ром\x00ашка", "\x00\x00 ООО"])
def test_a_nul_byte_in_q_is_no_server_error(
    path: str, text: str, personas: Personas, api: Any
) -> None:
    CompanyFactory(owner=personas.manager_a, name="Ромашка")
    response = api(personas.manager_a).get(path, {"q": text})
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400:
        error_of(response, 400)


@pytest.mark.parametrize(
    "params", [{"city": "\x00"}, {"tag": "a\x00"}, {"phone": "\x00"}, {"status": "\x00"}]
)
def test_a_nul_byte_in_other_filters_is_no_server_error(
    params: dict[str, str], personas: Personas, api: Any
) -> None:
    entity = "contacts" if "phone" in params else "companies"
    response = api(personas.manager_a).get(f"/api/v1/{entity}/", params)
    assert response.status_code in (200, 400), response.content[:300]


@pytest.mark.parametrize("text", ['"', "()", "*", "« »", "-", "''", "..."])
def test_a_search_text_without_a_word_matches_nothing(
    text: str, personas: Personas, api: Any
) -> None:
    CompanyFactory.create_batch(2, owner=personas.manager_a, city="Тверь")
    ContactFactory(owner=personas.manager_a)
    client = api(personas.manager_a)
    assert client.get("/api/v1/companies/", {"q": text}).json()["results"] == []
    assert client.get("/api/v1/contacts/", {"q": text}).json()["results"] == []
    found = client.get("/api/v1/search/", {"q": text}).json()
    assert {"companies", "contacts"} <= found.keys() and not any(found.values())
    preview = client.post(
        "/api/v1/companies/bulk/",
        {
            "action": "set_field",
            "filter": {"q": text},
            "field": "city",
            "value": "Казань",
            "preview": True,
        },
        format="json",
    )
    # Nothing matches: "select at least one record" (400), never a count of everything.
    assert "ids" in error_of(preview, 400)["fields"]
    trashed = client.post(
        "/api/v1/companies/bulk/", {"action": "trash", "filter": {"q": text}}, format="json"
    )
    error_of(trashed, 400)
    assert Company.objects.count() == 2


def test_words_beside_punctuation_still_find(personas: Personas, api: Any) -> None:
    CompanyFactory(owner=personas.manager_a, name="ООО «Ромашка»")
    client = api(personas.manager_a)
    for text in ('"Ромашка"', "(ромашка)", "ромашка *", "ромашка -"):
        names = [
            row["name"] for row in client.get("/api/v1/companies/", {"q": text}).json()["results"]
        ]
        assert names == ["ООО «Ромашка»"], text


# --- One code, two requests -----------------------------------------------------------------------
def test_two_fields_created_at_once_with_one_code_give_a_field_error(
    personas: Personas, api: Any
) -> None:
    """The second request checked the code before the first one saved it: the database's unique
    constraint refuses the second row, and the answer names the code."""

    def the_other_request_saves_first(sender: Any, instance: CustomField, **kwargs: Any) -> None:
        pre_save.disconnect(the_other_request_saves_first, sender=CustomField)
        CustomField.objects.bulk_create(
            [CustomField(entity=instance.entity, code=instance.code, label="Другое", type="text")]
        )

    pre_save.connect(the_other_request_saves_first, sender=CustomField)
    try:
        response = api(personas.admin).post(
            "/api/v1/custom-fields/",
            {"entity": "companies", "code": "segment", "label": "Сегмент", "type": "text"},
            format="json",
        )
    finally:
        pre_save.disconnect(the_other_request_saves_first, sender=CustomField)
    error = error_of(response, 400)
    assert list(error["fields"]) == ["code"]
    assert not CustomField.objects.filter(label="Сегмент").exists()


def test_the_second_of_two_equal_codes_is_refused_by_name(personas: Personas, api: Any) -> None:
    client = api(personas.admin)
    body = {"entity": "companies", "code": "segment", "label": "Сегмент", "type": "text"}
    assert client.post("/api/v1/custom-fields/", body, format="json").status_code == 201
    error = error_of(client.post("/api/v1/custom-fields/", body, format="json"), 400)
    assert list(error["fields"]) == ["code"]


# --- The OpenAPI document -------------------------------------------------------------------------
@pytest.fixture
def openapi(personas: Personas, api: Any) -> dict[str, Any]:
    response = api(personas.manager_a).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return json.loads(response.content)


def _schema(document: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return document["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]


def test_the_document_describes_every_field_the_api_returns(
    openapi: dict[str, Any], personas: Personas, api: Any
) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    contact = ContactFactory(owner=personas.manager_a, company=company)
    client = api(personas.manager_a)
    for path, record in (("companies", company), ("contacts", contact)):
        returned = client.get(f"/api/v1/{path}/{record.pk}/").json()
        get = openapi["paths"][f"/api/v1/{path}/{{id}}/"]["get"]
        schema = _schema(openapi, get["responses"]["200"]["content"]["application/json"]["schema"])
        properties = schema["properties"]
        assert set(returned) <= set(properties)
        assert [name for name in returned if properties[name].get("writeOnly")] == []


def test_the_document_requires_version_on_every_update(openapi: dict[str, Any]) -> None:
    updates = [
        (path, method, operation)
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
        if method in ("put", "patch") and not path.startswith("/api/v1/custom-fields/")
    ]
    assert len(updates) >= 8
    for path, method, operation in updates:
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert "version" in _schema(openapi, body).get("required", []), (method, path)
    create = openapi["paths"]["/api/v1/companies/"]["post"]["requestBody"]["content"]
    assert "version" not in _schema(openapi, create["application/json"]["schema"]).get(
        "required", []
    )


def test_the_document_lists_each_operations_errors_in_one_format(
    openapi: dict[str, Any],
) -> None:
    error = openapi["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "fields"]
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"400", "401"} <= set(responses), (method, path)
            if "{id}" in path:
                assert "404" in responses, (method, path)
            if method != "get":
                assert "403" in responses, (method, path)
            for status in ("400", "401", "403", "404", "409", "429"):
                if status in responses:
                    content = responses[status]["content"]["application/json"]["schema"]
                    assert content == {"$ref": "#/components/schemas/Error"}
    assert "409" in openapi["paths"]["/api/v1/companies/{id}/"]["patch"]["responses"]
    assert "409" in openapi["paths"]["/api/v1/batches/{id}/undo/"]["post"]["responses"]
    assert "429" in openapi["paths"]["/api/v1/users/{id}/"]["patch"]["responses"]
    assert "200" in openapi["paths"]["/api/v1/custom-fields/{id}/"]["delete"]["responses"]
