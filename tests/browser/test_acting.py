"""Acting for someone in a real browser: Sophie, under Jean's mandate, reads his file, his
contribution record and who accessed his data, each page naming Jean; her own inbox answers
that it is not part of Jean's file and leads her back. Every page passes axe, in French and
English (photographed when GUICHET_SCREENSHOTS names a folder)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from core.actor import LevelOfAssurance
from core.types import Scope
from mandates import services as mandate_services
from tests.browser.conftest import NewPage
from tests.browser.test_journeys import _in, _sign_in
from tests.browser.test_trust import _look
from tests.helpers import citizen_actor
from tests.identity import factories


def test_a_proxy_reads_the_principals_pages_and_is_led_back_to_her_own(new_page: NewPage) -> None:
    jean = factories.UserFactory(
        first_name="Jean", last_name="Peeters", person=factories.PersonFactory(first_name="Jean", last_name="Peeters")
    )
    sophie = factories.UserFactory(
        first_name="Sophie", last_name="Martin", person=factories.PersonFactory(first_name="Sophie", last_name="Martin")
    )
    today = timezone.localdate()
    mandate_id = mandate_services.mandate_grant(
        actor=citizen_actor(jean, level=LevelOfAssurance.SUBSTANTIAL),
        proxy_national_number=sophie.person.national_number,
        proxy_last_name="Martin",
        scopes=[Scope.VIEW_FILE],
        starts_on=today,
        ends_on=today + datetime.timedelta(days=365),
        now=timezone.now(),
    )
    mandate_services.mandate_accept(actor=citizen_actor(sophie), mandate_id=mandate_id, now=timezone.now())
    for locale, language in (("fr-FR", "fr"), ("en-GB", "en")):
        page = new_page(locale=locale)
        _sign_in(page, sophie.email)
        page.goto("/mandates/")
        page.locator(f"form[action='/mandates/{mandate_id}/act/'] button").click()
        expect(page.locator("h1")).to_have_text(_in(language, "File of %(name)s") % {"name": "Jean Peeters"})
        _look(page, f"acting-dashboard-{language}")

        page.get_by_role(
            "link", name=_in(language, "Contribution record of %(name)s") % {"name": "Jean Peeters"}
        ).click()
        expect(page.locator("h1")).to_have_text(
            _in(language, "Contribution record of %(name)s") % {"name": "Jean Peeters"}
        )
        _look(page, f"acting-record-{language}")

        page.goto("/my-file/contributions/statement/")
        expect(page.locator("h1")).to_have_text(
            _in(language, "Contribution statement of %(name)s") % {"name": "Jean Peeters"}
        )
        _look(page, f"acting-statement-{language}")
        page.goto("/dashboard/")
        page.get_by_role(
            "link", name=_in(language, "Bank account of %(name)s for payments") % {"name": "Jean Peeters"}
        ).click()
        expect(page.locator("h1")).to_have_text(
            _in(language, "Bank account of %(name)s for payments") % {"name": "Jean Peeters"}
        )
        _look(page, f"acting-bank-account-{language}")

        page.goto("/dashboard/")
        page.get_by_role(
            "link", name=_in(language, "Who accessed the data of %(name)s") % {"name": "Jean Peeters"}
        ).click()
        expect(page.locator("h1")).to_have_text(
            _in(language, "Who accessed the data of %(name)s") % {"name": "Jean Peeters"}
        )
        expect(page.locator("main li").first).to_contain_text("Sophie Martin")
        _look(page, f"acting-access-log-{language}")

        # Her own inbox is not in Jean's file: the menu does not offer it, the address says so.
        expect(page.locator("header a[href='/inbox/']")).to_have_count(0)
        page.goto("/inbox/")
        expect(page.locator("h1")).to_have_text(
            _in(language, "Not part of the file of %(name)s") % {"name": "Jean Peeters"}
        )
        _look(page, f"acting-own-page-{language}")
        page.get_by_role("button", name=_in(language, "Back to my own file and open this page")).click()
        expect(page.locator(".guichet-acting-banner")).to_have_count(0)
        expect(page).to_have_url(f"{page.url.split('/inbox/')[0]}/inbox/")
