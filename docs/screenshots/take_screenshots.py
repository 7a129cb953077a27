"""Regenerate the README screenshots from a running demo: python take_screenshots.py URL PASSWORD."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
ARGS = ["--no-sandbox", "--lang=ru-RU", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def log_in(page: Page, base: str, password: str, username: str = "admin") -> None:
    page.goto(base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def main(base: str, password: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        first = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU").new_page()
        log_in(first, base, password)
        first.goto(base + "/companies/")
        first.screenshot(path=HERE / "companies.png")
        first.click("#company-table tbody tr:nth-child(3) a")
        card_url = first.url
        first.screenshot(path=HERE / "company-card.png")
        first.goto(base + "/contacts/")
        first.screenshot(path=HERE / "contacts.png")
        # My day and a task's card, as a sales manager of the demo (the administrator has no
        # tasks of their own): the first task of the day, if there is one.
        manager = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU").new_page()
        log_in(manager, base, password, "petrov")
        manager.goto(base + "/")
        manager.screenshot(path=HERE / "my-day.png")
        task = manager.locator(".task-item a.task-title").first
        if task.count():
            task.click()
            manager.wait_for_selector(".ts-wrapper")  # the pickers, once their script ran
            manager.screenshot(path=HERE / "task-card.png")
        # The command box: Ctrl+K, a few letters, results grouped by kind with the match marked.
        first.goto(base + "/companies/")
        first.keyboard.press("Control+k")
        first.fill("#palette .palette-input", "Ива")
        first.wait_for_selector("#palette .palette-list a")
        first.wait_for_timeout(300)
        first.screenshot(path=HERE / "command-box.png")
        first.keyboard.press("Escape")
        # A phone: the list as cards with the bottom bar.
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU",
                                    device_scale_factor=1, is_mobile=True, has_touch=True).new_page()
        log_in(phone, base, password)
        phone.goto(base + "/contacts/")
        phone.screenshot(path=HERE / "phone-contacts.png")
        phone.goto(card_url)
        phone.screenshot(path=HERE / "phone-card.png")
        first.goto(base + "/settings/roles/")
        first.click("text=Менеджер по продажам")
        first.screenshot(path=HERE / "role-editor.png")
        # A conflict: two people edit the same company; the second to save is told what changed.
        first.goto(card_url + "edit/")
        second = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ru-RU").new_page()
        log_in(second, base, password)
        second.goto(card_url + "edit/")
        second.fill("input[name=city]", "Тверь")
        second.click("button.btn-primary")
        first.fill("input[name=industry]", "Оптовая торговля")
        first.click("button.btn-primary")
        first.screenshot(path=HERE / "conflict.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
