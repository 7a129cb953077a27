"""Third-party browser code is there (installed from npm by bin/_assets.sh), pinned, and pages
stay light for weak office PCs: the CSS and JavaScript a page loads, gzipped, within a budget."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ("vendor/tom-select/tom-select.complete.min.js", "vendor/tom-select/tom-select.min.css")
#: the calendar page's own library (EventCalendar by vkurko, MIT)
CALENDAR = (
    "vendor/event-calendar/event-calendar.min.js",
    "vendor/event-calendar/event-calendar.min.css",
)
#: CSS + JS, gzipped, that one page may load (its own files and the pickers' library)
BUDGET_BYTES = 150 * 1024


def test_vendor_files_are_installed() -> None:
    # Never skipped: without them every picker silently falls back to a bare <select>.
    missing = [name for name in (*VENDOR, *CALENDAR) if not finders.find(name)]
    assert not missing, (
        f"browser libraries missing: {missing}. Run bin/test or bin/start (they run "
        "bin/_assets.sh: npm ci and the copy into src/kartoteka/core/static/vendor/)."
    )


def test_tom_select_is_pinned_in_the_lockfile() -> None:
    declared = json.loads((ROOT / "package.json").read_text())["dependencies"]["tom-select"]
    lock = json.loads((ROOT / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/tom-select"]["version"]
    assert re.fullmatch(r"2\.\d+\.\d+", declared) and locked == declared


def test_event_calendar_is_pinned_in_the_lockfile() -> None:
    declared = json.loads((ROOT / "package.json").read_text())["dependencies"]
    lock = json.loads((ROOT / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/@event-calendar/build"]["version"]
    assert re.fullmatch(r"5\.\d+\.\d+", declared["@event-calendar/build"])
    assert locked == declared["@event-calendar/build"]


def gzip_size(name: str) -> int:
    found = finders.find(name)
    assert found, name
    return len(gzip.compress(Path(str(found)).read_bytes(), compresslevel=9))


def page_assets(html: str) -> list[str]:
    """Static CSS and JS a page loads: its links and scripts, and the pickers' library that
    forms.js loads where the page has a picker."""
    names = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', html)
    names += re.findall(r'<script src="/static/([^"]+)"', html)
    if re.search(r"<select[^>]*(data-picker|data-remote-search|multiple)", html):
        names += list(VENDOR)
    return names


@pytest.mark.django_db
def test_list_and_card_pages_load_little_css_and_js(client: Client, personas: Personas) -> None:
    company = CompanyFactory(owner=personas.admin)
    contact = ContactFactory(owner=personas.admin)
    client.force_login(personas.admin)
    for url in (
        "/companies/",
        f"/companies/{company.pk}/",
        f"/contacts/{contact.pk}/",
        "/companies/new/",
    ):
        names = page_assets(client.get(url).content.decode())
        assert any(name.endswith("kartoteka.css") for name in names), url
        total = sum(gzip_size(name) for name in names)
        assert total <= BUDGET_BYTES, f"{url}: {total} bytes of CSS+JS gzipped ({names})"


@pytest.mark.django_db
def test_the_calendar_page_loads_its_library_within_the_budget(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.manager_a)
    names = page_assets(client.get("/calendar/").content.decode())
    assert set(CALENDAR) <= set(names)
    total = sum(gzip_size(name) for name in names)
    assert total <= BUDGET_BYTES, f"/calendar/: {total} bytes of CSS+JS gzipped ({names})"
    # Other pages do not load it.
    assert not set(CALENDAR) & set(page_assets(client.get("/companies/").content.decode()))
