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


SHOTS = os.environ.get("GUICHET_SCREENSHOTS", "")
PHONE_WIDTH = 390


def assert_reflows(page: Page, width: int = PHONE_WIDTH) -> None:
    """WCAG 1.4.10 (reflow): at ``width`` CSS pixels the page scrolls only vertically — no table or
    line wider than the screen, which a phone would shrink to fit."""
    size = page.viewport_size or {"width": 1280, "height": 900}
    page.set_viewport_size({"width": width, "height": 900})
    try:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            wide = page.evaluate(
                """(width) => [...document.querySelectorAll('body *')]
                     .filter((element) => element.getBoundingClientRect().right > width + 1)
                     .slice(0, 5).map((element) => element.tagName + '.' + element.className)""",
                width,
            )
            pytest.fail(f"{page.url} is {scroll_width} px wide at {width} px: {wide}", pytrace=False)
    finally:
        page.set_viewport_size(size)


def look(page: Page, name: str) -> None:
    """Check the page with axe and its reflow at phone width; photograph it when asked
    (GUICHET_SCREENSHOTS: desktop, then 390 px wide)."""
    assert_accessible(page)
    assert_reflows(page)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        size = page.viewport_size or {"width": 1280, "height": 900}
        for width, suffix in ((1280, "desktop"), (PHONE_WIDTH, "phone")):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{suffix}.png"), full_page=True)
        page.set_viewport_size(size)
