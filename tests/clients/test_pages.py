"""Company and contact pages: create, edit with versions, trash, scoping, audit history."""

from __future__ import annotations

from typing import Any

from django.test import Client

from kartoteka.clients.models import Company, Contact
from kartoteka.core.models import AuditEntry
from tests.clients.post_data import company_post, contact_post
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


def test_manager_creates_a_company_owned_by_them(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/companies/new/",
        company_post(
            name="ООО «Вектор»",
            inn="7707083893",
            kpp="770701001",
            ogrn="1027700132195",
            city="Москва",
            phones=["8 (916) 123-45-67", "+7 495 111-22-33"],
            emails=["info@vector.ru"],
        ),
    )
    company = Company.objects.get(name="ООО «Вектор»")
    assert response.status_code == 302 and response["Location"] == f"/companies/{company.pk}/"
    assert company.owner == personas.manager_a and company.branch == personas.branch_a
    assert [p.number for p in company.phones.all()] == ["+79161234567", "+74951112233"]
    assert [e.address for e in company.emails.all()] == ["info@vector.ru"]
    card = client.get(f"/companies/{company.pk}/").content.decode()
    assert "+7 916 123-45-67" in card and "+7 495 111-22-33" in card and "770701001" in card
    entry = AuditEntry.objects.get(
        action="create", object_id=company.pk, content_type__model="company"
    )
    assert entry.actor == personas.manager_a
    assert entry.changes["name"] == [None, "ООО «Вектор»"]


def test_bad_inn_and_phone_are_named_beside_their_fields(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/companies/new/",
        company_post(name="ООО «Брак»", inn="7707083890", ogrn="1027700132190", phones=["12"]),
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert "inn" in form.errors and "ogrn" in form.errors
    phone_rows = next(fs for spec, fs in response.context["formsets"] if spec.name == "phones")
    assert phone_rows.forms[0].errors["number"]
    assert not Company.objects.filter(name="ООО «Брак»").exists()
    assert 'value="ООО «Брак»"' in response.content.decode()  # what was typed is kept


def test_manager_cannot_give_a_record_to_another_branch(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/companies/new/", company_post(name="ООО «Чужое»", owner=personas.manager_b.pk)
    )
    # The owner picker is locked to the manager (no right to assign): a crafted owner is
    # ignored, as on the edit page, and the record stays the manager's, in their branch.
    assert response.status_code == 302
    created = Company.objects.get(name="ООО «Чужое»")
    assert (created.owner, created.branch) == (personas.manager_a, personas.branch_a)


def test_stale_edit_is_refused_and_shows_what_changed(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Старое»")
    other = Client()
    other.force_login(personas.branch_head_a)
    client.force_login(personas.manager_a)
    # Both open the form at version 1; the branch head saves first.
    assert (
        other.post(
            f"/companies/{company.pk}/edit/",
            company_post(name="ООО «Новое»", version=1, phones=["+79160000001"]),
        ).status_code
        == 302
    )
    response = client.post(
        f"/companies/{company.pk}/edit/",
        company_post(name="ООО «Моё»", version=1, phones=["+79160000001"]),
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert 'id="conflict"' in page
    assert "ООО «Старое» → ООО «Новое»" in page
    assert 'value="ООО «Моё»"' in page  # the user's edit is kept for another try
    company.refresh_from_db()
    assert company.name == "ООО «Новое»" and company.version == 2
    # Saving again with the version the conflict page carried succeeds.
    assert (
        client.post(
            f"/companies/{company.pk}/edit/",
            company_post(name="ООО «Моё»", version=2, phones=["+79160000001"]),
        ).status_code
        == 302
    )
    company.refresh_from_db()
    assert company.name == "ООО «Моё»" and company.version == 3


def test_other_branch_record_is_404_on_every_page(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_b)
    contact = ContactFactory(owner=personas.manager_b)
    client.force_login(personas.manager_a)
    for path in (
        f"/companies/{company.pk}/",
        f"/companies/{company.pk}/edit/",
        f"/contacts/{contact.pk}/",
        f"/contacts/{contact.pk}/edit/",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/companies/{company.pk}/delete/",
        f"/companies/{company.pk}/edit/",
        f"/companies/{company.pk}/share/",
    ):
        assert (
            client.post(
                path, {"name": "hacked", "version": 1, "user": personas.manager_a.pk}
            ).status_code
            == 404
        ), path
    company.refresh_from_db()
    assert company.name != "hacked" and company.deleted_at is None
    assert not AuditEntry.objects.filter(
        object_id=company.pk, action__in=["update", "delete", "share"]
    ).exists()


def test_delete_goes_to_trash_and_admin_restores(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Корзина»")
    client.force_login(personas.manager_a)
    assert client.post(f"/companies/{company.pk}/delete/").status_code == 302
    assert "ООО «Корзина»" not in table_rows(client.get("/companies/").content.decode())
    assert client.get(f"/companies/{company.pk}/").status_code == 404
    # Their own trash lists only what they deleted or own.
    assert "ООО «Корзина»" in client.get("/settings/trash/").content.decode()
    admin = Client()
    admin.force_login(personas.admin)
    assert "ООО «Корзина»" in admin.get("/settings/trash/").content.decode()
    assert admin.post(f"/settings/trash/clients.company/{company.pk}/restore/").status_code == 302
    assert "ООО «Корзина»" in table_rows(client.get("/companies/").content.decode())
    actions = list(
        AuditEntry.objects.filter(object_id=company.pk, content_type__model="company")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["delete", "restore"]


def test_trash_purges_after_retention(personas: Personas, settings: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from kartoteka.core.tasks import purge_trash

    old = CompanyFactory(owner=personas.manager_a)
    fresh = CompanyFactory(owner=personas.manager_a)
    Company.all_objects.filter(pk=old.pk).update(
        deleted_at=timezone.now() - timedelta(days=settings.TRASH_RETENTION_DAYS + 1)
    )
    Company.all_objects.filter(pk=fresh.pk).update(deleted_at=timezone.now())
    purge_trash()  # jobs run inline in tests
    assert not Company.all_objects.filter(pk=old.pk).exists()
    assert Company.all_objects.filter(pk=fresh.pk).exists()
    assert AuditEntry.objects.filter(action="purge", object_id=old.pk).exists()


def test_share_lets_another_branch_see_a_record_until_it_is_removed(
    client: Client, personas: Personas
) -> None:
    company = CompanyFactory(owner=personas.manager_a, name="ООО «Общее»")
    kazan = Client()
    kazan.force_login(personas.manager_b)
    assert kazan.get(f"/companies/{company.pk}/").status_code == 404
    client.force_login(personas.head)  # a sales manager may share only within their own branch
    client.post(f"/companies/{company.pk}/share/", {"branch": personas.branch_b.pk})
    assert kazan.get(f"/companies/{company.pk}/").status_code == 200
    assert "ООО «Общее»" in table_rows(kazan.get("/companies/").content.decode())
    share_id = company_share_id(company)
    client.post(f"/companies/{company.pk}/share/{share_id}/remove/")
    assert kazan.get(f"/companies/{company.pk}/").status_code == 404


def test_expired_share_hides_the_record(personas: Personas) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from kartoteka.core import access
    from kartoteka.core.models import RecordShare

    company = CompanyFactory(owner=personas.manager_a)
    from kartoteka.records.sharing import share_create

    share_create(
        actor=personas.head, obj=company, user=personas.manager_b, until=timezone.localdate()
    )
    assert access.scoped(Company.objects.all(), personas.manager_b).filter(pk=company.pk).exists()
    RecordShare.objects.update(until=timezone.localdate() - timedelta(days=1))
    assert (
        not access.scoped(Company.objects.all(), personas.manager_b).filter(pk=company.pk).exists()
    )


def table_rows(html: str) -> str:
    """Only the list's rows: toasts and headers also mention names."""
    if "<tbody>" not in html:
        return ""
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def company_share_id(company: Company) -> int:
    from kartoteka.records.sharing import shares_of

    return shares_of(company).get().pk


def test_contact_links_only_to_visible_companies(client: Client, personas: Personas) -> None:
    foreign = CompanyFactory(owner=personas.manager_b)
    mine = CompanyFactory(owner=personas.manager_a)
    client.force_login(personas.manager_a)
    response = client.post(
        "/contacts/new/", contact_post(last_name="Сидоров", companies=[(foreign.pk, "директор")])
    )
    assert response.status_code == 422
    assert not Contact.objects.filter(last_name="Сидоров").exists()
    response = client.post(
        "/contacts/new/", contact_post(last_name="Сидоров", companies=[(mine.pk, "директор")])
    )
    assert response.status_code == 302
    job = Contact.objects.get(last_name="Сидоров").employments.get()
    assert (job.company, job.position) == (mine, "директор")
    assert "директор" in client.get(f"/companies/{mine.pk}/").content.decode()


def test_card_shows_audit_history(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    client.post(
        "/contacts/new/",
        contact_post(last_name="Петров", first_name="Пётр", phones=["9161112233"]),
    )
    contact = Contact.objects.get(last_name="Петров")
    client.post(
        f"/contacts/{contact.pk}/edit/",
        contact_post(
            last_name="Петров",
            first_name="Павел",
            phones=["+79161112233", "84951234567"],
            version=1,
        ),
    )
    card = client.get(f"/contacts/{contact.pk}/timeline/").content.decode()
    assert "Пётр → Павел" in card
    assert "+7 495 123-45-67" in card  # the added phone is in the history and the card


def test_contact_with_relatives_dates_and_tags(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    response = client.post(
        "/contacts/new/",
        contact_post(
            last_name="Соколова",
            first_name="Анна",
            birthday="1985-03-14",
            preferences="Любит Пелевина",
            emails=["anna@example.ru"],
            related=[
                {
                    "name": "Игорь",
                    "relation": "spouse",
                    "birthday": "1983-07-01",
                    "anniversary": "",
                },
                {"name": "Маша", "relation": "child", "birthday": "2015-09-01", "anniversary": ""},
            ],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    contact = Contact.objects.get(last_name="Соколова")
    assert [(p.name, p.relation) for p in contact.related_persons.all()] == [
        ("Игорь", "spouse"),
        ("Маша", "child"),
    ]
    card = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "Игорь" in card and "01.07" in card and "Любит Пелевина" in card and "14.03.1985" in card


def test_top_search_finds_by_name_and_any_phone_format(client: Client, personas: Personas) -> None:
    ContactFactory(owner=personas.manager_a, last_name="Звонарёв", phone="+79161234567")
    CompanyFactory(owner=personas.manager_a, name="ООО «Звон»")
    ContactFactory(owner=personas.manager_b, last_name="Звонов", phone="+79161234567")  # Kazan
    client.force_login(personas.manager_a)
    by_name = client.get("/search/", {"q": "звон"}).content.decode()
    assert "Звонарёв" in by_name and "ООО «Звон»" in by_name and "Звонов" not in by_name
    for raw in ("8 (916) 123-45-67", "+7 916 1234567", "9161234567"):
        page = client.get("/search/", {"q": raw}).content.decode()
        assert "Звонарёв" in page and "Звонов" not in page, raw
