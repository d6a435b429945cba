"""Contribution computation against hand-worked examples (ceilings, categories, rounding)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from contributions.computation import RateTable, branch_totals
from contributions.declarations import line_amounts
from contributions.models import ContributionRate
from contributions.selectors import rates_for_period
from contributions.types import Rate
from core.money import round_half_up
from core.periods import Period
from devtools.rates import demo_rates_seed

D = Decimal


def _rate(branch, employee, employer, ceiling=None, category="employee"):
    return Rate(
        branch, category, D(employee), D(employer), D(ceiling) if ceiling else None, datetime.date(2026, 1, 1), None
    )


def test_round_half_up_rounds_halves_away_from_zero():
    assert round_half_up(D("0.005")) == D("0.01")
    assert round_half_up(D("0.0049999")) == D("0.00")
    assert round_half_up(D("2.675")) == D("2.68")  # float rounding would give 2.67


def test_a_line_is_computed_per_branch_with_the_ceiling_and_rounded_to_the_cent():
    table = RateTable([_rate("pension", "0.069", "0.0855", ceiling="4005.00"), _rate("health", "0.0355", "0.038")])

    amounts = {
        a.branch: (a.base, a.employee, a.employer)
        for a in table.line(worker_category="employee", gross_wage=D("5000.00"))
    }

    # pension: base capped at 4005.00; 4005 × 0.069 = 276.345 → 276.35; 4005 × 0.0855 = 342.4275 → 342.43
    assert amounts["pension"] == (D("4005.00"), D("276.35"), D("342.43"))
    # health: whole wage; 5000 × 0.0355 = 177.50; 5000 × 0.038 = 190.00
    assert amounts["health"] == (D("5000.00"), D("177.50"), D("190.00"))


def test_a_wage_under_the_ceiling_is_the_base():
    table = RateTable([_rate("pension", "0.069", "0.0855", ceiling="4005.00")])
    (amount,) = table.line(worker_category="employee", gross_wage=D("1234.56"))
    # 1234.56 × 0.069 = 85.18464 → 85.18; 1234.56 × 0.0855 = 105.55488 → 105.55
    assert (amount.base, amount.employee, amount.employer) == (D("1234.56"), D("85.18"), D("105.55"))


def test_totals_are_sums_of_rounded_line_amounts_not_rounded_sums():
    table = RateTable([_rate("health", "0.0355", "0.038")])
    lines = [line_amounts(table, "employee", D("100.10"))[2] for _ in range(3)]
    # each line: 100.10 × 0.0355 = 3.55355 → 3.55 (three lines: 10.65, while 300.30 × 0.0355 = 10.66)
    assert branch_totals(lines) == {"health": ["10.65", "11.40"]}


def test_categories_have_their_own_rates():
    table = RateTable([_rate("family", "0", "0.07"), _rate("family", "0", "0.035", category="apprentice")])
    (employee,) = table.line(worker_category="employee", gross_wage=D("2000"))
    (apprentice,) = table.line(worker_category="apprentice", gross_wage=D("2000"))
    assert (employee.employer, apprentice.employer) == (D("140.00"), D("70.00"))
    assert not table.has_category("worker")


@pytest.mark.django_db
def test_each_period_computes_with_the_rates_then_in_force():
    demo_rates_seed()
    pension_2025 = [
        r
        for r in rates_for_period(period=Period(2025, 12))
        if r.branch == "pension" and r.worker_category == "employee"
    ]
    pension_2026 = [
        r for r in rates_for_period(period=Period(2026, 1)) if r.branch == "pension" and r.worker_category == "employee"
    ]
    assert [(r.employee_rate, r.monthly_ceiling) for r in pension_2025] == [(D("0.06850"), D("3925.00"))]
    assert [(r.employee_rate, r.monthly_ceiling) for r in pension_2026] == [(D("0.06900"), D("4005.00"))]


@pytest.mark.django_db
def test_two_rates_of_a_branch_and_category_cannot_overlap():
    ContributionRate.objects.create(
        branch="health",
        worker_category="employee",
        employee_rate=D("0.0355"),
        employer_rate=D("0.038"),
        valid_from=datetime.date(2026, 1, 1),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ContributionRate.objects.create(
            branch="health",
            worker_category="employee",
            employee_rate=D("0.036"),
            employer_rate=D("0.038"),
            valid_from=datetime.date(2026, 6, 1),
        )
    ContributionRate.objects.create(
        branch="health",
        worker_category="worker",
        employee_rate=D("0.036"),
        employer_rate=D("0.038"),
        valid_from=datetime.date(2026, 6, 1),
    )
    assert ContributionRate.objects.count() == 2


def test_periods_parse_and_refuse_nonsense():
    assert str(Period.parse("2026-02")) == "2026-02"
    assert Period.parse("2024-02").days == 29
    assert Period(2026, 12).next() == Period(2027, 1)
    assert Period(2026, 1).previous() == Period(2025, 12)
    for bad in ("2026-13", "26-01", "2026/01", "", "2026-00"):
        with pytest.raises(ValueError):
            Period.parse(bad)


@pytest.mark.django_db
def test_the_public_rates_page_shows_a_period_without_sign_in_and_refuses_a_bad_one(client):
    demo_rates_seed()
    page = client.get(reverse("contributions:rates") + "?period=2025-06", HTTP_ACCEPT_LANGUAGE="en")
    french = client.get(reverse("contributions:rates") + "?period=2026-06")
    bad = client.get(reverse("contributions:rates") + "?period=2026-13", HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    body = page.content.decode()
    assert "Rates in force in 2025-06" in body
    assert "6.85 %" in body and "3,925.00 €" in body
    assert "6,9 %" in french.content.decode()
    assert bad.status_code == 400
    assert "Enter a month as YYYY-MM" in bad.content.decode()


def test_the_integer_arithmetic_gives_the_cent_the_decimal_rule_gives():
    """round_half_up(min(wage, ceiling) × rate) computed in Decimal, against the table's integer
    cents, over many wages, ceilings and rates with up to five decimals (halves included)."""
    import random

    from core.money import round_half_up

    chooser = random.Random(7)
    rates = [
        _rate("pension", "0.069", "0.0855", ceiling="4005.00"),
        _rate("health", "0.0355", "0.038"),
        _rate("family", "0", "0.07"),
        _rate("work_injury", "0.00125", "0.00375", ceiling="2500.50"),
        _rate("unemployment", "0.00001", "0.5"),
    ]
    table = RateTable(rates)
    wages = [D("0.00"), D("0.01"), D("4005.00"), D("4005.01"), D("9999999.99")]
    wages += [D(chooser.randint(0, 1_500_000)).scaleb(-2) for _ in range(3000)]
    for wage in wages:
        expected = []
        for rate in rates:
            base = wage if rate.monthly_ceiling is None else min(wage, rate.monthly_ceiling)
            expected.append(
                (rate.branch, base, round_half_up(base * rate.employee_rate), round_half_up(base * rate.employer_rate))
            )
        got = [
            (a.branch, a.base, a.employee, a.employer) for a in table.line(worker_category="employee", gross_wage=wage)
        ]
        assert got == expected, wage
        assert [str(a.employee) for a in table.line(worker_category="employee", gross_wage=wage)] == [
            str(e[2]) for e in expected
        ]


def test_many_lines_at_once_give_each_line_and_branch_the_cents_of_one_line_at_a_time():
    import random

    chooser = random.Random(11)
    rates = [
        _rate("pension", "0.069", "0.0855", ceiling="4005.00"),
        _rate("health", "0.0355", "0.038"),
        _rate("family", "0", "0.07"),
        _rate("work_injury", "0.00125", "0.00375", ceiling="2500.50"),
        _rate("unemployment", "0.00001", "0.5"),
    ]
    table = RateTable(rates)
    wages = [0, 1, 400500, 400501, 999999999] + [chooser.randint(0, 1_500_000) for _ in range(3000)]

    employee, employer, branches = table.lines_cents(worker_category="employee", wages_cents=wages)

    one_by_one = [table.line_cents(worker_category="employee", wage_cents=wage) for wage in wages]
    assert employee == [sum(share[2] for share in line) for line in one_by_one]
    assert employer == [sum(share[3] for share in line) for line in one_by_one]
    assert branches == {
        rate.branch: [
            sum(line[index][2] for line in one_by_one),
            sum(line[index][3] for line in one_by_one),
        ]
        for index, rate in enumerate(rates)
    }
    with pytest.raises(ValueError, match="negative wage"):
        table.lines_cents(worker_category="employee", wages_cents=[100, -1])
