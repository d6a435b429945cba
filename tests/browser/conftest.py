"""Browser tests: the system Chromium driven by Playwright against pytest-django's live server.

Every test in this folder is marked ``browser``. Pages are checked with axe-core
(``assert_accessible``): a journey fails on the first page with an accessibility violation.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import DEFAULT_OPTIONS, Axe
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
        page = context.new_page()
        _check_translations_on_goto(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


def another_tab(page: Page) -> Page:
    """A second tab of ``page``'s browser context (the same session, language and settings),
    read for English on each ``goto`` as ``new_page``'s are."""
    tab = page.context.new_page()
    _check_translations_on_goto(tab)
    return tab


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A JavaScript-enabled page, in French, in its own browser context."""
    return new_page()


def assert_accessible(page: Page) -> None:
    """Run axe-core (its default rules: WCAG 2.x A/AA and best practices) on the page; no violation
    allowed. A French page is also checked for English left untranslated (``assert_translated``)."""
    accessibility_check_start(page)
    accessibility_check_end(page)


# Where the page keeps axe's run while the test does something else (accessibility_check_start).
_RUNNING = "__guichetAxeViolations"


def accessibility_check_start(page: Page) -> None:
    """``assert_accessible`` in two halves, for a test that has other pages to open meanwhile:
    the page is read for English, then axe is started in it, exactly as ``Axe().run(page)``
    runs it (same script, same options); ``accessibility_check_end`` waits for its violations
    and fails on any. The page must not navigate nor change in between."""
    page.wait_for_load_state("load")
    assert_translated(page)
    page.evaluate(_AXE.axe_script)
    options = json.dumps(DEFAULT_OPTIONS)
    # Only the violations come back (all that is read): not the passes and rules not applicable.
    page.evaluate(
        f"() => {{ window.{_RUNNING} = axe.run({options}).then((results) => ({{violations: results.violations}})); }}"
    )


def accessibility_check_end(page: Page) -> None:
    """The violations of the axe run ``accessibility_check_start`` left in the page: none allowed."""
    response = page.evaluate(f"() => window.{_RUNNING}")
    assert response is not None, f"{page.url}: no axe run in the page (did it navigate since it started?)"
    results = AxeResults(response)
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


# --- Untranslated English on French pages -----------------------------------------------------
# Every page a browser test opens (``page.goto``) or checks (``assert_accessible``) in French is
# read for the English of our catalogue: a msgid that has a different French msgstr, showing on a
# French page, was not translated (a string outside {% translate %}, a label built from a raw
# value, a cached fragment of the wrong language).
LOCALE_FR = HERE.parent.parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# English that may rightly show on a French page: proper names, and words both languages write
# alike that the catalogue still translates in some other sense.
ALLOWED_ENGLISH = frozenset({"English", "Guichet"})
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{?[^}]*\}\}?|<[^>]+>")
# A phrase is looked for only if it is long enough not to be a word French shares.
_MINIMUM_LENGTH = 8


def _english_phrases() -> list[str]:
    import polib

    phrases: set[str] = set()
    catalogue = polib.pofile(str(LOCALE_FR))
    # A phrase French writes too ("principal", "Documents") tells nothing.
    french = "\n".join(
        [entry.msgstr for entry in catalogue] + [text for entry in catalogue for text in entry.msgstr_plural.values()]
    )
    for entry in catalogue:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:
            pairs = [
                (entry.msgid, entry.msgstr_plural.get(0, "")),
                (entry.msgid_plural, entry.msgstr_plural.get(1, "")),
            ]
        for msgid, msgstr in pairs:
            if not msgstr or msgstr == msgid:
                continue
            for fragment in _PLACEHOLDER.split(msgid):
                fragment = fragment.strip(" ,.:;()—-“”\n")
                # Phrases of several words, or a whole message of one long word.
                if len(fragment) >= _MINIMUM_LENGTH and (" " in fragment or fragment == msgid):
                    phrases.add(fragment)
    return sorted(
        (
            phrase
            for phrase in phrases - ALLOWED_ENGLISH
            if not re.search(rf"(?<![\w’'-]){re.escape(phrase)}(?![\w’'-])", french)
        ),
        key=len,
        reverse=True,
    )


_WORD = re.compile(r"\w+")


@functools.cache
def _english_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    # Not inside a word, an address or a path (employer@example.org, /employer/).
    return re.compile(r"(?<![\w’'@/.-])(?:" + "|".join(map(re.escape, phrases)) + r")(?!(?:[\w’'@/-]|\.\w))")


@functools.cache
def _english_index() -> tuple[dict[str, int], dict[str, list[str]]]:
    """Each phrase's rank in ``_english_phrases`` (longest first), and the phrases under the
    longest of their words ("" for a phrase without any)."""
    phrases = _english_phrases()
    by_word: dict[str, list[str]] = {}
    for phrase in phrases:
        by_word.setdefault(max(_WORD.findall(phrase), key=len, default=""), []).append(phrase)
    return {phrase: rank for rank, phrase in enumerate(phrases)}, by_word


def _english_found(text: str) -> list[str]:
    """The catalogue's English phrases in ``text``: what the expression of all of them, longest
    first, finds. A phrase starts and ends at a word's edge (the expression's look-arounds), so
    each of its words is a whole word of the text: only the phrases whose longest word is one are
    tried, in the same order — the same matches, without trying two thousand phrases at each
    character of a long page."""
    rank, by_word = _english_index()
    words = {"", *_WORD.findall(text)} & by_word.keys()
    candidates = sorted((phrase for word in words for phrase in by_word[word]), key=rank.__getitem__)
    return _english_pattern(tuple(candidates)).findall(text) if candidates else []


def assert_translated(page: Page) -> None:
    """Fail when the page is in French and shows a phrase of the catalogue in English."""
    if page.evaluate("document.documentElement.lang") != "fr":
        return
    # Codes, identifiers and file contents are no prose: <code>worker_category</code> stays.
    text = page.evaluate(
        """() => {
            if (!document.body) return '';
            const body = document.body.cloneNode(true);
            body.querySelectorAll('code, pre, kbd, samp, script, style, [translate=no]').forEach((e) => e.remove());
            return body.textContent;
        }"""
    )
    found = sorted(set(_english_found(text)))
    if found:
        pytest.fail(f"English on the French page {page.url}: {found}", pytrace=False)


def _check_translations_on_goto(page: Page) -> None:
    goto = page.goto

    def checked_goto(url: str, **kwargs: Any) -> Any:
        response = goto(url, **kwargs)
        content_type = (response.headers.get("content-type", "") if response else "") or ""
        if content_type.startswith("text/html"):
            assert_translated(page)
        return response

    page.goto = checked_goto  # type: ignore[method-assign]
