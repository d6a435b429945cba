"""The pension simulator: the real record plus the person's assumptions, projected month by month
and computed by the rules engine; the page, its errors, and who may use it."""

import datetime
from decimal import Decimal

import numpy
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from benefits.rules import Population, evaluate
from benefits.selectors import pension_estimate
from benefits.simulator import pension_age_month
from benefits.types import PensionAssumptions
from core.models import AccessRecord
from core.periods import Period
from core.types import Scope
from tests.benefits.career_helpers import career
from tests.benefits.test_scheme_pages import _text
from tests.helpers import act_for, citizen_actor, sign_in
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def saver():
    """Born on 20 March 1962 (65 in March 2027, before the age rises to 66 in 2030): 4,000.00 a
    month from January 2010 to November 2026, 203 months."""
    person = PersonFactory(first_name="Omar", birth_date=datetime.date(1962, 3, 20), country="BE")
    career(person, "2010-01", "2026-11", "4000.00")
    return person


def test_the_month_the_pension_age_is_reached():
    # 65 until the end of 2029, 66 from 1 January 2030.
    assert pension_age_month(datetime.date(1962, 3, 20), Period(2026, 12)) == Period(2027, 4)
    assert pension_age_month(datetime.date(1962, 4, 1), Period(2026, 12)) == Period(2027, 4)  # on the 1st
    assert pension_age_month(datetime.date(1965, 2, 15), Period(2026, 12)) == Period(2031, 3)
    # 65 in March 2030 is too late for 65, too early for 66: March 2031.
    assert pension_age_month(datetime.date(1965, 2, 15), Period(1965, 2)) == Period(2031, 3)
    # 65 on 30 November 2029, while 65 is still the age: from December 2029.
    assert pension_age_month(datetime.date(1964, 11, 30), Period(2026, 12)) == Period(2029, 12)
    # Already past the age: this month.
    assert pension_age_month(datetime.date(1950, 1, 1), Period(2026, 12)) == Period(2026, 12)


def _engine(insured_months: int, wages: dict[int, float], month: Period) -> Decimal:
    population = Population(
        columns={
            "birth_date": numpy.array(["1962-03-20"], dtype="datetime64[D]"),
            "insured_months": numpy.array([insured_months]),
            "yearly_wage": {str(year): numpy.array([wage]) for year, wage in wages.items()},
        }
    )
    return evaluate("old_age_pension", population, month).amount(0)


@pytest.mark.time_machine(NOW, tick=False)
@translation.override("en")
def test_the_estimate_projects_the_career_until_the_month_chosen(saver):
    actor = citizen_actor(UserFactory(person=saver))
    estimate = pension_estimate(
        actor=actor,
        person_id=saver.pk,
        assumptions=PensionAssumptions(retirement=Period(2027, 6), future_yearly_wage=Decimal("54000")),
        now=timezone.now(),
    )
    assert estimate.earliest == Period(2027, 4)
    assert estimate.recorded_months == 203
    # December 2026 to May 2027 worked: 6 months more.
    assert estimate.projected_months == 6
    assert [row.insured_months for row in estimate.months[:3]] == [209, 210, 211]
    assert [str(row.month) for row in estimate.months[:2]] == ["2027-06", "2027-07"]
    assert len(estimate.months) == 25
    assert estimate.chosen.age == 65 and estimate.chosen.eligible
    # The same career given to the engine by hand: 2010–2025 at 48,000 a year, 2026 at 44,000
    # recorded (11 months) + 4,500 projected for December; 2027 does not count for a 2027 pension.
    wages = {year: 48000.0 for year in range(2010, 2026)} | {2026: 48500.0}
    assert estimate.chosen.amount == _engine(209, wages, Period(2027, 6))
    # A pension from January 2028: work goes on until December 2027, whose twelve months at
    # 4,500 now count (as 2027's wage), with thirteen months more than the record.
    january = next(row for row in estimate.months if str(row.month) == "2028-01")
    assert january.insured_months == 203 + 13
    assert january.amount == _engine(216, wages | {2027: 54000.0}, Period(2028, 1))
    # The rate of the month chosen: 1.5 % for each of 209 months / 12.
    steps = {step.label: step.display for step in estimate.steps}
    assert steps["Months credited"].startswith("209 months: 203 months in your record, 6 months more")
    assert steps["Rate"].startswith("26.125\N{NO-BREAK SPACE}%")


@pytest.mark.time_machine(NOW, tick=False)
def test_stopping_work_now_counts_the_record_only(saver):
    actor = citizen_actor(UserFactory(person=saver))
    estimate = pension_estimate(
        actor=actor,
        person_id=saver.pk,
        assumptions=PensionAssumptions(retirement=Period(2027, 6), future_yearly_wage=Decimal("0")),
        now=timezone.now(),
    )
    assert estimate.projected_months == 0
    assert {row.insured_months for row in estimate.months} == {203}
    wages = {year: 48000.0 for year in range(2010, 2026)} | {2026: 44000.0}
    assert estimate.chosen.amount == _engine(203, wages, Period(2027, 6))


@pytest.mark.time_machine(NOW, tick=False)
@translation.override("en")
def test_before_the_pension_age_no_pension_is_due(saver):
    actor = citizen_actor(UserFactory(person=saver))
    estimate = pension_estimate(
        actor=actor,
        person_id=saver.pk,
        assumptions=PensionAssumptions(retirement=Period(2027, 1), future_yearly_wage=Decimal("48000")),
        now=timezone.now(),
    )
    assert [row.eligible for row in estimate.months[:4]] == [False, False, False, True]
    assert estimate.months[0].amount == 0
    assert any(not reason.met and "pension age is 65" in reason.text for reason in estimate.reasons)


@pytest.mark.time_machine(NOW, tick=False)
def test_too_few_months_is_explained(client):
    person = PersonFactory(birth_date=datetime.date(1961, 1, 5), country="BE")
    career(person, "2020-01", "2026-11", "2000.00")
    sign_in(client, UserFactory(person=person))
    text = _text(
        client.get(
            reverse("benefits:simulator"), {"retirement": "2027-01", "wage": "0"}, headers={"Accept-Language": "en"}
        )
    )
    assert "No pension would be due that month." in text
    assert "Not met: 83 months credited to the record; 180 months are required." in text


@pytest.mark.time_machine(NOW, tick=False)
def test_the_page_with_its_defaults_and_its_explanation(client, saver):
    sign_in(client, UserFactory(person=saver))
    page = client.get(reverse("benefits:simulator"), headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = _text(page)
    # The defaults: the pension age, and last year's wage (48,000.00) until then.
    assert 'value="2027-04"' in page.content.decode() and 'value="48000.00"' in page.content.decode()
    assert "Retiring on 1 April 2027" in text
    assert "This is an estimate, not a decision" in text
    assert "Average yearly wage, revalued" in text
    assert "Between the minimum (680.00 €) and the maximum (3,300.00 €)" in text
    assert "The earliest month you can retire with an old-age pension: 1 April 2027." in text
    assert not AccessRecord.objects.exists()


@pytest.mark.time_machine(NOW, tick=False)
@pytest.mark.parametrize(
    ("retirement", "wage", "message"),
    [
        ("2026-11", "48000", "Choose this month or a later one."),
        ("9999-01", "48000", "Choose a month within 50 years."),
        ("2027-13", "48000", "Enter a month as YYYY-MM"),
        ("2027-06", "-5", "Enter an amount in euros"),
        ("2027-06", "1e6", "Enter an amount in euros"),
        ("2027-06", "4000000", "Enter a yearly wage of at most 1,000,000 euros."),
    ],
)
def test_wrong_assumptions_are_said_next_to_their_field(client, saver, retirement, wage, message):
    sign_in(client, UserFactory(person=saver))
    page = client.get(
        reverse("benefits:simulator"), {"retirement": retirement, "wage": wage}, headers={"Accept-Language": "en"}
    )
    assert page.status_code == 200
    text = _text(page)
    assert message in text
    assert "Check the fields marked below" in text
    # The defaults are estimated instead: retiring at the pension age.
    assert "Retiring on 1 April 2027" in text


@pytest.mark.time_machine(NOW, tick=False)
def test_a_decimal_comma_is_read(client, saver):
    sign_in(client, UserFactory(person=saver))
    text = _text(client.get(reverse("benefits:simulator"), {"retirement": "2027-06", "wage": "54000,50"}))
    assert "Retiring on 1 June 2027" in text or "1 juin 2027" in text


@pytest.mark.time_machine(NOW, tick=False)
def test_who_may_use_the_simulator(client, saver):
    url = reverse("benefits:simulator")
    assert client.get(url)["Location"].startswith(reverse("account_login"))
    sign_in(client, UserFactory())
    assert client.get(url)["Location"] == reverse("identity:link_person")

    owner = UserFactory(person=saver)
    for scopes, expected in (([Scope.VIEW_FILE], 200), ([Scope.MANAGE_CLAIMS], 404)):
        proxy, mandate_id = act_for(client, owner, scopes)
        page = client.get(url, headers={"Accept-Language": "en"})
        assert page.status_code == expected
        records = AccessRecord.objects.filter(actor_user=proxy, subject_person=saver, mandate_id=mandate_id)
        assert records.count() == (1 if expected == 200 else 0)
        if expected == 200:
            assert f"Pension estimate of {saver.first_name} {saver.last_name}" in _text(page)
            assert records.get().detail == "pension simulation"
