"""The enterprise's viewer in a real browser: the dashboard offers the declarations, the account
and the certificate; each page reads without a form to change anything and passes axe, in French
and English (photographed when GUICHET_SCREENSHOTS names a folder)."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import NewPage
from tests.browser.test_account import _declared_month
from tests.browser.test_journeys import _sign_in
from tests.browser.test_trust import _look
from tests.identity.factories import UserFactory, representation


@pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_a_viewer_consults_the_enterprise_file(new_page: NewPage, settings) -> None:
    enterprise, _declarant, _employee = _declared_month(settings)
    viewer = UserFactory()
    representation(viewer, enterprise, "viewer")
    for locale, language in (("fr-FR", "fr"), ("en-GB", "en")):
        page = new_page(locale=locale)
        _sign_in(page, viewer.email)
        page.goto("/dashboard/")
        _look(page, f"viewer-dashboard-{language}")
        declarations = {"fr": "Déclarations de Boulangerie Dupont", "en": "Declarations of Boulangerie Dupont"}
        page.get_by_role("link", name=declarations[language]).click()
        expect(page.locator("h1")).to_have_text(declarations[language])
        expect(page.locator('input[name="gross_wage"]')).to_have_count(0)
        _look(page, f"viewer-declarations-{language}")
        page.locator("table a").first.click()
        expect(page.get_by_text("Marie Dubois")).to_be_visible()
        _look(page, f"viewer-receipt-{language}")
        page.goto(f"/enterprises/{enterprise.pk}/account/")
        expect(page.locator("#pay-amount")).to_have_count(0)
        _look(page, f"viewer-account-{language}")
        page.goto(f"/enterprises/{enterprise.pk}/certificate/")
        _look(page, f"viewer-certificate-{language}")
