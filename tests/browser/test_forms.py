"""The company and contact forms in a real browser: searchable pickers, a tag made by typing
it, Save in sight, aligned lists, a duplicate warning that moves nothing, busy buttons, in-place
edit."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from kartoteka.clients.models import Company, Contact
from kartoteka.records.models import Tag
from tests.browser.pages import BROWSER_TEST, log_in, make_company
from tests.conftest import Personas

pytestmark = BROWSER_TEST


def _open_picker(page: Page, select_id: str) -> None:
    """Click the searchable picker that replaced ``select#select_id``: typing goes to it."""
    control = page.locator(f"#{select_id} + .ts-wrapper .ts-control")
    control.click()
    expect(page.locator(f"#{select_id}-ts-control")).to_be_focused()


def test_company_picker_finds_a_company_by_typing(page: Page, personas: Personas) -> None:
    wanted = make_company(owner=personas.manager_a, name="Ромашка Трейд")
    make_company(owner=personas.manager_a, name="Лютик")
    log_in(page, personas.manager_a.username)
    page.goto("/contacts/new/")
    page.locator("#id_last_name").fill("Петров")
    _open_picker(page, "id_employments-0-company")
    page.keyboard.type("Рома", delay=40)
    option = page.locator(".ts-dropdown .option", has_text="Ромашка Трейд")
    expect(option).to_be_visible()
    expect(page.locator(".ts-dropdown .option", has_text="Лютик")).to_have_count(0)
    option.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    contact = Contact.objects.get(last_name="Петров")
    assert [job.company_id for job in contact.employments.all()] == [wanted.pk]


def test_a_new_tag_is_created_by_typing_its_name(page: Page, personas: Personas) -> None:
    Tag.objects.create(name="VIP")
    log_in(page, personas.manager_a.username)
    page.goto("/companies/new/")
    page.locator("#id_name").fill("Берёзка")
    _open_picker(page, "id_tags")
    page.keyboard.type("VI")
    page.locator(".ts-dropdown .option", has_text="VIP").click()  # an existing tag, picked
    page.keyboard.type("Поволжье")
    expect(page.locator(".ts-dropdown .create")).to_contain_text("Поволжье")
    page.keyboard.press("Enter")
    expect(page.locator(".ts-wrapper.multi .item")).to_have_count(2)
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    company = Company.objects.get(name="Берёзка")
    assert sorted(company.tags.values_list("name", flat=True)) == ["VIP", "Поволжье"]


def test_save_is_in_sight_without_scrolling_on_the_company_form(
    page: Page, personas: Personas
) -> None:
    log_in(page, personas.manager_a.username)
    page.goto("/companies/new/")
    save = page.get_by_role("button", name="Save")
    box = save.bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert viewport == {"width": 1366, "height": 768}
    assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"]
    # The page is longer than the window, and Save stays in sight while it scrolls.
    assert page.evaluate("document.documentElement.scrollHeight") > viewport["height"]
    page.mouse.wheel(0, 400)
    page.wait_for_timeout(200)
    box = save.bounding_box()
    assert box is not None and box["y"] + box["height"] <= viewport["height"]
    # Phones and emails are near the top: the first phone box is in sight at once.
    page.evaluate("window.scrollTo(0, 0)")
    phone = page.locator("#id_phones-0-number").bounding_box()
    assert phone is not None and phone["y"] + phone["height"] < viewport["height"] / 2


def test_related_persons_headers_sit_over_their_inputs(page: Page, personas: Personas) -> None:
    log_in(page, personas.manager_a.username)
    page.goto("/contacts/new/")
    fieldset = page.locator("fieldset[data-formset=related_persons]")
    heads = fieldset.locator(".formset-head .cell")
    expect(heads).to_have_text(["Name", "Relation", "Birthday", "Anniversary"])
    row = fieldset.locator(".formset-rows .formset-row").first
    for index, name in enumerate(("name", "relation", "birthday", "anniversary")):
        head = heads.nth(index).bounding_box()
        field = row.locator(f"[name='related_persons-0-{name}']").bounding_box()
        assert head is not None and field is not None
        assert abs(head["x"] - field["x"]) < 2, name  # the same column
        assert head["y"] < field["y"] < head["y"] + 60, name  # right under its heading


def test_the_duplicate_warning_does_not_move_the_field_being_typed_in(
    page: Page, personas: Personas
) -> None:
    make_company(owner=personas.manager_a, name="ООО «Ромашка»", inn="7707083893")
    log_in(page, personas.manager_a.username)
    page.goto("/companies/new/")
    inn = page.locator("#id_inn")
    inn.click()
    before = inn.bounding_box()
    inn.press_sequentially("7707083893")
    expect(page.locator("#duplicate-warning")).to_contain_text("Ромашка")
    after = inn.bounding_box()
    assert before is not None and after is not None
    assert after["y"] == before["y"]
    # ... and it does not cover it either.
    warning = page.locator("#duplicate-warning").bounding_box()
    assert warning is not None
    assert (
        after["y"] + after["height"] <= warning["y"]
        or warning["y"] + warning["height"] <= after["y"]
    )


def test_a_slow_save_shows_a_busy_button_after_300_ms(page: Page, personas: Personas) -> None:
    # The save is held back until the page reports its button busy. Nothing may ask the page
    # anything while its form's navigation is pending (Playwright then waits for the next
    # document, which never comes): the page reports through a binding instead, and the held
    # save goes on from there. A button that never turns busy leaves the navigation pending,
    # and the wait for it fails in 10 s.
    times: dict[str, float] = {}
    held: list[Any] = []

    def on_save(route: Any) -> None:
        if route.request.method != "POST" or times:
            route.continue_()
        else:
            held.append(route)

    def on_busy(source: Any, reported: dict[str, float]) -> None:
        times.update(reported)
        while held:
            held.pop().continue_()

    page.expose_binding("reportBusy", on_busy)
    log_in(page, personas.manager_a.username)
    page.goto("/companies/new/")
    page.locator("#id_name").fill("Медленная")
    page.route("**/companies/new/", on_save)
    page.evaluate(
        """() => {
        const times = {};
        document.addEventListener("submit", () => { times.submit = performance.now(); }, true);
        const button = document.querySelector(".form-footer button[type=submit]");
        new MutationObserver(() => {
          if (button.getAttribute("aria-busy") === "true" && !times.busy) {
            times.busy = performance.now();
            window.reportBusy(times);
          }
        }).observe(button, { attributes: true });
    }"""
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click(no_wait_after=True)
    assert times["busy"] - times["submit"] >= 290  # nothing under 300 ms
    assert Company.objects.filter(name="Медленная").exists()


def test_a_value_is_edited_in_place_on_the_card(page: Page, personas: Personas) -> None:
    company = make_company(owner=personas.manager_a, city="Тверь")
    log_in(page, personas.manager_a.username)
    page.goto(f"/companies/{company.pk}/")
    city = page.locator('[data-inline="city"]')
    city.click()
    box = city.locator("input[name=city]")
    expect(box).to_be_focused()
    box.fill("Казань")
    box.press("Enter")
    expect(city).to_have_text("Казань")
    company.refresh_from_db()
    assert company.city == "Казань"
    # Esc puts the value back untouched.
    city.click()
    city.locator("input[name=city]").fill("Уфа")
    city.locator("input[name=city]").press("Escape")
    expect(city).to_have_text("Казань")
    # Someone else saves meanwhile: a conflict is shown, and what was typed stays.
    Company.objects.filter(pk=company.pk).update(version=company.version + 5)
    city.click()
    city.locator("input[name=city]").fill("Самара")
    city.locator("input[name=city]").press("Enter")
    expect(city.locator(".inline-error")).not_to_be_empty()
    expect(city.locator("input[name=city]")).to_have_value("Самара")


def test_on_a_phone_the_new_contact_form_starts_with_name_and_phone(
    open_page: Any, personas: Personas
) -> None:
    page = open_page()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, personas.manager_a.username)
    page.goto("/contacts/new/")
    boxes = {
        name: page.locator(f"#id_{name}").bounding_box()
        for name in ("last_name", "first_name", "phones-0-number", "birthday", "address")
    }
    assert all(box is not None for box in boxes.values())
    ys = {name: box["y"] for name, box in boxes.items() if box is not None}
    assert ys["last_name"] <= ys["first_name"] < ys["phones-0-number"] < ys["birthday"]
    assert ys["birthday"] < ys["address"]
    # One column: the name section is as wide as the phone list's, not squeezed.
    name_box = page.locator(".form-section-name").bounding_box()
    phone_box = page.locator(".form-section-channels").bounding_box()
    assert name_box is not None and phone_box is not None
    assert abs(name_box["width"] - phone_box["width"]) < 1
