"""Issue 9's measurable points at both sizes it names, 1366×768 and 390×844, in Russian: the
history of a record edited in every field, the undo toast after a single delete, last-4 phone
ranking in the command box, Prev/Next on a card, and forms with no "---------" and no sideways
scroll. (The list density, the pager and the command box's full keyboard flow have their own
files; see tests/browser/test_lists.py, test_command_box.py and test_phone.py.)"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from kartoteka.accounts.models import Role, User
from kartoteka.clients.models import Company, Contact
from kartoteka.clients.services.companies import company_create, company_update
from kartoteka.clients.services.contacts import contact_create, contact_update
from kartoteka.records.models import CustomField
from tests.browser.pages import BROWSER_TEST, log_in, make_company
from tests.conftest import Personas
from tests.history.test_history_words import ISO_DATE, RAW_ID, english_words

pytestmark = BROWSER_TEST

SIZES = [pytest.param(1366, 768, id="1366x768"), pytest.param(390, 844, id="390x844")]
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _open(page: Page, user: User, width: int, height: int) -> None:
    User.objects.filter(pk=user.pk).update(language="ru")
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, user.username)


@pytest.fixture
def custom_fields(db: Any) -> None:
    for entity in ("companies", "contacts"):
        CustomField.objects.create(entity=entity, code="staff", label="Штат", type="number")
        CustomField.objects.create(entity=entity, code="vip", label="Важный клиент", type="boolean")
        CustomField.objects.create(entity=entity, code="met", label="Первая встреча", type="date")
        CustomField.objects.create(
            entity=entity, code="size", label="Размер", type="choice", choices=["малый", "большой"]
        )


def _company_edited_in_every_field(personas: Personas) -> Company:
    actor = personas.head
    company = company_create(
        actor=actor,
        values={
            "name": "ООО «Альфа»",
            "legal_form": "ООО",
            "status": "prospect",
            "city": "Казань",
            "region": "Татарстан",
            "industry": "Опт",
            "source": "Выставка",
            "legal_address": "Казань, ул. Баумана, 1",
            "postal_address": "Казань, а/я 1",
            "website": "https://alfa.ru",
            "notes": "Первая заметка",
            "phones": [{"number": "+74951234567", "kind": "work"}],
            "emails": [{"address": "info@alfa.ru", "kind": "work"}],
            "tags": ["Опт"],
            "custom_fields": {"staff": 5, "vip": False, "met": "2026-01-05", "size": "малый"},
        },
    )
    return company_update(
        actor=actor,
        company=company,
        version=company.version,
        values={
            "name": "ООО «Бета»",
            "legal_form": "АО",
            "inn": "7707083893",
            "kpp": "773601001",
            "ogrn": "1027700132195",
            "status": "client",
            "city": "Москва",
            "region": "Московская область",
            "industry": "Торговля",
            "source": "Рекомендация",
            "legal_address": "Москва, ул. Вавилова, 19",
            "postal_address": "Москва, а/я 2",
            "website": "https://beta.ru",
            "notes": "Перезвонить",
            "owner": personas.manager_a,
            "phones": [{"number": "+79161234567", "kind": "mobile"}],
            "emails": [{"address": "sales@beta.ru", "kind": "personal"}],
            "tags": ["Партнёр"],
            "custom_fields": {"staff": 7, "vip": True, "met": "2026-02-10", "size": "большой"},
        },
    )


def _contact_edited_in_every_field(personas: Personas, company: Company) -> Contact:
    actor = personas.head
    contact = contact_create(
        actor=actor,
        values={
            "last_name": "Иванов",
            "first_name": "Иван",
            "middle_name": "Петрович",
            "birthday": datetime.date(1980, 1, 2),
            "address": "Казань",
            "preferences": "Звонить утром",
            "email_consent": False,
            "phones": [{"number": "+79161112233", "kind": "mobile"}],
            "emails": [{"address": "ivan@alfa.ru", "kind": "work"}],
            "messengers": [{"kind": "telegram", "handle": "@ivanov_old"}],
            "related_persons": [{"name": "Анна", "relation": "child", "birthday": "2010-01-01"}],
            "tags": ["Опт"],
            "custom_fields": {"staff": 1, "vip": False, "met": "2026-01-05", "size": "малый"},
        },
    )
    return contact_update(
        actor=actor,
        contact=contact,
        version=contact.version,
        values={
            "last_name": "Петров",
            "first_name": "Пётр",
            "middle_name": "Ильич",
            "birthday": datetime.date(1981, 3, 4),
            "address": "Москва",
            "preferences": "Писать в Telegram",
            "email_consent": True,
            "owner": personas.manager_a,
            "phones": [{"number": "+74951234567", "kind": "work"}],
            "emails": [{"address": "ivan@beta.ru", "kind": "personal"}],
            "messengers": [{"kind": "whatsapp", "handle": "+79030000002"}],
            "related_persons": [
                {"name": "Мария", "relation": "spouse", "birthday": "1982-05-06"},
            ],
            "employments": [{"company": company.pk, "position": "директор"}],
            "tags": ["VIP"],
            "custom_fields": {"staff": 3, "vip": True, "met": "2026-03-01", "size": "большой"},
        },
    )


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_history_of_a_record_edited_in_every_field_reads_russian(
    page: Page, personas: Personas, custom_fields: None, width: int, height: int
) -> None:
    company = _company_edited_in_every_field(personas)
    contact = _contact_edited_in_every_field(personas, company)
    _open(page, personas.head, width, height)
    for url, shown in (
        (f"/companies/{company.pk}/", "Статус: Потенциальный клиент → Клиент"),
        (f"/contacts/{contact.pk}/", "День рождения: 02.01.1980 → 04.03.1981"),
    ):
        page.goto(url + "?tab=timeline")
        history = page.locator("#timeline")
        expect(history).to_contain_text(shown)
        text = history.inner_text()
        assert english_words(text) == [], (url, english_words(text), text)
        assert not ISO_DATE.search(text) and not RAW_ID.search(text), (url, text)
        assert page.evaluate(SIDEWAYS) <= 0, url


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_single_delete_shows_the_undo_toast(
    page: Page, personas: Personas, width: int, height: int
) -> None:
    company = make_company(owner=personas.manager_a, name="ООО «Передумали»")
    _open(page, personas.manager_a, width, height)
    page.goto(f"/companies/{company.pk}/")
    actions = page.locator(".card-actions")
    actions.locator("summary", has_text="Ещё").click()
    with page.expect_navigation():
        actions.get_by_role("button", name="В корзину").click()
    toast = page.locator(".toast-undo")
    expect(toast).to_contain_text("ООО «Передумали»")
    undo = toast.get_by_role("button", name="Отменить")
    box = undo.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["y"] + box["height"] <= height  # in sight, above the phone's bottom bar too
    if width < 768:
        bar = page.locator(".bottombar").bounding_box()
        assert bar is not None and box["y"] + box["height"] <= bar["y"]
    with page.expect_navigation():
        undo.click()
    expect(page).to_have_url(re.compile(rf"/companies/{company.pk}/$"))
    assert Company.objects.filter(pk=company.pk).exists()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_last_four_digits_rank_numbers_that_end_with_them_first(
    page: Page, personas: Personas, width: int, height: int
) -> None:
    for number, name in enumerate(("Агапов", "Белов", "Васин", "Гусев")):
        contact_create(
            actor=personas.manager_a,
            values={"last_name": name, "phones": [{"number": f"+7 969 10{number}-22-33"}]},
        )
    wanted = contact_create(
        actor=personas.manager_a,
        values={"last_name": "Яковлев", "phones": [{"number": "+7 916 555-79-69"}]},
    )
    _open(page, personas.manager_a, width, height)
    page.keyboard.press("Control+k")
    box = page.locator("dialog.palette")
    box.locator(".palette-input").press_sequentially("7969", delay=20)
    first = box.get_by_role("option").first
    expect(first).to_contain_text("Яковлев")
    expect(first).to_have_attribute("aria-selected", "true")
    with page.expect_navigation():
        box.locator(".palette-input").press("Enter")
    expect(page).to_have_url(re.compile(rf"/contacts/{wanted.pk}/$"))


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_prev_and_next_on_a_card_walk_the_filtered_list(
    page: Page, personas: Personas, width: int, height: int
) -> None:
    for name in ("Альфа", "Бета", "Гамма", "Дельта"):
        make_company(owner=personas.manager_a, name=f"ООО «{name}»", city="Тверь")
    make_company(owner=personas.manager_a, name="ООО «Вне фильтра»", city="Казань")
    _open(page, personas.manager_a, width, height)
    page.goto("/companies/?city=Тверь&sort=name")
    page.locator("table.list-table tbody tr", has_text="Бета").locator("td.cell-name a").click()
    expect(page.locator("main h1")).to_have_text("ООО «Бета»")
    page.get_by_role("link", name="Следующая в списке").click()
    expect(page.locator("main h1")).to_have_text("ООО «Гамма»")
    page.get_by_role("link", name="Следующая в списке").click()
    expect(page.locator("main h1")).to_have_text("ООО «Дельта»")  # not «Вне фильтра»
    expect(page.get_by_role("link", name="Следующая в списке")).to_have_count(0)
    page.get_by_role("link", name="Предыдущая в списке").click()
    expect(page.locator("main h1")).to_have_text("ООО «Гамма»")
    target = page.get_by_role("link", name="Предыдущая в списке").bounding_box()
    assert target is not None and target["x"] + target["width"] <= width
    if width < 768:
        assert target["height"] >= 44  # a finger's target on a phone
    assert page.evaluate(SIDEWAYS) <= 0


NO_NATIVE_MULTI_SELECT = """() => ![...document.querySelectorAll('select[multiple]')]
  .some((select) => !select.classList.contains('tomselected')
    && select.getBoundingClientRect().width > 1 && select.getBoundingClientRect().height > 1)"""
FORMS = [
    "/companies/new/",
    "/contacts/new/",
    "/companies/{company}/edit/",
    "/tasks/new/",
    "/calendar/events/new/",
    "/settings/users/new/",
    "/settings/roles/new/",
    "/settings/roles/{role}/",
    "/settings/custom-fields/new/",
    "/settings/group-rules/new/?entity=companies",
    "/settings/tags/",
    "/companies/",
    "/contacts/",
]


@pytest.mark.layout
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_forms_show_no_dashes_and_never_scroll_sideways(
    page: Page, personas: Personas, width: int, height: int
) -> None:
    company = make_company(owner=personas.admin, name="ООО «Форма»")
    role = Role.objects.get(code="sales_manager")
    _open(page, personas.admin, width, height)
    problems = []
    for url in FORMS:
        url = url.format(company=company.pk, role=role.pk)
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("load")
        if "---------" in page.content() or "---------" in page.locator("body").inner_text():
            problems.append(f"{url}: ---------")
        try:  # every multi-select becomes a searchable picker: nobody Ctrl+clicks
            page.wait_for_function(NO_NATIVE_MULTI_SELECT, timeout=5000)
        except PlaywrightError:
            problems.append(f"{url}: a native multi-select")
        if (sideways := page.evaluate(SIDEWAYS)) > 0:
            problems.append(f"{url}: scrolls sideways by {sideways} px")
    assert not problems, problems
