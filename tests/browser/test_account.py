"""An employer pays its contributions online in the sandbox, without JavaScript; an employee reads
their contribution record; every page passes axe."""

import datetime

import pytest
from playwright.sync_api import expect

from contributions import services
from contributions.declarations import declaration_submit
from contributions.models import LedgerEntry, Payment
from contributions.types import LineInput
from core.periods import Period
from devtools.rates import demo_rates_seed
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import _sign_in
from tests.browser.test_trust import _look
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation


def _declared_month(settings):
    """An enterprise whose declarant declared Marie's wage of last month (972.90 € owed)."""
    demo_rates_seed()
    last_month = Period.of(datetime.date.today()).previous()
    enterprise = EnterpriseFactory(name="Boulangerie Dupont")
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    actor = citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))
    employee = PersonFactory(first_name="Marie", last_name="Dubois")
    hired_on = datetime.datetime.combine(last_month.first_day, datetime.time(8), tzinfo=datetime.UTC)
    services.employment_hire(
        actor=actor,
        enterprise_id=enterprise.pk,
        national_number=employee.national_number,
        worker_category="employee",
        start_date=last_month.first_day,
        now=hired_on - datetime.timedelta(days=1),
    )
    result = declaration_submit(
        actor=actor,
        enterprise_id=enterprise.pk,
        period=str(last_month),
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
        now=datetime.datetime.now(tz=datetime.UTC),
    )
    assert result.accepted
    return enterprise, declarant, employee


# 972.90 € is last month's line under the 2026 rates (a year back from December 2026, last month
# was under the 2025 ones): the journey runs in December 2026.
@pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_pay_contributions_in_the_sandbox_without_javascript(new_page, live_server, settings):
    settings.SITE_URL = live_server.url
    settings.PAYMENT_SANDBOX_URL = f"{live_server.url}/sandbox-pay/"
    enterprise, declarant, _employee = _declared_month(settings)
    account_url = f"/enterprises/{enterprise.pk}/account/"

    page = new_page(java_script_enabled=False, locale="en-GB")
    _sign_in(page, declarant.email)
    page.goto(account_url)
    expect(page.locator("#pay-amount")).to_have_value("972.90")
    account_html = page.content()
    page.get_by_role("button", name="Pay online").click()
    expect(page.locator("h1")).to_have_text("Payment sandbox")
    sandbox_html = page.content()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect(page.locator(".usa-alert--success")).to_contain_text("972.90")
    return_html = page.content()

    payment = Payment.objects.get()
    assert payment.status == "succeeded"
    assert list(LedgerEntry.objects.filter(kind="payment").values_list("amount", flat=True)) == [-payment.amount]
    page.goto(account_url)
    expect(page.get_by_text("Nothing to pay: every debt is paid.")).to_be_visible()

    checker = new_page(locale="en-GB")
    _sign_in(checker, declarant.email)
    checker.goto(account_url)
    assert_accessible(checker)
    for html in (account_html, sandbox_html, return_html):
        checker.set_content(html)
        assert_accessible(checker)


def test_an_employee_reads_their_contribution_record(new_page, settings):
    _enterprise, _declarant, employee = _declared_month(settings)
    owner = UserFactory(person=employee)

    page = new_page(java_script_enabled=False)
    _sign_in(page, owner.email)
    page.goto("/")
    page.get_by_role("link", name="Mon relevé de cotisations").first.click()
    expect(page.locator("h1")).to_have_text("Mon relevé de cotisations")
    expect(page.locator("tbody").last).to_contain_text("Boulangerie Dupont")
    expect(page.locator("tbody").last).to_contain_text("3 000,00")

    checker = new_page()
    _sign_in(checker, owner.email)
    checker.goto("/my-file/contributions/")
    assert_accessible(checker)


# The clock starts on the journey's day and runs (axe and screenshots wait on it).
@pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC))
def test_the_account_page_gives_the_transfer_details_and_a_qr_code_for_banking_apps(new_page, settings):
    enterprise, declarant, _employee = _declared_month(settings)

    page = new_page()
    _sign_in(page, declarant.email)
    page.goto(f"/enterprises/{enterprise.pk}/account/")

    transfer = page.locator("#transfer + div")
    expect(transfer).to_contain_text("BE71 0961 2345 6769")
    expect(transfer).to_contain_text("GKCCBEBB")
    expect(transfer).to_contain_text("972,90 €")
    code = page.get_by_role("img", name="Code QR d’un virement de 972,90", exact=False)
    expect(code).to_be_visible()
    _look(page, "account-transfer")
