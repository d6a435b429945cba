"""The employer's account as people read it: every debt (contributions, penalty, interest and its
catch-up) listed with its total in French, a credit with the refund form that an administrator
fills without JavaScript, and finance staff paying the refund in the back office — axe and
reflow at phone width on each page."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from contributions import ledger, services
from contributions.declarations import declaration_submit
from contributions.models import LedgerEntry, RefundRequest
from contributions.types import LineInput
from core.periods import Period
from devtools.rates import demo_rates_seed
from tests.browser.conftest import look
from tests.browser.test_journeys import _sign_in
from tests.helpers import citizen_actor
from tests.identity.factories import (
    TOTP_SECRET,
    EnterpriseFactory,
    PersonFactory,
    UserFactory,
    representation,
    with_totp,
)

pytestmark = pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC))


def _at(month, day):
    return datetime.datetime(2026, month, day, 9, tzinfo=datetime.UTC)


def _bakery(settings):
    settings.DECLARATION_DUE_DAY = 15
    settings.LATE_INTEREST_MINIMUM = "1.00"
    demo_rates_seed()
    enterprise = EnterpriseFactory(name="Boulangerie Dupont")
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    administrator = with_totp(UserFactory())
    representation(administrator, enterprise, "administrator")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    employee = PersonFactory(first_name="Marie", last_name="Dubois")
    services.employment_hire(
        actor=actor,
        enterprise_id=enterprise.pk,
        national_number=employee.national_number,
        worker_category="employee",
        start_date=datetime.date(2026, 1, 1),
        now=_at(1, 1) - datetime.timedelta(days=1),
    )

    def declare(period, now):
        result = declaration_submit(
            actor=actor,
            enterprise_id=enterprise.pk,
            period=period,
            lines=[
                LineInput(
                    national_number=employee.national_number,
                    worker_category="employee",
                    gross_wage="3000.00",
                    days_worked="20",
                )
            ],
            replace=False,
            channel="form",
            now=now,
        )
        assert result.accepted

    return enterprise, declarant, administrator, declare


def test_every_debt_is_listed_with_its_total_in_french(new_page, settings, django_capture_on_commit_callbacks):
    enterprise, declarant, _administrator, declare = _bakery(settings)
    with django_capture_on_commit_callbacks(execute=True):
        declare("2026-08", _at(11, 20))  # filed three months late: September and October caught up
        declare("2026-10", _at(11, 20))
        ledger.penalties_post(
            enterprises={enterprise.pk: enterprise.enterprise_number},
            period=Period(2026, 10),
            amount=Decimal("100.00"),
            now=_at(11, 16),
        )
        ledger.interest_post(month=Period(2026, 11), now=datetime.datetime(2026, 12, 1, 3, tzinfo=datetime.UTC))
    assert LedgerEntry.objects.filter(source__startswith="interest-correction:").count() == 2

    page = new_page(locale="fr-FR")
    _sign_in(page, declarant.email)
    page.goto(f"/enterprises/{enterprise.pk}/account/")
    table = page.locator("table").first
    for debt in ("Cotisations", "Majoration pour déclaration tardive", "Intérêts de retard"):
        expect(table).to_contain_text(debt)
    options = page.locator("#pay-reference option")
    expect(options).to_have_count(1 + 2 + 1 + 3)  # oldest first, 2 periods, a penalty, 3 months of interest
    look(page, "account-every-debt")
    page.goto(f"/enterprises/{enterprise.pk}/account/?year=2026")
    expect(page.locator("main")).to_contain_text("rattrapage d’intérêts de retard d’un mois antérieur")


def test_an_administrator_asks_for_the_credit_without_javascript_and_finance_pays_it(
    new_page, settings, django_capture_on_commit_callbacks
):
    enterprise, _declarant, administrator, declare = _bakery(settings)
    with django_capture_on_commit_callbacks(execute=True):
        declare("2026-10", _at(11, 5))  # 972.90
        ledger.credit_post(
            enterprise_id=enterprise.pk,
            amount=Decimal("1200.00"),
            payment_reference="",
            source="bank:too-much",
            booked_on=datetime.date(2026, 11, 10),
            now=_at(11, 11),
        )

    page = new_page(java_script_enabled=False, locale="fr-FR")
    # axe runs in a page with JavaScript, on what the page without it shows.
    checker = new_page(locale="fr-FR")
    checker.goto("/")

    def look_at(shown, name):
        checker.set_content(shown.content())
        look(checker, name)

    _sign_in(page, administrator.email, totp_secret=TOTP_SECRET)
    page.goto(f"/enterprises/{enterprise.pk}/account/")
    expect(page.locator("main")).to_contain_text("Crédit en votre faveur")
    look_at(page, "account-credit")
    page.fill("#id_iban", "BE71 0961 2345 6769")
    page.fill("#id_holder_name", "Boulangerie Dupont SRL")
    page.get_by_role("button", name="Demander le remboursement").click()
    expect(page.locator(".usa-alert--success")).to_contain_text("Votre demande de remboursement est envoyée")
    expect(page.locator("main")).to_contain_text("demandé, en attente de l’institution")
    look_at(page, "account-refund-asked")
    request = RefundRequest.objects.get()
    assert request.amount == Decimal("227.10")

    finance = with_totp(UserFactory(is_staff=True))
    finance.groups.add(Group.objects.get(name="Finance"))
    staff = new_page(java_script_enabled=False, locale="fr-FR")
    _sign_in(staff, finance.email, totp_secret=TOTP_SECRET)
    staff.goto(f"/admin/contributions/refundrequest/{request.pk}/change/")
    expect(staff.locator("#content")).to_contain_text("Crédit de l’entreprise aujourd’hui\u00a0: 227,10\u00a0€.")
    look_at(staff, "admin-refund-request")
    staff.get_by_label("Le remboursement est versé sur ce compte").check()
    staff.get_by_role("button", name="Enregistrer la décision").click()
    expect(staff.locator(".messagelist")).to_contain_text("Décision enregistrée\u00a0: remboursé.")
    request.refresh_from_db()
    assert request.status == "refunded" and request.entry.amount == Decimal("227.10")

    page.goto(f"/enterprises/{enterprise.pk}/account/")
    expect(page.locator("main")).to_contain_text("remboursé")
    expect(page.locator("main")).not_to_contain_text("Crédit en votre faveur")
