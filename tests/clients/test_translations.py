"""One English word, several Russian ones: each place gets the word that fits it (msgctxt)."""

from __future__ import annotations

import re

from django.test import Client
from django.utils import translation

from kartoteka.accounts.models import Branch, User
from kartoteka.clients.models import CompanyPhone, Employment
from kartoteka.core.models import AuditEntry
from kartoteka.records.models import CustomField, GroupRule
from kartoteka.records.models.custom_fields import FieldType
from kartoteka.records.services.custom_fields import custom_field_save
from kartoteka.records.services.group_rules import group_rule_save
from kartoteka.records.services.saved_views import saved_view_create
from tests.conftest import Personas


def russian(user: User) -> None:
    user.language = "ru"
    user.save(update_fields=["language"])


def verbose(model: type, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def test_each_place_has_its_own_russian_word() -> None:
    with translation.override("ru"):
        assert verbose(CompanyPhone, "number") == "номер"
        assert str(FieldType.NUMBER.label) == "число"
        assert verbose(Employment, "position") == "должность"
        assert verbose(CustomField, "position") == "порядок"
        assert verbose(GroupRule, "is_active") == "активно"
        assert verbose(Branch, "is_active") == "активен"
        assert str(AuditEntry.Action.SHARE.label) == "открыт доступ"
    with translation.override("en"):
        assert verbose(CompanyPhone, "number") == str(FieldType.NUMBER.label) == "number"
        assert verbose(Employment, "position") == verbose(CustomField, "position") == "position"


def test_custom_field_list_says_chislo_and_the_contact_form_says_dolzhnost(
    personas: Personas, client: Client
) -> None:
    custom_field_save(
        actor=personas.admin,
        field=None,
        entity="companies",
        code="staff",
        label="Сотрудников",
        type="number",
        choices=[],
    )
    russian(personas.admin)
    client.force_login(personas.admin)
    fields = client.get("/settings/custom-fields/").content.decode()
    assert re.search(r"<td[^>]*>число</td>", fields)
    form = client.get("/contacts/new/").content.decode()
    assert ">Должность<" in form


def test_a_rule_is_on_and_a_user_is_active_and_a_shared_view_is_common(
    personas: Personas, client: Client
) -> None:
    group_rule_save(
        actor=personas.admin,
        rule=None,
        values={
            "entity": "companies",
            "name": "Поволжье",
            "field": "city",
            "value": "Казань",
            "effect": "add_tag",
            "tag": "Поволжье",
        },
    )
    saved_view_create(
        actor=personas.admin, entity="companies", name="Казань", query="city=Казань", is_shared=True
    )
    russian(personas.admin)
    client.force_login(personas.admin)
    rules = client.get("/settings/group-rules/").content.decode()
    assert re.search(r"<td[^>]*>активно</td>", rules)  # a cell may carry a data-label
    assert re.search(r"<td[^>]*>активен</td>", client.get("/settings/users/").content.decode())
    assert 'title="общий"' in client.get("/companies/").content.decode()
