"""An employer files a monthly declaration by form, without JavaScript, and reads the receipt."""

import datetime

from playwright.sync_api import expect

from contributions import services
from core.periods import Period
from devtools.rates import demo_rates_seed
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import _sign_in
from tests.browser.test_trust import _look
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation


def test_file_a_declaration_by_form_and_read_the_receipt(new_page):
    demo_rates_seed()
    last_month = Period.of(datetime.date.today()).previous()
    enterprise = EnterpriseFactory(name="Boulangerie Dupont")
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    employee = PersonFactory(first_name="Marie", last_name="Dubois")
    hired_on = datetime.datetime.combine(last_month.first_day, datetime.time(8), tzinfo=datetime.UTC)
    services.employment_hire(
        actor=citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk})),
        enterprise_id=enterprise.pk,
        national_number=employee.national_number,
        worker_category="employee",
        start_date=last_month.first_day,
        now=hired_on,
    )
    form_url = f"/enterprises/{enterprise.pk}/declarations/?period={last_month}"

    page = new_page(java_script_enabled=False)
    _sign_in(page, declarant.email)
    page.goto(form_url)
    expect(page.locator("#nn-1")).to_have_value(employee.national_number)
    page.fill("#wage-1", "-10")
    page.fill("#days-1", "20")
    page.locator("main form[method=post] button[type=submit]").click()
    expect(page.locator("#err-1")).to_be_visible()
    rejected_html = page.content()
    page.fill("#wage-1", "2500.00")
    page.locator("main form[method=post] button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("D" + f"{last_month.year}{last_month.month:02d}-")
    expect(page.locator("#payment + dl")).to_contain_text("Date d’échéance")
    receipt_url = page.url
    page.goto(form_url)
    expect(page.locator("#wage-1")).to_have_value("2500.00")
    expect(page.locator("#replace")).to_be_checked()

    # axe needs JavaScript: the same pages, in a JavaScript-enabled context of the same user.
    checker = new_page()
    _sign_in(checker, declarant.email)
    for url in (form_url, receipt_url):
        checker.goto(url)
        assert_accessible(checker)
    _look(checker, "declaration-receipt")
    checker.goto(form_url)
    _look(checker, "declaration-replacement")
    checker.set_content(rejected_html)
    assert_accessible(checker)


def test_the_declarations_page_lists_the_months_still_to_declare(new_page):
    demo_rates_seed()
    # Hired four months ago: at least the two months whose due date passed are missing.
    first = Period.of(datetime.date.today()).previous().previous().previous().previous()
    enterprise = EnterpriseFactory(name="Boulangerie Dupont")
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    services.employment_hire(
        actor=citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk})),
        enterprise_id=enterprise.pk,
        national_number=PersonFactory().national_number,
        worker_category="employee",
        start_date=first.first_day,
        now=datetime.datetime.combine(first.first_day, datetime.time(8), tzinfo=datetime.UTC),
    )

    page = new_page()
    _sign_in(page, declarant.email)
    page.goto(f"/enterprises/{enterprise.pk}/declarations/")
    page.get_by_role("link", name=f"Déclarer {first}").click()
    expect(page.locator("#choose-period")).to_have_value(str(first))
    _look(page, "declarations-missing")
