"""No 500s and no silent changes on the pages: what a crafted URL or form sends gets a 400/404/422.

Filters follow the API's convention: a value that cannot name anything (an id beyond 64 bits)
matches nothing; ids one asks to change (bulk ids, pickers) are refused beside their field.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db.models.signals import pre_save
from django.test import Client

from kartoteka.clients.models import Company
from kartoteka.records.models import CustomField
from kartoteka.records.services.custom_fields import custom_field_save
from tests.clients.post_data import company_post, contact_post
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

HUGE = "99999999999999999999"  # beyond 64 bits


def define(actor: Any, code: str, type: str, entity: str = "companies") -> CustomField:
    return custom_field_save(
        actor=actor, field=None, entity=entity, code=code, label=code, type=type, choices=[]
    )


def after(value: Any) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- Ids in paths, filters and pickers ------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        f"/companies/{HUGE}/",
        f"/contacts/{HUGE}/edit/",
        f"/companies/{HUGE}/share/",
        "/companies/{own}/merge/" + HUGE + "/",
        f"/settings/custom-fields/{HUGE}/",
        f"/settings/batches/{HUGE}/undo/",
        f"/settings/trash/clients.company/{HUGE}/restore/",
    ],
)
def test_an_id_beyond_64_bits_in_a_path_is_404(
    path: str, client: Client, personas: Personas
) -> None:
    own = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.admin)
    # (Some of these only take POST: a GET is 405 before the id is read.)
    assert client.get(path.format(own=own.pk)).status_code in (404, 405)
    assert client.post(path.format(own=own.pk)).status_code == 404


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/companies/", {"owner": HUGE}),
        ("/companies/", {"branch": HUGE}),
        ("/contacts/", {"owner": HUGE}),
        ("/contacts/", {"company": HUGE}),
        ("/companies/bulk/count/", {"owner": HUGE}),
        ("/contacts/bulk/count/", {"company": HUGE}),
        ("/companies/export/", {"owner": HUGE}),
        ("/settings/audit/", {"actor": HUGE}),
        ("/settings/audit/", {"type": "clients.company", "id": HUGE}),
        ("/settings/audit/", {"actor": "²"}),
        ("/companies/duplicates/check/", {"name": "Ромашка", "exclude": HUGE}),
    ],
)
def test_a_page_filter_beyond_64_bits_matches_nothing(
    path: str, params: dict[str, str], client: Client, personas: Personas
) -> None:
    CompanyFactory(owner=personas.manager_a, name="Ромашка")
    ContactFactory(owner=personas.manager_a)
    client.force_login(personas.admin)
    response = client.get(path, params)
    assert response.status_code == 200
    if "page" in (response.context or {}):
        assert response.context["page"].rows == []


def test_the_new_contact_page_with_a_company_beyond_64_bits_is_no_error(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.manager_a)
    response = client.get("/contacts/new/", {"company": HUGE})
    assert response.status_code == 200
    assert HUGE not in response.content.decode()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"owner": HUGE}, "owner"),
        ({"branch": HUGE}, "branch"),
        ({"tags": [HUGE]}, "tags"),
    ],
)
def test_a_page_picker_beyond_64_bits_is_refused_beside_it(
    extra: dict[str, Any], field: str, client: Client, personas: Personas
) -> None:
    client.force_login(personas.head)
    response = client.post("/companies/new/", company_post(name="ООО «Пикер»", **extra))
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not Company.objects.filter(name="ООО «Пикер»").exists()


def test_an_employer_picker_beyond_64_bits_is_refused(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/contacts/new/", contact_post(last_name="Огромнов", companies=[(HUGE, "")])
    )
    assert response.status_code == 422
    assert not ContactFactory._meta.model.objects.filter(last_name="Огромнов").exists()


def test_bulk_ids_beyond_64_bits_change_nothing(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.head)
    response = client.post(
        "/companies/bulk/",
        {"action": "trash", "ids": [HUGE, str(company.pk)], "page_ids": HUGE, "all_on_page": "1"},
    )
    assert response.status_code in (302, 422)
    company.refresh_from_db()
    # Only the id that names a record is acted on.
    assert company.deleted_at is not None
    response = client.post("/companies/bulk/", {"action": "trash", "ids": [HUGE]})
    assert response.status_code == 422


def test_a_bulk_owner_beyond_64_bits_is_refused(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.head)
    response = client.post(
        "/companies/bulk/", {"action": "reassign", "ids": [company.pk], "to_owner": HUGE}
    )
    assert response.status_code == 422
    assert "to_owner" in response.context["form"].errors
    company.refresh_from_db()
    assert company.owner == personas.manager_a


# --- The list's cursor ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("", None),
        ("", [1, 2, 3]),
        ("", {"a": 1, "b": 2}),
        ("", ["x", True]),
        ("", [1, int(HUGE)]),
        ("", [1, -5]),
        ("name", [None, 5]),
        ("name", ["Ромашка\x00", 5]),
        ("name", [[1], 5]),
        ("name", [{"a": 1}, 5]),
        ("-name", ["Ромашка", "5"]),
        ("created", ["garbage", 5]),
        ("-created", [12, 5]),
    ],
)
def test_a_crafted_list_cursor_is_400(
    sort: str, cursor: Any, client: Client, personas: Personas
) -> None:
    CompanyFactory.create_batch(3, owner=personas.manager_a)
    client.force_login(personas.manager_a)
    response = client.get("/companies/", {"sort": sort, "after": after(cursor)})
    assert response.status_code == 400


@pytest.mark.parametrize("raw", ["%%%", "not base64!", "AAAA"])
def test_text_that_is_no_cursor_starts_the_list_over(
    raw: str, client: Client, personas: Personas
) -> None:
    # A link cut short is not an attack: the list starts from its first page.
    CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)
    response = client.get("/companies/", {"after": raw})
    assert response.status_code == 200 and len(response.context["page"].rows) == 1


@pytest.mark.parametrize("sort", ["", "name", "-city", "created", "-created"])
def test_the_lists_own_cursors_still_page(sort: str, client: Client, personas: Personas) -> None:
    for name in ("А", "Б", "В", "Г", "Д"):
        CompanyFactory(owner=personas.manager_a, name=name, city=name)
    client.force_login(personas.manager_a)
    seen: list[str] = []
    params: dict[str, str] = {"sort": sort}
    for _page in range(10):
        response = client.get("/companies/?" + urlencode(params), {})
        assert response.status_code == 200
        page = response.context["page"]
        seen += [company.name for company in page.rows]
        if page.next_after is None:
            break
        params["after"] = page.next_after
    assert sorted(seen) == ["А", "Б", "В", "Г", "Д"]


def test_batches_page_refuses_a_crafted_cursor(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    assert client.get("/settings/batches/", {"after": after([None, None])}).status_code == 400
    assert client.get("/settings/audit/", {"after": after({"x": 1})}).status_code == 400


# --- Custom field values on the forms -------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("number", "1e308"),
        ("number", "1e-400"),
        ("number", "0,12345678901234567"),
        ("money", "1e27"),
        ("money", "-0,001"),
        ("money", "1 000,005"),
    ],
)
def test_a_form_refuses_a_custom_value_it_would_change(
    kind: str, value: str, client: Client, personas: Personas
) -> None:
    define(personas.admin, "amount", kind)
    client.force_login(personas.manager_a)
    response = client.post("/companies/new/", company_post(name="ООО «Ч»", cf_amount=value))
    assert response.status_code == 422
    assert response.context["form"].errors["cf_amount"]
    assert not Company.objects.filter(name="ООО «Ч»").exists()


def test_the_bulk_bar_refuses_a_custom_value_it_would_change(
    client: Client, personas: Personas
) -> None:
    define(personas.admin, "amount", "money")
    company = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)
    for action in ("preview", "set_field"):
        response = client.post(
            "/companies/bulk/",
            {
                "action": action,
                "ids": [company.pk],
                "field": "custom_fields.amount",
                "value": "1e27",
            },
        )
        assert response.status_code == 422
        assert response.context["form"].errors["value"]
    company.refresh_from_db()
    assert company.custom_fields == {}


# --- NUL bytes and texts without a word -----------------------------------------------------------
@pytest.mark.parametrize("path", ["/companies/", "/contacts/", "/search/", "/companies/export/"])
@pytest.mark.parametrize("params", [{"q": "\x00"}, {"q": "Ром\x00ашка"}, {"city": "\x00"}])
def test_a_nul_byte_in_a_page_query_is_no_server_error(
    path: str, params: dict[str, str], client: Client, personas: Personas
) -> None:
    CompanyFactory(owner=personas.manager_a, name="Ромашка")
    client.force_login(personas.manager_a)
    assert client.get(path, params).status_code in (200, 400)


@pytest.mark.parametrize("text", ['"', "()", "*", "« »"])
def test_a_page_search_without_a_word_matches_nothing(
    text: str, client: Client, personas: Personas
) -> None:
    CompanyFactory.create_batch(2, owner=personas.manager_a, name="Ромашка")
    ContactFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)
    assert client.get("/companies/", {"q": text}).context["page"].rows == []
    assert client.get("/contacts/", {"q": text}).context["page"].rows == []
    assert "Ромашка" not in client.get("/search/", {"q": text}).content.decode()
    count = client.get("/companies/bulk/count/", {"q": text})
    assert count.context["total"] == 0


def test_bulk_over_a_filter_without_a_word_changes_nothing(
    client: Client, personas: Personas
) -> None:
    CompanyFactory.create_batch(3, owner=personas.manager_a)
    client.force_login(personas.manager_a)
    for query in ('q="', "q=()", "q=%00", "q=*"):
        client.post("/companies/bulk/", {"action": "trash", "scope": "filter", "query": query})
    assert Company.objects.count() == 3


# --- One code, two requests -----------------------------------------------------------------------
def test_two_fields_created_at_once_with_one_code_give_a_field_error(
    client: Client, personas: Personas
) -> None:
    def the_other_request_saves_first(sender: Any, instance: CustomField, **kwargs: Any) -> None:
        pre_save.disconnect(the_other_request_saves_first, sender=CustomField)
        CustomField.objects.bulk_create(
            [CustomField(entity=instance.entity, code=instance.code, label="Другое", type="text")]
        )

    client.force_login(personas.admin)
    pre_save.connect(the_other_request_saves_first, sender=CustomField)
    try:
        response = client.post(
            "/settings/custom-fields/new/",
            {"entity": "companies", "code": "segment", "label": "Сегмент", "type": "text"},
        )
    finally:
        pre_save.disconnect(the_other_request_saves_first, sender=CustomField)
    assert response.status_code == 422
    assert response.context["form"].errors["code"]


def test_bulk_over_a_filter_with_an_encoded_nul_changes_nothing(
    client: Client, personas: Personas
) -> None:
    """The bulk bar's query travels as text and is decoded again: a %00 in it reaches the
    filters as NUL, which PostgreSQL refuses; it matches nothing instead."""
    define(personas.admin, "note", "text")
    CompanyFactory.create_batch(2, owner=personas.manager_a, city="Тверь")
    client.force_login(personas.manager_a)
    for query in ("city=%00", "cf_note=a%00", "tag=%00", "owner=%00", "q=%00"):
        response = client.post(
            "/companies/bulk/", {"action": "trash", "scope": "filter", "query": query}
        )
        assert response.status_code in (302, 422), query
    assert Company.objects.count() == 2


def test_a_value_stored_before_the_checks_does_not_block_saving(
    client: Client, personas: Personas
) -> None:
    """Values stored before numbers were checked (17 digits, -0.00) are sent back unchanged by
    the form: the record still saves, and the value stays as it was."""
    define(personas.admin, "ratio", "number")
    define(personas.admin, "limit", "money")
    company = CompanyFactory(
        owner=personas.manager_a,
        name="ООО «Старое»",
        custom_fields={"ratio": 0.30000000000000004, "limit": "-0.00"},
    )
    client.force_login(personas.manager_a)
    response = client.post(
        f"/companies/{company.pk}/edit/",
        company_post(
            name="ООО «Новое»",
            version=company.version,
            cf_ratio="0.30000000000000004",
            cf_limit="-0.00",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    company.refresh_from_db()
    assert company.name == "ООО «Новое»"
    assert company.custom_fields == {"ratio": 0.30000000000000004, "limit": "-0.00"}


@pytest.mark.parametrize("version", ["²", "١", "99999999999999999999999"])
def test_a_merge_with_a_version_no_record_can_have_is_a_conflict_not_an_error(
    version: str, personas: Personas, client: Client
) -> None:
    kept = CompanyFactory(owner=personas.manager_a, name="ООО «Первая»")
    other = CompanyFactory(owner=personas.manager_a, name="ООО «Первая» дубль")
    client.force_login(personas.manager_a)

    response = client.post(
        f"/companies/{kept.pk}/merge/{other.pk}/",
        {"version": version, "other_version": other.version},
    )

    assert response.status_code == 409
    assert Company.objects.filter(pk__in=[kept.pk, other.pk]).count() == 2
