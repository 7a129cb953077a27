"""Regenerate the README screenshots from a running demo: python take_screenshots.py URL PASSWORD."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def log_in(page: Page, base: str, password: str) -> None:
    page.goto(base + "/login/")
    page.fill("input[name=username]", "admin")
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
