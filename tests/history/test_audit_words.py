"""The audit trail page in words: rights, filters and records by name, in the reader's language;
built-in roles stay translations when edited."""

from __future__ import annotations

from typing import Any

from django.test import Client

from kartoteka.accounts.models import Role, User
from kartoteka.accounts.services import role_save
from kartoteka.clients.services.companies import company_create
from kartoteka.records.services.saved_views import saved_view_create
from tests.conftest import Personas


def audit_page(client: Client, user: User, language: str, query: str = "") -> str:
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client.get(f"/settings/audit/{query}").content.decode()


def role_cells(role: Role) -> dict[tuple[str, str], str]:
    return {(g.entity, g.action): g.scope for g in role.grants.all()}


def test_a_role_change_reads_as_rights_and_scopes_in_words(
    personas: Personas, client: Client
) -> None:
    role = Role.objects.get(code="branch_head")
    cells = {**role_cells(role), ("companies", "view"): "own"}
    role_save(
        actor=personas.admin,
        role=role,
        name=role.name,
        code=role.code,
        description=role.description,
        cells=cells,
        version=role.version,
    )
    page = audit_page(client, personas.admin, "ru")
    assert "<b>Просмотр компаний</b>: филиал → свои" in page
    assert "companies.view" not in page
    english = audit_page(client, personas.admin, "en")
    assert "<b>View companies</b>: branch → own" in english


def test_a_saved_view_reads_as_a_filter_summary(personas: Personas, client: Client) -> None:
    saved_view_create(
        actor=personas.manager_a,
        entity="companies",
        name="Мои клиенты в Москве",
        query=f"status=client&city=%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0&owner={personas.manager_a.pk}&sort=-name",
    )
    page = audit_page(client, personas.admin, "ru")
    summary = (
        "<b>Фильтр</b>: — → "
        f"Статус: Клиент; Город: Москва; Ответственный: {personas.manager_a.get_full_name()}; "
        "сортировка: название, по убыванию"
    )
    assert summary in page
    assert "%D0" not in page and "status=client" not in page


def test_records_are_named_and_linked_without_ids(personas: Personas, client: Client) -> None:
    company = company_create(actor=personas.admin, values={"name": "ООО «Гамма»"})
    page = audit_page(client, personas.admin, "ru")
    assert f'<a href="/companies/{company.pk}/">ООО «Гамма»</a>' in page
    assert f"#{company.pk}" not in page


def test_a_builtin_role_edited_in_russian_stays_english_for_english_readers(
    personas: Personas, client: Client
) -> None:
    role = Role.objects.get(code="sales_manager")
    personas.admin.language = "ru"
    personas.admin.save(update_fields=["language"])
    client.force_login(personas.admin)
    form = client.get(f"/settings/roles/{role.pk}/").context["form"]
    assert form.initial["name"] == "Менеджер по продажам"
    data: dict[str, Any] = {
        "name": form.initial["name"],
        "description": form.initial["description"],
        "version": role.version,
    }
    for name, field in form.fields.items():
        if name.startswith("grant__"):
            data[name] = form.initial.get(name, field.initial) or ""
    data["grant__contacts__export"] = ""
    response = client.post(f"/settings/roles/{role.pk}/", data)
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.name == "Sales manager"
    assert ("contacts", "export") not in role_cells(role)
    personas.admin.language = "en"
    personas.admin.save(update_fields=["language"])
    assert "Sales manager" in client.get("/settings/roles/").content.decode()


def test_a_builtin_role_renamed_on_purpose_keeps_the_new_name(personas: Personas) -> None:
    role = Role.objects.get(code="marketer")
    role_save(
        actor=personas.admin,
        role=role,
        name="Маркетолог-аналитик",
        code=role.code,
        description=role.description,
        cells=role_cells(role),
        version=role.version,
    )
    role.refresh_from_db()
    assert role.display_name == "Маркетолог-аналитик"


def test_builtin_role_names_stored_translated_are_put_back(personas: Personas) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "kartoteka.accounts.migrations.0006_builtin_role_names_untranslated"
    )
    Role.objects.filter(code="sales_manager").update(name="Менеджер по продажам")
    Role.objects.filter(code="marketer").update(name="Маркетолог-аналитик")
    migration.restore_shipped_texts(apps, None)
    assert Role.objects.get(code="sales_manager").name == "Sales manager"
    assert Role.objects.get(code="marketer").name == "Маркетолог-аналитик"


def test_the_role_editor_shows_words_not_codes(personas: Personas, client: Client) -> None:
    import re

    role = Role.objects.get(code="branch_head")
    personas.admin.language = "ru"
    personas.admin.save(update_fields=["language"])
    client.force_login(personas.admin)
    page = client.get(f"/settings/roles/{role.pk}/").content.decode()
    main = page[page.index("<main") :]
    text = re.sub(r"<[^>]+>", " ", main)
    assert "branch_head" not in text and "companies" not in text and "Код" not in text
    assert '<th scope="row">Компании</th>' in page
    assert '<option value="">нет</option>' in page and ">филиал</option>" in page


def test_a_new_role_gets_its_code_from_its_name(personas: Personas, client: Client) -> None:
    client.force_login(personas.admin)
    response = client.post(
        "/settings/roles/new/", {"name": "Старший менеджер", "grant__companies__view": "own"}
    )
    assert response.status_code == 302, response.content.decode()
    assert Role.objects.get(name="Старший менеджер").code == "starshii-menedzher"


def test_roles_given_to_a_person_read_in_the_readers_language(
    personas: Personas, client: Client
) -> None:
    from django.contrib.contenttypes.models import ContentType

    from kartoteka.core.models import AuditEntry

    AuditEntry.objects.create(
        actor=personas.admin,
        action="update",
        content_type=ContentType.objects.get_for_model(User),
        object_id=personas.manager_b.pk,
        object_repr=str(personas.manager_b),
        changes={"roles": [[], ["Sales manager"]], "language": ["en", "ru"]},
    )
    page = audit_page(client, personas.admin, "ru")
    assert "<b>Роли</b>: — → Менеджер по продажам" in page
    assert "<b>Язык</b>: English → Русский" in page
    assert "Sales manager" in audit_page(client, personas.admin, "en")
