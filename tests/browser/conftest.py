"""Browser fixtures: one headless Debian Chromium per session, a fresh context and page per test.

Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set, so it is set here.
Playwright's own browser download is never used: the tests drive /usr/bin/chromium.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.conftest import require_in_ci

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 10_000


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        require_in_ci("Chromium not installed (apt-get install chromium); browser tests need it")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Django keeps a thread's database connections in an asgiref Local, which switches to
    # context-variable storage while an event loop runs in the thread - and Playwright's loop
    # runs in this one for the rest of the session. Without help the test thread would then get
    # a second, fresh connection object: one without the serialized copy of the migrated
    # database, so serialized_rollback silently stopped restoring the built-in roles in every
    # test after the first browser test. Keep using the very same connection objects.
    before = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, connection in before.items():
            connections[alias] = connection
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Remember each phase's outcome on the test, so page teardown can tell a failed test.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _artifact_name(node: pytest.Item, index: int, failed: bool) -> str:
    name = re.sub(r"[^\w.-]+", "_", node.name).strip("_")
    if index > 1:
        name += f"-{index}"
    return name + ("-FAILED" if failed else "") + ".png"


@pytest.fixture
def open_page(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Opens a page in a new, separate browser context (its own cookies: its own session)."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def make() -> Any:
        context = browser.new_context(viewport=VIEWPORT, locale="en-US", base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        new_page = context.new_page()
        pages.append(new_page)
        return new_page

    yield make

    call_report = getattr(request.node, "report_call", None)
    failed = call_report is not None and call_report.failed
    ARTIFACTS.mkdir(exist_ok=True)
    for index, shown in enumerate(pages, start=1):
        for stale in (True, False):  # a rerun replaces the last run's picture of this test
            (ARTIFACTS / _artifact_name(request.node, index, stale)).unlink(missing_ok=True)
        try:
            shown.screenshot(
                path=str(ARTIFACTS / _artifact_name(request.node, index, failed)), full_page=True
            )
        except Exception as error:  # noqa: BLE001 - a screenshot must not hide the real result
            print(f"screenshot failed: {error}")
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: Callable[[], Any]) -> Any:
    return open_page()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/browser drives Chromium: mark it so bin/test runs it apart.

    Tests marked ``layout`` check only where things sit on a page (no sideways scroll, rows on
    one line, labels whole); that depends on the templates, the styles and the browser, not on
    the database, so they run on the embedded one only and the server database's run leaves
    them out (shown as deselected), which keeps the two runs of ``bin/test`` even.
    """
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
    if connection.vendor == "sqlite":
        return
    layout = [item for item in items if item.get_closest_marker("layout")]
    if layout:
        config.hook.pytest_deselected(items=layout)
        items[:] = [item for item in items if not item.get_closest_marker("layout")]
