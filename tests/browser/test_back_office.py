"""The back office in a browser: the pages staff use most, in French, pass axe (contrast of the
breadcrumbs and links included) and show no English of the catalogue."""

from __future__ import annotations

from django.urls import reverse

from tests.browser.conftest import NewPage, assert_accessible
from tests.browser.test_journeys import _sign_in
from tests.identity import factories


def test_staff_pages_pass_axe_in_french(new_page: NewPage) -> None:
    staff = factories.with_totp(factories.UserFactory(is_staff=True, is_superuser=True))
    person = factories.PersonFactory(first_name="Jean", last_name="Peeters")
    page = new_page()
    _sign_in(page, staff.email, totp_secret=factories.TOTP_SECRET)

    for url in (
        reverse("admin:index"),
        reverse("admin:identity_person_changelist"),
        reverse("admin:identity_person_change", args=[person.pk]),
        reverse("admin:identity_enterprise_changelist"),
        reverse("admin:notifications_notification_changelist"),
        reverse("admin:core_accessrecord_changelist"),
    ):
        page.goto(url)
        assert page.locator(".breadcrumbs a").count() >= 1 or url == reverse("admin:index")
        assert_accessible(page)
