"""A payroll bureau sends declaration files: without JavaScript (a refresh link), with it (the
progress moves and the page reloads itself when the file is processed); every page passes axe.

The workers are not run: the test processes the files itself, as the workers would."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from contributions import bulk
from contributions.models import BulkChunk, BulkUpload, ChunkStatus
from tests.browser.conftest import NewPage, assert_accessible
from tests.browser.test_journeys import _sign_in
from tests.contributions.bulk_helpers import NOW, csv_bytes, process, rows_for, world

# The files declare the world's fixed PERIOD: the journeys run on a clock frozen after it was due
# (tests/contributions/bulk_helpers.py).
pytestmark = pytest.mark.time_machine(NOW, tick=False)


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path):
    settings.BULK_UPLOAD_DIR = tmp_path / "uploads"


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return str(translation.gettext(message))


def _accepted(language: str, declarations: int) -> str:
    with translation.override(language):
        message = translation.ngettext(
            "The file is accepted: %(counter)s declaration is in force.",
            "The file is accepted: %(counter)s declarations are in force.",
            declarations,
        )
    return message % {"counter": declarations}


def _send(page: Page, content: bytes, name: str) -> BulkUpload:
    page.set_input_files("#bulk-file", files=[{"name": name, "mimeType": "text/csv", "buffer": content}])
    page.locator("main form[method=post] button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text(name)
    return BulkUpload.objects.get(file_name=name)


def test_a_bureau_sends_files_without_javascript_and_follows_them(new_page: NewPage) -> None:
    w = world()
    good = csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk]), separator=";")
    bad_rows = rows_for(w["a"], w["staff"][w["a"].pk])
    bad_rows[1][6] = "-10"
    bad = csv_bytes(bad_rows)

    page = new_page(java_script_enabled=False)
    _sign_in(page, w["bureau_user"].email)
    page.goto("/dashboard/")
    page.get_by_role(
        "link", name=_in("fr", "Declaration files: declare for one or several employers in one CSV file")
    ).click()
    expect(page.locator("h1")).to_have_text(_in("fr", "Declaration files"))
    uploads_url = page.url

    upload = _send(page, good, "paie-octobre.csv")
    expect(page.get_by_text(upload.sha256)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(_in("fr", "File received. It is being checked, line by line."))
    refresh = page.get_by_role("link", name=_in("fr", "Refresh to see how far it is"))
    expect(refresh).to_be_visible()
    received_html = page.content()

    process(upload)
    refresh.click()
    expect(page.locator(".usa-alert--success")).to_contain_text(_accepted("fr", 1))
    totals = page.get_by_role("table", name=_in("fr", "Totals per employer and period"))
    expect(totals).to_contain_text(w["a"].name)
    expect(totals).to_contain_text("9 000,00")
    expect(refresh).to_have_count(0)
    accepted_url = page.url

    page.goto(uploads_url)
    rejected = _send(page, bad, "paie-erreur.csv")
    process(rejected)
    page.reload()
    expect(page.locator(".usa-alert--error")).to_be_visible()
    anomalies = page.locator("table").filter(has_text="wage_negative")
    expect(anomalies).to_contain_text("Le salaire brut ne peut pas être négatif.")
    with page.expect_download() as download:
        page.get_by_role("link", name=_in("fr", "Download every anomaly (CSV)")).click()
    report = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert report[1].startswith("3,gross_wage,")
    assert "wage_negative" in report[1]
    rejected_url = page.url

    page.goto(uploads_url)
    expect(page.get_by_role("link", name="paie-octobre.csv")).to_be_visible()
    expect(page.get_by_role("link", name="paie-erreur.csv")).to_be_visible()

    # axe needs JavaScript: the same pages, in a JavaScript-enabled context of the same user.
    for locale in ("fr-FR", "en-GB"):
        checker = new_page(locale=locale)
        _sign_in(checker, w["bureau_user"].email)
        for url in (uploads_url, accepted_url, rejected_url, "/declarations/files/format/"):
            checker.goto(url)
            assert_accessible(checker)
    checker.set_content(received_html)
    assert_accessible(checker)


def test_a_file_refused_at_once_shows_the_form_again_accessibly(new_page: NewPage) -> None:
    w = world(employees=1)
    page = new_page(locale="en-GB")
    _sign_in(page, w["bureau_user"].email)
    page.goto("/declarations/files/")

    page.set_input_files("#bulk-file", files=[{"name": "notes.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}])
    page.locator("main form[method=post] button[type=submit]").click()

    expect(page.get_by_role("alert")).to_contain_text("The first row must be the header")
    expect(page.locator("#bulk-file")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    assert not BulkUpload.objects.exists()


def test_with_javascript_the_progress_moves_and_the_page_reloads_when_the_file_is_processed(
    new_page: NewPage, settings
) -> None:
    settings.BULK_CHUNK_LINES = 1
    w = world()
    page = new_page()
    _sign_in(page, w["bureau_user"].email)
    page.goto("/declarations/files/")
    upload = _send(page, csv_bytes(rows_for(w["a"], w["staff"][w["a"].pk])), "paie.csv")
    status = page.locator("#bulk-progress [data-field=status_label]")
    expect(status).to_have_text(_in("fr", str(upload.get_status_display())))
    expect(page.get_by_role("link", name=_in("fr", "Refresh to see how far it is"))).to_be_hidden()
    assert_accessible(page)
    page.evaluate("window.guichetNotReloaded = true")

    bulk.upload_plan(upload_id=upload.pk, now=upload.created_at)
    first = BulkChunk.objects.filter(upload=upload).order_by("number").first()
    assert first is not None
    bulk.chunk_process(chunk_id=first.pk, now=upload.created_at)
    upload.refresh_from_db()

    expect(status).to_have_text(_in("fr", str(upload.get_status_display())))
    expect(page.locator("#bulk-progress [data-field=lines_done]")).to_have_text("1")
    expect(page.locator("#bulk-progress [data-field=lines_total]")).to_have_text("3")
    expect(page.locator("#bulk-progress-bar")).to_have_attribute("value", "33")
    assert page.evaluate("window.guichetNotReloaded") is True
    assert_accessible(page)

    for chunk in BulkChunk.objects.filter(upload=upload, status=ChunkStatus.PENDING):
        bulk.chunk_process(chunk_id=chunk.pk, now=upload.created_at)
    bulk.upload_finalize(upload_id=upload.pk, now=upload.created_at)

    expect(page.get_by_text(_accepted("fr", 1))).to_be_visible()
    assert page.evaluate("window.guichetNotReloaded") is None
    expect(page.get_by_role("table", name=_in("fr", "Totals per employer and period"))).to_contain_text(w["a"].name)
    assert re.search(r"/declarations/files/\d+/$", page.url)
    assert_accessible(page)
