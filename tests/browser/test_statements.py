"""A citizen asks for her contribution statement: without JavaScript (a refresh link until it is
ready, then the download, and its code verified on the public page), with it (the page reloads
itself once the statement is ready, under the Content-Security-Policy too, and shows the refresh
link again when its status cannot be read); a statement that could not be prepared says so and offers
to ask again; every page passes axe, in French and in English.

The workers are not run: the test renders the statements itself, as a worker would."""

from __future__ import annotations

import datetime
import re

import pytest
import weasyprint
from django.utils import timezone
from playwright.sync_api import expect

from contributions import statements
from contributions.models import StatementRequest
from tests.browser.conftest import NewPage, assert_accessible
from tests.browser.test_journeys import _sign_in
from tests.contributions.statement_helpers import CODE, career_build, in_language, pdf_text

# The statement page reads the clock: it proposes up to the last year of the record, which runs to
# the current month (Marie still works at the garage). The journey that asks for 2026 alone, with
# October declared and due, runs in December 2026.
DECEMBER_2026 = datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def career(settings, live_server):
    marie = career_build(settings)
    settings.SITE_URL = live_server.url
    return marie


def _render(statement: StatementRequest) -> None:
    statements.statement_render(statement_id=statement.pk, now=timezone.now())


@pytest.mark.time_machine(DECEMBER_2026, tick=False)
def test_ask_without_javascript_wait_download_and_verify(new_page: NewPage, career, monkeypatch) -> None:
    page = new_page(java_script_enabled=False)
    _sign_in(page, career["owner"].email)
    page.goto("/my-file/contributions/")
    page.get_by_role("link", name=in_language("fr", "Get a contribution statement (PDF)")).click()
    expect(page.locator("h1")).to_have_text(in_language("fr", "Contribution statement"))
    statement_url = page.url

    page.get_by_label(in_language("fr", "From year")).select_option("2026")
    page.get_by_role("button", name=in_language("fr", "Ask for the statement (PDF)")).click()

    expect(page.locator("[data-field=status_label]")).to_have_text(in_language("fr", "being prepared"))
    refresh = page.get_by_role("link", name=in_language("fr", "Refresh to see whether it is ready"))
    expect(refresh).to_be_visible()
    pending_html = page.content()
    statement = StatementRequest.objects.get()
    assert (statement.year_from, statement.year_to, statement.language, statement.status) == (
        2026,
        2026,
        "fr",
        "pending",
    )

    _render(statement)
    refresh.click()

    expect(page.locator(".usa-alert--success")).to_have_text(in_language("fr", "Your statement is ready."))
    expect(refresh).to_have_count(0)
    ready_url = page.url
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(re.escape(in_language("fr", "Download the statement")))).click()
    path = download.value.path()
    assert path is not None
    text = pdf_text(path.read_bytes())
    assert "Marie Dupont" in text
    assert "2026-10 Garage 2 000,00" in text
    [code] = set(CODE.findall(text))
    assert download.value.suggested_filename == f"releve-cotisations-{code[:4]}.pdf"

    customer = new_page(java_script_enabled=False)
    customer.goto("/verify/")
    customer.get_by_label(in_language("fr", "Verification code")).fill(code)
    customer.get_by_role("button", name=in_language("fr", "Verify"), exact=True).click()
    expect(customer.get_by_role("status")).to_contain_text(in_language("fr", "Authentic document, valid today"))
    expect(customer.get_by_role("status")).to_contain_text("M*** D***")

    # Rendering breaks (WeasyPrint fails): the page says so and lets her ask again.
    page.goto(statement_url)
    page.get_by_label(in_language("fr", "From year")).select_option("2025")
    page.get_by_role("button", name=in_language("fr", "Ask for the statement (PDF)")).click()
    failing = StatementRequest.objects.get(year_from=2025)
    with monkeypatch.context() as broken:
        broken.setattr(weasyprint.HTML, "write_pdf", lambda *args, **kwargs: (_ for _ in ()).throw(ValueError()))
        _render(failing)
    page.reload()
    expect(page.locator(".usa-alert--error")).to_contain_text(in_language("fr", "The statement could not be prepared."))
    failed_url = page.url
    page.get_by_role("button", name=in_language("fr", "Ask for it again")).click()
    again = StatementRequest.objects.exclude(pk__in=[statement.pk, failing.pk]).get()
    assert (again.year_from, again.year_to, again.status) == (2025, 2026, "pending")
    expect(page.locator("[data-field=status_label]")).to_have_text(in_language("fr", "being prepared"))

    page.goto(statement_url)
    recent = page.get_by_role("table", name=in_language("fr", "Statements asked for recently"))
    expect(recent.locator("tbody tr")).to_have_count(3)
    expect(recent).to_contain_text(in_language("fr", "ready"))
    expect(recent).to_contain_text(in_language("fr", "could not be prepared"))

    # axe needs JavaScript: the same pages, in a JavaScript-enabled context of the same person.
    for locale in ("fr-FR", "en-GB"):
        checker = new_page(locale=locale)
        _sign_in(checker, career["owner"].email)
        for url in (statement_url, ready_url, failed_url):
            checker.goto(url)
            assert_accessible(checker)
    checker.set_content(pending_html)
    assert_accessible(checker)


def test_with_javascript_the_page_reloads_itself_when_the_statement_is_ready(new_page: NewPage, career) -> None:
    page = new_page()
    _sign_in(page, career["owner"].email)
    page.goto("/my-file/contributions/statement/")
    page.get_by_role("button", name=in_language("fr", "Ask for the statement (PDF)")).click()

    expect(page.locator("[data-field=status_label]")).to_have_text(in_language("fr", "being prepared"))
    expect(page.get_by_role("link", name=in_language("fr", "Refresh to see whether it is ready"))).to_be_hidden()
    assert_accessible(page)
    page.evaluate("window.guichetNotReloaded = true")

    _render(StatementRequest.objects.get())

    expect(page.locator(".usa-alert--success")).to_have_text(in_language("fr", "Your statement is ready."))
    assert page.evaluate("window.guichetNotReloaded") is None
    assert re.search(r"/my-file/contributions/statements/\d+/$", page.url)
    assert_accessible(page)


def test_with_javascript_the_refresh_link_comes_back_when_the_status_cannot_be_read(new_page: NewPage, career) -> None:
    page = new_page()
    _sign_in(page, career["owner"].email)
    page.goto("/my-file/contributions/statement/")
    page.get_by_role("button", name=in_language("fr", "Ask for the statement (PDF)")).click()
    refresh = page.get_by_role("link", name=in_language("fr", "Refresh to see whether it is ready"))
    expect(refresh).to_be_hidden()
    page.wait_for_event("response", lambda response: response.url.endswith("/status/") and response.ok)

    page.route(re.compile(r"/status/$"), lambda route: route.fulfill(status=503, body="busy"))

    expect(refresh).to_be_visible()
    expect(page.locator("[data-field=status_label]")).to_have_text(in_language("fr", "being prepared"))
    assert_accessible(page)


def test_under_the_content_security_policy_the_script_runs_and_reloads_the_page(new_page: NewPage, career) -> None:
    page = new_page(enforce_csp=True)
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    _sign_in(page, career["owner"].email)
    page.goto("/my-file/contributions/statement/")
    page.get_by_role("button", name=in_language("fr", "Ask for the statement (PDF)")).click()
    expect(page.get_by_role("link", name=in_language("fr", "Refresh to see whether it is ready"))).to_be_hidden()

    _render(StatementRequest.objects.get())

    expect(page.locator(".usa-alert--success")).to_have_text(in_language("fr", "Your statement is ready."))
    assert refused == []
