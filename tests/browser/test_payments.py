"""The pensioner's payments as people read them, without JavaScript, in French and English: the
next payment, each amount explained, the yearly statement; and a daughter reading them under a
mandate — axe and reflow at phone width on every page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.periods import Period
from core.types import Scope
from mandates import services as mandate_services
from tests.benefits.payment_helpers import aware, pensioner
from tests.benefits.test_payment_pages import _paid_month
from tests.browser.conftest import look
from tests.browser.test_journeys import _sign_in
from tests.helpers import citizen_actor
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC))
D = datetime.date


def _look(new_page, page, name: str, locale: str) -> None:
    """axe and reflow need JavaScript: the page read without it is checked in a second tab."""
    checker = new_page(locale=locale)
    checker.goto("/")
    checker.set_content(page.content())
    look(checker, name)


def _jean() -> dict:
    jean = pensioner(amount="1000.00", start_on=D(2025, 10, 1), now=aware(D(2026, 11, 10)))
    _paid_month(Period(2026, 11))
    return jean


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_the_pensioner_reads_his_payments_and_finds_his_yearly_statement(new_page, locale):
    fr = locale == "fr-FR"
    jean = _jean()
    page = new_page(java_script_enabled=False, locale=locale)
    _sign_in(page, jean["user"].email)
    page.goto("/my-file/payments/")
    expect(page.locator("h1")).to_have_text("Mes paiements de prestations" if fr else "My benefit payments")
    main = page.locator("main")
    expect(main).to_contain_text("1 018,00 € le 28 décembre 2026" if fr else "1,018.00 € on 28 December 2026")
    expect(main).to_contain_text("Indexation annuelle : +1,8 %" if fr else "Yearly indexation: +1.8 %")
    expect(main).to_contain_text("octobre 2025 à novembre 2026" if fr else "October 2025 to November 2026")
    _look(new_page, page, f"payments-{locale[:2]}", locale)
    # The statement's form (the PDF itself is read back in tests/benefits/test_payment_pages.py).
    expect(page.get_by_label("Année" if fr else "Year")).to_have_value("2026")
    expect(
        page.get_by_role("button", name="Télécharger le relevé (PDF)" if fr else "Download the statement (PDF)")
    ).to_be_visible()


def test_a_daughter_reads_her_fathers_payments_under_a_mandate(new_page):
    jean = _jean()
    daughter = UserFactory(
        first_name="Sophie", last_name="Helper", person=PersonFactory(first_name="Sophie", last_name="Helper")
    )
    now = timezone.now()
    mandate_id = mandate_services.mandate_grant(
        actor=citizen_actor(jean["user"], level=2),
        proxy_national_number=daughter.person.national_number,
        proxy_last_name="Helper",
        scopes=[Scope.VIEW_FILE],
        starts_on=now.date(),
        ends_on=now.date() + datetime.timedelta(days=30),
        now=now,
    )
    mandate_services.mandate_accept(actor=citizen_actor(daughter), mandate_id=mandate_id, now=now)
    page = new_page(java_script_enabled=False, locale="fr-FR")
    _sign_in(page, daughter.email)
    page.goto("/mandates/")
    page.get_by_role("button", name="Agir pour", exact=False).first.click()
    page.goto("/my-file/payments/")
    expect(page.locator("h1")).to_have_text("Paiements de prestations de Jean Dubois")
    expect(page.locator("main")).to_contain_text("1 018,00 € le 28 décembre 2026")
    _look(new_page, page, "payments-proxy-fr", "fr-FR")
