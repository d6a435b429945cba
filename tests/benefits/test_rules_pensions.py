"""The pensions, hand-worked (SIA titles II to IV; parameters in benefits/rules/parameters)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from benefits.rules import RulesInputError, evaluate
from core.periods import Period
from tests.benefits.helpers import population

JULY_2026 = Period(2026, 7)

# A career whose two last years carry wages (the older ones are empty and do not count):
# July 2026 revalues 2025's wages by the 2026 coefficient (1.015) and 2024's by 2025's and 2026's
# (1.02 × 1.015 = 1.0353).
#   2025: 36,000 × 1.015 = 36,540.00
#   2024: 30,000 × 1.0353 = 31,059.00
#   average over the 2 years with a wage = 67,599 / 2 = 33,799.50
CAREER = {"2025": 36_000, "2024": 30_000}


def cents(scheme: str, rows: list[dict], month: Period = JULY_2026, **structure) -> list[int]:
    return evaluate(scheme, population(rows, **structure), month).cents.tolist()


def test_old_age_pension_of_a_full_career_rounds_a_half_cent_up():
    # 480 months = 40 years × 1.5 % = 60 %; 0.6 × 33,799.50 / 12 = 1,689.975 → 1,689.98 (half up)
    result = evaluate(
        "old_age_pension",
        population([{"birth_date": "1960-05-10", "insured_months": 480, "yearly_wage": CAREER}]),
        JULY_2026,
    )
    assert result.cents.tolist() == [168_998]
    assert result.amount(0) == Decimal("1689.98")
    assert result.eligible.tolist() == [True]


def test_old_age_pension_counts_at_most_forty_years():
    # 540 months count as 480: the same 1,689.98 as the full career
    assert cents("old_age_pension", [{"birth_date": "1960-05-10", "insured_months": 540, "yearly_wage": CAREER}]) == [
        168_998
    ]


def test_old_age_pension_needs_exactly_the_minimum_months():
    # 180 months = 15 years × 1.5 % = 22.5 %; 0.225 × 33,799.50 / 12 = 633.74 → raised to the
    # 2026 minimum of 680.00. 179 months: no pension.
    rows = [
        {"birth_date": "1960-05-10", "insured_months": 180, "yearly_wage": CAREER},
        {"birth_date": "1960-05-10", "insured_months": 179, "yearly_wage": CAREER},
    ]
    result = evaluate("old_age_pension", population(rows), JULY_2026)
    assert result.cents.tolist() == [68_000, 0]
    assert result.conditions["old_age_pension_months_met"].tolist() == [True, False]
    assert result.eligible.tolist() == [True, False]


def test_old_age_pension_minimum_is_the_one_in_force_in_the_month():
    # December 2025: 2025 is the current year, so the wages counted are 2024's revalued by 1.02 =
    # 30,600.00 (2025's are not a complete year yet); 0.225 × 30,600 / 12 = 573.75 → raised to the
    # 2025 minimum, 650.00; in January 2026 the minimum is 680.00.
    rows = [{"birth_date": "1960-05-10", "insured_months": 180, "yearly_wage": CAREER}]
    assert cents("old_age_pension", rows, Period(2025, 12)) == [65_000]
    assert cents("old_age_pension", rows, Period(2026, 1)) == [68_000]


def test_old_age_pension_is_lowered_to_the_maximum():
    # 2025: 100,000 × 1.015 = 101,500; 0.6 × 101,500 / 12 = 5,075.00 → the 2026 maximum, 3,300.00
    rows = [{"birth_date": "1960-05-10", "insured_months": 480, "yearly_wage": {"2025": 100_000}}]
    assert cents("old_age_pension", rows) == [330_000]


def test_old_age_pension_starts_the_month_the_pension_age_is_reached_on_its_first_day():
    # Pension age 65 in 2026. Born 1 July 1961: 65 on 1 July 2026, July is paid. Born 2 July 1961:
    # still 64 on 1 July, first paid in August.
    rows = [
        {"birth_date": "1961-07-01", "insured_months": 480, "yearly_wage": CAREER},
        {"birth_date": "1961-07-02", "insured_months": 480, "yearly_wage": CAREER},
    ]
    assert cents("old_age_pension", rows, JULY_2026) == [168_998, 0]
    assert cents("old_age_pension", rows, Period(2026, 8)) == [168_998, 168_998]


def test_old_age_pension_age_is_66_from_2030():
    # Born 1 March 1964: 65 on 1 March 2029 (paid), but on 1 January 2030 the age is 66 and
    # the person, still 65, is no longer of pension age.
    rows = [{"birth_date": "1964-03-01", "insured_months": 480, "yearly_wage": {"2028": 36_000}}]
    assert cents("old_age_pension", rows, Period(2029, 12))[0] > 0
    assert cents("old_age_pension", rows, Period(2030, 1)) == [0]


def test_old_age_pension_is_paid_for_the_month_of_death_not_after():
    rows = [{"birth_date": "1950-01-01", "death_date": "2026-07-31", "insured_months": 480, "yearly_wage": CAREER}]
    assert cents("old_age_pension", rows, JULY_2026) == [168_998]
    assert cents("old_age_pension", rows, Period(2026, 8)) == [0]


def test_one_simulation_gives_each_person_their_own_result():
    rows = [
        {"birth_date": "1960-05-10", "insured_months": 480, "yearly_wage": CAREER},
        {"birth_date": "1960-05-10", "insured_months": 179, "yearly_wage": CAREER},
        {"birth_date": "1960-05-10", "insured_months": 480, "yearly_wage": {"2025": 100_000}},
        {"birth_date": "1990-05-10", "insured_months": 480, "yearly_wage": CAREER},
    ]
    together = cents("old_age_pension", rows)
    assert together == [168_998, 0, 330_000, 0]
    assert together == [cents("old_age_pension", [row])[0] for row in rows]


# Survivor's pension: a family of two parents; the first died on 10 March 2026, with the full
# career above (pension earned 1,689.98 in 2026); the survivor receives 60 %:
# 0.6 × 1,689.98 = 1,013.988 → 1,013.99, from April 2026.
DECEASED = {"birth_date": "1958-01-01", "death_date": "2026-03-10", "insured_months": 480, "yearly_wage": CAREER}


def survivor(**survivor_row) -> list[int]:
    row = {"birth_date": "1975-03-11", "marriage_date": "2020-05-01", **survivor_row}
    return cents("survivor_pension", [DECEASED, row], Period(2026, 4), family=[1, 1], role=["parent", "parent"])


def test_survivor_pension_is_a_share_of_the_deceased_spouses_pension():
    assert survivor() == [0, 101_399]


def test_survivor_pension_starts_the_month_after_the_death():
    rows = [DECEASED, {"birth_date": "1975-03-11", "marriage_date": "2020-05-01"}]
    structure = {"family": [1, 1], "role": ["parent", "parent"]}
    assert cents("survivor_pension", rows, Period(2026, 3), **structure) == [0, 0]
    assert cents("survivor_pension", rows, Period(2026, 4), **structure) == [0, 101_399]


def test_survivor_pension_needs_a_marriage_of_twelve_whole_months_on_the_day_of_death():
    # Married 10 March 2025: 12 whole months on 10 March 2026. Married 11 March 2025: 11 months.
    assert survivor(marriage_date="2025-03-10") == [0, 101_399]
    assert survivor(marriage_date="2025-03-11") == [0, 0]


def test_survivor_pension_needs_the_survivor_aged_45_on_the_day_of_death():
    # Born 10 March 1981: 45 on 10 March 2026, the day of the death. Born 11 March 1981: 44.
    assert survivor(birth_date="1981-03-10") == [0, 101_399]
    assert survivor(birth_date="1981-03-11") == [0, 0]


def test_survivor_pension_needs_a_deceased_spouse_in_the_same_family():
    rows = [DECEASED, {"birth_date": "1975-03-11", "marriage_date": "2020-05-01"}]
    assert cents("survivor_pension", rows, Period(2026, 4), family=[1, 2], role=["parent", "parent"]) == [0, 0]


def test_survivor_pension_needs_a_deceased_who_earned_a_pension():
    # 179 months: the deceased's record earned no pension, nothing to share
    rows = [{**DECEASED, "insured_months": 179}, {"birth_date": "1975-03-11", "marriage_date": "2020-05-01"}]
    assert cents("survivor_pension", rows, Period(2026, 4), family=[1, 1], role=["parent", "parent"]) == [0, 0]


# Disability pension: 50 % of the reference monthly wage, counted up to a ceiling (4,800 in 2025,
# 5,000 from 2026), with 12 months credited before the onset.


def test_disability_pension_needs_exactly_the_minimum_months_before_onset():
    # 0.5 × 3,000 = 1,500.00 with 12 months; nothing with 11
    rows = [
        {"birth_date": "1980-01-01", "disability_onset_date": "2026-02-10", "insured_months_before_onset": months}
        | {"reference_monthly_wage": 3_000}
        for months in (12, 11)
    ]
    assert cents("disability_pension", rows) == [150_000, 0]


def test_disability_pension_counts_the_wage_up_to_the_ceiling_in_force():
    # 6,200 counted as 4,800 in December 2025 (2,400.00) and as 5,000 in January 2026 (2,500.00)
    row = {
        "birth_date": "1980-01-01",
        "disability_onset_date": "2025-06-01",
        "insured_months_before_onset": 100,
        "reference_monthly_wage": 6_200,
    }
    assert cents("disability_pension", [row], Period(2025, 12)) == [240_000]
    assert cents("disability_pension", [row], Period(2026, 1)) == [250_000]


def test_disability_pension_starts_in_the_month_of_onset_and_stops_at_pension_age():
    row = {
        "birth_date": "1961-08-01",
        "disability_onset_date": "2026-02-28",
        "insured_months_before_onset": 100,
        "reference_monthly_wage": 3_000,
    }
    assert cents("disability_pension", [row], Period(2026, 1)) == [0]
    assert cents("disability_pension", [row], Period(2026, 2)) == [150_000]
    # 65 on 1 August 2026: the old-age pension takes over
    assert cents("disability_pension", [row], JULY_2026) == [150_000]
    assert cents("disability_pension", [row], Period(2026, 8)) == [0]


def test_an_unknown_scheme_or_input_is_refused_with_its_code():
    with pytest.raises(RulesInputError) as unknown:
        cents("early_pension", [{"insured_months": 1}])
    assert unknown.value.code == "unknown_scheme"
    with pytest.raises(RulesInputError) as computed:
        cents("old_age_pension", [{"old_age_pension_rate": 1}])
    assert (computed.value.code, computed.value.subject) == ("not_an_input", "old_age_pension_rate")
    with pytest.raises(RulesInputError) as parents:
        cents("survivor_pension", [{}, {}, {}], family=[1, 1, 1], role=["parent"] * 3)
    assert parents.value.code == "more_than_two_parents"
