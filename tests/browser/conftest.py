"""Browser tests: the system Chromium driven by Playwright against pytest-django's live server.

Every test in this folder is marked ``browser``. Pages are checked with axe-core
(``assert_accessible``): a journey fails on the first page with an accessibility violation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

# The live server and Django's ORM are used from the test thread, which Playwright's sync API
# runs inside an event loop: Django would otherwise refuse "async-unsafe" calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("GUICHET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Seconds, as Playwright counts them in milliseconds.
TIMEOUT_MS = 15_000
HERE = Path(__file__).resolve().parent

_AXE = Axe()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run scripts/system-packages.sh chromium (make pytest does)")
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, live_server: Any) -> Iterator[NewPage]:
    """Opens a page in a fresh context (own cookies), French, on the live server.

    ``new_page(java_script_enabled=False)`` browses without JavaScript. CSP is bypassed so
    that axe-core can be injected; the CSP itself is tested elsewhere, and
    ``new_page(enforce_csp=True)`` browses under it (then ``assert_accessible`` cannot run).
    """
    contexts: list[BrowserContext] = []

    def open_page(*, java_script_enabled: bool = True, locale: str = "fr-FR", enforce_csp: bool = False) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            java_script_enabled=java_script_enabled,
            bypass_csp=not enforce_csp,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A JavaScript-enabled page, in French, in its own browser context."""
    return new_page()


def assert_accessible(page: Page) -> None:
    """Run axe-core (its default rules: WCAG 2.x A/AA and best practices) on the page; no violation allowed."""
    page.wait_for_load_state("load")
    results = _AXE.run(page)
    if results.violations_count:
        pytest.fail(f"axe-core on {page.url}:\n{results.generate_report()}", pytrace=False)
