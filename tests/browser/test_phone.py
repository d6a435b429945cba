"""Reading on a phone (WCAG 1.4.10, reflow): at 390 px the pages with tables scroll only
vertically — the tables stack, each value under its column's name — and pass axe; with
GUICHET_SCREENSHOTS set, each is photographed at desktop and phone widths."""

from __future__ import annotations

import datetime

import pytest

from tests.browser.conftest import NewPage, look
from tests.browser.test_account import _declared_month
from tests.browser.test_journeys import _sign_in
from tests.identity.factories import UserFactory


@pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC), tick=False)
@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_pages_with_tables_reflow_at_phone_width(new_page: NewPage, settings, locale: str) -> None:
    enterprise, declarant, employee = _declared_month(settings)
    owner = UserFactory(person=employee)
    language = locale[:2]

    page = new_page(locale=locale)
    _sign_in(page, owner.email)
    for path, name in (("/my-file/contributions/", "record"), ("/dashboard/", "dashboard-employee")):
        page.goto(path)
        look(page, f"phone-{name}-{language}")

    page = new_page(locale=locale)
    _sign_in(page, declarant.email)
    for path, name in (
        (f"/enterprises/{enterprise.pk}/account/", "account"),
        (f"/enterprises/{enterprise.pk}/declarations/", "declarations"),
        (f"/enterprises/{enterprise.pk}/employees/", "employees"),
        ("/dashboard/", "dashboard-employer"),
    ):
        page.goto(path)
        look(page, f"phone-{name}-{language}")
