"""/api/v1/{companies,contacts}/duplicates/ and /{id}/merge/: pairs, merging, error format."""

from __future__ import annotations

from typing import Any

from kartoteka.clients.models import Company, CompanyPhone, Contact
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def test_duplicates_lists_pairs_with_reasons_and_pages(personas: Personas, api: Any) -> None:
    first = CompanyFactory(owner=personas.admin, name="ООО «Ромашка»", inn="7707083893")
    second = CompanyFactory(owner=personas.admin, name="Ромашка", inn="7707083893")
    client = api(personas.admin)
    body = client.get("/api/v1/companies/duplicates/?reason=inn").json()
    label = body["results"][0].pop("label")
    assert "7707083893" in label  # "same INN 7707083893", in the caller's language
    assert body == {
        "results": [
            {
                "first": first.pk,
                "second": second.pk,
                "reason": "inn",
                "value": "7707083893",
                "similarity": 100,
            }
        ],
        "next": None,
    }
    names = client.get("/api/v1/companies/duplicates/?reason=name").json()["results"]
    assert [(r["first"], r["second"], r["similarity"]) for r in names] == [
        (first.pk, second.pk, 100)
    ]
    for number in range(30):
        for _copy in range(2):
            ContactFactory(owner=personas.admin, phone=f"+79030000{number:03d}")
    page = client.get("/api/v1/contacts/duplicates/").json()  # phones first for people
    assert len(page["results"]) == 25 and page["results"][0]["reason"] == "phone"
    assert page["next"].startswith("http://testserver/api/v1/contacts/duplicates/?")
    rest = client.get(page["next"]).json()
    assert [r["value"] for r in rest["results"]] == [f"+79030000{n:03d}" for n in range(25, 30)]
    assert rest["next"] is None


def test_duplicates_are_scoped_and_reasons_checked(personas: Personas, api: Any) -> None:
    CompanyFactory(owner=personas.manager_a, inn="7707083893")
    CompanyFactory(owner=personas.manager_b, inn="7707083893")
    assert api(personas.manager_a).get("/api/v1/companies/duplicates/").json()["results"] == []
    assert api(personas.marketer).get("/api/v1/companies/duplicates/").status_code == 403
    response = api(personas.admin).get("/api/v1/contacts/duplicates/?reason=inn")
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]


def test_merge_applies_choices_and_answers_the_survivor(personas: Personas, api: Any) -> None:
    survivor = CompanyFactory(owner=personas.manager_a, name="ООО «Ромашка»", city="Москва")
    other = CompanyFactory(owner=personas.manager_a, name="Ромашка", city="Химки")
    response = api(personas.manager_a).post(
        f"/api/v1/companies/{survivor.pk}/merge/",
        {"other": other.pk, "version": 1, "other_version": 1, "keep": {"city": "other"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == survivor.pk and body["city"] == "Химки" and body["version"] == 2
    assert sorted(p["number"] for p in body["phones"]) == sorted(
        [f"+7916{survivor.pk:07d}", f"+7916{other.pk:07d}"]
    )
    assert not Company.objects.filter(pk=other.pk).exists()


def test_merge_contacts(personas: Personas, api: Any) -> None:
    first = ContactFactory(owner=personas.manager_a, last_name="Петров", first_name="Пётр")
    second = ContactFactory(owner=personas.manager_a, last_name="Петров", first_name="Петр")
    response = api(personas.manager_a).post(
        f"/api/v1/contacts/{first.pk}/merge/",
        {"other": second.pk, "version": 1, "other_version": 1},
        format="json",
    )
    assert response.status_code == 200
    assert len(response.json()["phones"]) == 2
    assert Contact.all_objects.get(pk=second.pk).deleted_at is not None


def test_merge_errors_in_the_project_format(personas: Personas, api: Any) -> None:
    survivor = CompanyFactory(owner=personas.manager_a)
    other = CompanyFactory(owner=personas.manager_a)
    theirs = CompanyFactory(owner=personas.manager_b)
    client = api(personas.manager_a)
    url = f"/api/v1/companies/{survivor.pk}/merge/"

    stale = client.post(url, {"other": other.pk, "version": 5, "other_version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert stale.json()["error"]["current_version"] == 1

    hidden = client.post(url, {"other": theirs.pk, "version": 1, "other_version": 1}, format="json")
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    hidden = client.post(
        f"/api/v1/companies/{theirs.pk}/merge/",
        {"other": survivor.pk, "version": 1, "other_version": 1},
        format="json",
    )
    assert hidden.status_code == 404

    bad = client.post(
        url,
        {"other": other.pk, "version": 1, "other_version": 1, "keep": {"city": "both"}},
        format="json",
    )
    assert bad.status_code == 400 and "keep" in bad.json()["error"]["fields"]
    unknown = client.post(
        url,
        {"other": other.pk, "version": 1, "other_version": 1, "keep": {"owner": "other"}},
        format="json",
    )
    assert unknown.status_code == 400 and "keep" in unknown.json()["error"]["fields"]
    missing = client.post(url, {"other": other.pk}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["error"]["fields"]) == {"version", "other_version"}

    assert Company.objects.filter(pk__in=[survivor.pk, other.pk, theirs.pk]).count() == 3
    assert CompanyPhone.objects.filter(company=theirs).count() == 1
    assert Company.objects.get(pk=survivor.pk).version == 1
