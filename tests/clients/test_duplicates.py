"""Duplicates: name keys, the live warning on create forms, the Duplicates page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.clients import duplicates
from kartoteka.clients.models import Company, CompanyEmail, ContactEmail
from kartoteka.clients.services.companies import company_create
from kartoteka.records import duplicates as record_duplicates
from tests.clients.post_data import company_post
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

ROMASHKA = [
    "ООО «Ромашка»",
    'ООО "Ромашка"',
    "Ромашка ООО",
    "ромашка",
    "РОМАШКА",
    "ООО «Ромашка»",
    "Общество с ограниченной ответственностью Ромашка",
    "Общество с ограниченной ответственностью «Ромашка»",
    "ООО ТД «Ромашка»",
    "Торговый дом Ромашка",
    "АО Ромашка",
    "ЗАО “Ромашка”",
    "Закрытое акционерное общество «Ромашка»",
    "Публичное акционерное общество Ромашка",
    "ПАО  „Ромашка“ ",
    "Ромашка, ООО",
    "OOO Ромашка",  # the legal form typed in Latin letters
    "ООО «Ромашка»\t",
]


@pytest.mark.parametrize("name", ROMASHKA)
def test_every_spelling_of_romashka_has_the_same_key(name: str) -> None:
    assert duplicates.company_key(name) == "ромашка"
    assert duplicates.same_company_name(name, "ромашка")


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("ООО «Ёлка»", "Елка", True),  # ё = е
        ("ИП Сидоров Пётр", "Сидоров Петр ИП", True),
        ("Ромашка", "Ромашка-2", False),  # numbered entities of one group are different
        ("Ромашка-2", "Ромашка 2", True),
        ("Ромашка-2", "Ромашка-3", False),
        ("Ромашка", "Лютик", False),
        ("Альфа Строй", "АльфаСтрой", True),  # spaces do not count
        ("ООО", "АО", False),  # nothing left of either: never "the same"
    ],
)
def test_names_that_are_and_are_not_the_same(first: str, second: str, same: bool) -> None:
    assert duplicates.same_company_name(first, second) is same


def test_similarity_tolerates_a_typo_but_not_a_different_word() -> None:
    similar = duplicates.similarity(
        duplicates.company_key("ООО Ромашка"), duplicates.company_key("Ромашки")
    )
    assert similar >= duplicates.SIMILARITY_THRESHOLD
    assert duplicates.similarity("вега", "вена") < duplicates.SIMILARITY_THRESHOLD
    assert duplicates.similarity("ромашка", "ромашка2") == 0.0


def test_the_database_builds_the_same_key_as_python(personas: Personas) -> None:
    names = [*ROMASHKA, "ООО «Ёлка»", "Ромашка-2", "Сидоров Пётр ИП", "Alfa  -  Beta LLC"]
    made = {CompanyFactory(owner=personas.admin, name=name, phone="").pk: name for name in names}
    keys = dict(
        Company.objects.filter(pk__in=made)
        .annotate(key=duplicates.company_key_sql())
        .values_list("pk", "key")
    )
    assert keys == {pk: duplicates.company_key(name) for pk, name in made.items()}


def test_the_key_works_while_another_statement_is_still_reading(personas: Personas) -> None:
    # The live server's request threads share one connection with the test; SQLite refuses to
    # register a function while any statement on it is unfinished ("Error creating function").
    for number in range(3):
        CompanyFactory(owner=personas.admin, name=f"Ромашка {number}", phone="")
    reading = connection.cursor()
    reading.execute("SELECT id FROM clients_company")
    assert reading.fetchone() is not None
    keys = Company.objects.annotate(key=duplicates.company_key_sql()).values_list("key", flat=True)
    assert set(keys) == {duplicates.company_key(f"Ромашка {number}") for number in range(3)}
    reading.close()


def test_person_keys_fold_case_and_yo_and_the_patronymic_is_optional() -> None:
    assert duplicates.person_key("Соловьёв", "Пётр") == duplicates.person_key("СОЛОВЬЕВ", "петр")
    assert duplicates.person_key("Соловьёв", "") == ""  # a surname alone is too common
    assert duplicates.patronymics_agree("", "Иванович")
    assert duplicates.patronymics_agree("Иванович", "иванович")
    assert not duplicates.patronymics_agree("Иванович", "Петрович")


# --- the live warning -------------------------------------------------------------------------


def check(client: Client, kind: str, **params: Any) -> str:
    url = "/companies/duplicates/check/" if kind == "company" else "/contacts/duplicates/check/"
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_warning_finds_a_company_by_phone_typed_in_another_format(
    client: Client, personas: Personas
) -> None:
    mine = CompanyFactory(owner=personas.manager_a, name="ООО «Вектор»", phone="+79161234567")
    client.force_login(personas.manager_a)
    html = check(client, "company", name="Совсем другое", phones="8 (916) 123-45-67")
    assert "Possible duplicate" in html
    assert f'href="/companies/{mine.pk}/"' in html and "ООО «Вектор»" in html
    assert "same phone +7 916 123-45-67" in html


def test_warning_finds_by_inn_email_and_similar_name(client: Client, personas: Personas) -> None:
    by_inn = CompanyFactory(owner=personas.manager_a, name="ООО «Альфа»", inn="7707083893")
    by_name = CompanyFactory(owner=personas.manager_a, name='ООО "Ромашка"')
    by_email = CompanyFactory(owner=personas.manager_a, name="ООО «Бета»")
    CompanyEmail.objects.create(company=by_email, address="Info@Beta.ru")
    client.force_login(personas.manager_a)
    assert "same INN 7707083893" in check(client, "company", inn="7707 083 893")
    assert f"/companies/{by_inn.pk}/" in check(client, "company", inn="7707083893")
    html = check(client, "company", name="Ромашка ООО")
    assert f"/companies/{by_name.pk}/" in html and "same name" in html
    html = check(client, "company", name="Ромашки")
    assert f"/companies/{by_name.pk}/" in html and "similar name 85 %" in html
    html = check(client, "company", emails="info@beta.ru")
    assert f"/companies/{by_email.pk}/" in html and "same email info@beta.ru" in html
    assert check(client, "company", name="Ромашка-2").strip() == ""  # numbers differ
    assert check(client, "company", name="Лютик", inn="123").strip() == ""


def test_warning_never_reveals_a_record_out_of_scope(client: Client, personas: Personas) -> None:
    CompanyFactory(
        owner=personas.manager_b, name="ООО «Секрет»", inn="7707083893", phone="+79160000001"
    )
    ContactFactory(owner=personas.manager_b, last_name="Тайнов", first_name="Иван")
    client.force_login(personas.manager_a)
    nothing = check(client, "company", name="Лютик")
    hidden = check(
        client, "company", name="ООО Секрет", inn="7707083893", phones="+7 916 000-00-01"
    )
    assert hidden == nothing  # not even a hint that something exists
    assert check(client, "contact", last_name="Тайнов", first_name="Иван").strip() == ""
    # The owner in Kazan does get the warning.
    client.force_login(personas.manager_b)
    assert "ООО «Секрет»" in check(client, "company", inn="7707083893")


def test_contact_warning_by_name_phone_and_email(client: Client, personas: Personas) -> None:
    petrov = ContactFactory(
        owner=personas.manager_a,
        last_name="Петров",
        first_name="Пётр",
        middle_name="Ильич",
        phone="+79031112233",
    )
    ContactEmail.objects.create(contact=petrov, address="petrov@mail.ru")
    client.force_login(personas.manager_a)
    assert f"/contacts/{petrov.pk}/" in check(
        client, "contact", last_name="петров", first_name="Петр"
    )
    assert "same name" in check(
        client, "contact", last_name="Петров", first_name="Пётр", middle_name="Ильич"
    )
    assert (
        check(
            client, "contact", last_name="Петров", first_name="Пётр", middle_name="Сергеевич"
        ).strip()
        == ""
    )
    assert "same phone" in check(client, "contact", phones="89031112233")
    assert "same email petrov@mail.ru" in check(client, "contact", emails="PETROV@mail.ru")


def test_the_create_form_carries_the_warning_box_and_saving_a_duplicate_still_works(
    client: Client, personas: Personas
) -> None:
    CompanyFactory(owner=personas.manager_a, name="ООО «Вектор»", inn="7707083893")
    client.force_login(personas.manager_a)
    form = client.get("/companies/new/").content.decode()
    assert 'id="duplicate-warning"' in form
    assert 'data-duplicates-url="/companies/duplicates/check/"' in form
    contact_form = client.get("/contacts/new/").content.decode()
    assert 'data-duplicates-url="/contacts/duplicates/check/"' in contact_form
    response = client.post(
        "/companies/new/", company_post(name="Вектор", inn="7707083893", phones=[])
    )
    assert response.status_code == 302  # a warning, not a stop
    assert Company.objects.filter(inn="7707083893").count() == 2


def test_warning_is_404_to_someone_with_no_right_to_the_kind(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.outsider)
    assert client.get("/companies/duplicates/check/?name=x").status_code == 404


# --- the Duplicates page ----------------------------------------------------------------------


def test_page_lists_pairs_with_their_reasons(client: Client, personas: Personas) -> None:
    admin = personas.admin
    first = CompanyFactory(owner=admin, name="ООО «Ромашка»", inn="7707083893", phone="")
    second = CompanyFactory(owner=admin, name="Ромашка", inn="7707083893", phone="")
    third = CompanyFactory(owner=admin, name="Лютик", phone="+79161234567")
    fourth = CompanyFactory(owner=admin, name="ЛЮТИК и партнёры", phone="+79161234567")
    client.force_login(admin)
    inn = client.get("/duplicates/?kind=companies&reason=inn").content.decode()
    assert "same INN 7707083893" in inn
    assert f"/companies/{first.pk}/merge/{second.pk}/" in inn  # the older one is kept
    phone = client.get("/duplicates/?kind=companies&reason=phone").content.decode()
    assert "same phone +7 916 123-45-67" in phone
    assert f"/companies/{third.pk}/merge/{fourth.pk}/" in phone
    name = client.get("/duplicates/?kind=companies&reason=name").content.decode()
    assert "same name" in name and f"/companies/{first.pk}/merge/{second.pk}/" in name
    assert f"/companies/{third.pk}/merge/{fourth.pk}/" not in name  # not similar enough


def test_page_shows_similar_names_with_a_percentage(personas: Personas) -> None:
    first = CompanyFactory(owner=personas.admin, name="ООО «Ромашка»", phone="")
    second = CompanyFactory(owner=personas.admin, name="Ромашки", phone="")
    CompanyFactory(owner=personas.admin, name="Ромашка-2", phone="")
    page = record_duplicates.duplicate_pairs(personas.admin, "companies", "name")
    assert [(p.first.pk, p.second.pk, p.label) for p in page.pairs] == [
        (first.pk, second.pk, "similar name 85 %")
    ]


def test_contact_pairs_by_name_phone_and_email(client: Client, personas: Personas) -> None:
    owner = personas.admin
    ivanov = ContactFactory(owner=owner, last_name="Иванов", first_name="Иван", phone="")
    twin = ContactFactory(owner=owner, last_name="ИВАНОВ", first_name="иван", phone="")
    ContactFactory(
        owner=owner, last_name="Иванов", first_name="Иван", middle_name="Петрович", phone=""
    )
    ContactFactory(
        owner=owner, last_name="Иванов", first_name="Иван", middle_name="Сергеевич", phone=""
    )
    ContactEmail.objects.create(contact=ivanov, address="ivan@example.ru")
    ContactEmail.objects.create(contact=twin, address="IVAN@example.ru")
    page = record_duplicates.duplicate_pairs(owner, "contacts", "name")
    # Both patronymic-less records pair with the oldest; two different patronymics never pair.
    assert {(p.first.pk, p.second.pk) for p in page.pairs} >= {(ivanov.pk, twin.pk)}
    assert all(
        not (p.first.middle_name and p.second.middle_name)  # type: ignore[attr-defined]
        for p in page.pairs
    )
    client.force_login(owner)
    html = client.get("/duplicates/?kind=contacts&reason=email").content.decode()
    assert (
        "same email ivan@example.ru" in html and f"/contacts/{ivanov.pk}/merge/{twin.pk}/" in html
    )


def test_page_only_pairs_records_the_user_may_edit(client: Client, personas: Personas) -> None:
    CompanyFactory(owner=personas.manager_a, name="ООО «Моя»", inn="7707083893")
    CompanyFactory(owner=personas.manager_b, name="ООО «Секрет»", inn="7707083893")
    CompanyFactory(owner=personas.manager_a, name="ООО «Моя вторая»", inn="7707083893")
    client.force_login(personas.manager_a)
    html = client.get("/duplicates/?kind=companies&reason=inn").content.decode()
    assert "ООО «Моя»" in html and "ООО «Моя вторая»" in html
    assert "Секрет" not in html
    client.force_login(personas.marketer)  # sees everything, edits nothing
    assert client.get("/duplicates/?kind=companies").status_code == 404
    assert "/duplicates/" not in client.get("/companies/").content.decode()
    client.force_login(personas.manager_a)
    assert "/duplicates/?kind=companies" in client.get("/companies/").content.decode()
    assert "/duplicates/?kind=contacts" in client.get("/contacts/").content.decode()
    client.force_login(personas.admin)
    assert "/duplicates/" in client.get("/settings/").content.decode()


def test_empty_page_explains_what_it_is_for(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    html = client.get("/duplicates/?kind=contacts").content.decode()
    assert "No likely duplicates here" in html


def test_pages_walk_the_groups_in_order(client: Client, personas: Personas) -> None:
    for number in range(5):
        for _copy in range(2):
            CompanyFactory(owner=personas.admin, phone=f"+7916000000{number}", name=f"Ф{number}")
    first = record_duplicates.duplicate_pairs(personas.admin, "companies", "phone", size=2)
    assert [p.value for p in first.pairs] == ["+79160000000", "+79160000001"]
    assert first.next_after == "+79160000001"
    second = record_duplicates.duplicate_pairs(
        personas.admin, "companies", "phone", size=2, after=first.next_after
    )
    assert [p.value for p in second.pairs] == ["+79160000002", "+79160000003"]
    client.force_login(personas.admin)
    html = client.get("/duplicates/?kind=companies&reason=phone&after=%2B79160000003")
    assert "+7 916 000-00-04" in html.content.decode()
    assert "+7 916 000-00-00" not in html.content.decode()


def test_a_huge_group_is_capped(personas: Personas) -> None:
    CompanyFactory.create_batch(15, owner=personas.admin, phone="+79160000000")
    page = record_duplicates.duplicate_pairs(personas.admin, "companies", "phone")
    assert len(page.pairs) == duplicates.GROUP_MEMBERS - 1


def _grow_duplicates(personas: Personas, groups: int) -> None:
    for number in range(groups):
        for _copy in range(3):
            company = CompanyFactory(
                owner=personas.admin,
                name=f"ООО «Дубль {number:03d}»",
                phone=f"+7495{number:07d}",
            )
            CompanyEmail.objects.create(company=company, address=f"d{number}@example.ru")
            ContactFactory(
                owner=personas.admin,
                last_name=f"Двойников{number:03d}",
                first_name="Иван",
                phone=f"+7903{number:07d}",
            )


@pytest.mark.parametrize(
    "url",
    [
        "/duplicates/?kind=companies&reason=phone",
        "/duplicates/?kind=companies&reason=email",
        "/duplicates/?kind=companies&reason=name",
        "/duplicates/?kind=contacts&reason=name",
        "/duplicates/?kind=contacts&reason=phone",
        "/companies/duplicates/check/?name=Дубль+001&phones=%2B74950000001&emails=d1@example.ru",
    ],
)
def test_query_count_does_not_grow_with_duplicates(
    url: str, client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    _grow_duplicates(personas, 3)
    small = count()
    _grow_duplicates(personas, 40)
    assert count() == small


def test_company_create_service_is_not_blocked_by_a_duplicate(personas: Personas) -> None:
    CompanyFactory(owner=personas.manager_a, name="ООО «Вектор»", inn="7707083893")
    company_create(actor=personas.manager_a, values={"name": "Вектор", "inn": "7707083893"})
    assert Company.objects.filter(inn="7707083893").count() == 2
