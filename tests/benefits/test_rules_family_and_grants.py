"""Family allowance and the grants, hand-worked (SIA titles V and VI)."""

from __future__ import annotations

from benefits.rules import evaluate
from core.periods import Period
from tests.benefits.helpers import population

JUNE_2026, JULY_2026 = Period(2026, 6), Period(2026, 7)


def cents(scheme: str, rows: list[dict], month: Period, **structure) -> list[int]:
    return evaluate(scheme, population(rows, **structure), month).cents.tolist()


# Family allowance: a parent and children of every band, all living in the country. Amounts by
# band (ages 0–5, 6–11, 12–17): 110.00, 130.00, 150.00 until June 2026; revalued by 2 % on
# 1 July 2026: 112.20, 132.60, 153.00.
FAMILY = [
    {"birth_date": "1985-01-01", "resident": True},  # the parent: no allowance on their row
    {"birth_date": "2023-01-15", "resident": True},  # 3 years old
    {"birth_date": "2015-01-15", "resident": True},  # 11
    {"birth_date": "2012-01-15", "resident": True},  # 14
    {"birth_date": "2008-07-01", "resident": True},  # 17 in June, 18 on 1 July 2026
    {"birth_date": "2020-03-01", "resident": False},  # 6, lives abroad
]
STRUCTURE = {"family": [7] * 6, "role": ["parent", "child", "child", "child", "child", "child"]}


def test_family_allowance_by_age_band_is_revalued_on_1_july_2026():
    assert cents("family_allowance", FAMILY, JUNE_2026, **STRUCTURE) == [0, 11_000, 13_000, 15_000, 15_000, 0]
    # July: the new amounts; the child aged 18 on 1 July has no more allowance
    assert cents("family_allowance", FAMILY, JULY_2026, **STRUCTURE) == [0, 11_220, 13_260, 15_300, 0, 0]


def test_family_allowance_band_changes_on_the_first_month_starting_after_the_birthday():
    # Born 2 July 2020: 5 on 1 July 2026 (first band, 112.20), 6 on 1 August (second, 132.60)
    rows = [{"birth_date": "1985-01-01"}, {"birth_date": "2020-07-02", "resident": True}]
    structure = {"family": [1, 1], "role": ["parent", "child"]}
    assert cents("family_allowance", rows, JULY_2026, **structure) == [0, 11_220]
    assert cents("family_allowance", rows, Period(2026, 8), **structure) == [0, 13_260]


# Birth grant: 1,200.00 for each child born in the month, on the child's row, if a parent has 6
# months credited.


def test_birth_grant_is_paid_for_the_month_of_birth_with_a_parent_insured_six_months():
    rows = [
        {"birth_date": "1990-01-01", "insured_months": 5},
        {"birth_date": "1991-01-01", "insured_months": 6},
        {"birth_date": "2026-07-20"},
        {"birth_date": "2026-07-20"},  # twins: a grant each
        {"birth_date": "2024-02-01"},  # an older sibling
    ]
    structure = {"family": [1] * 5, "role": ["parent", "parent", "child", "child", "child"]}
    assert cents("birth_grant", rows, JULY_2026, **structure) == [0, 0, 120_000, 120_000, 0]
    assert cents("birth_grant", rows, Period(2026, 8), **structure) == [0, 0, 0, 0, 0]


def test_birth_grant_needs_a_parent_with_the_minimum_months():
    rows = [{"birth_date": "1990-01-01", "insured_months": 5}, {"birth_date": "2026-07-20"}]
    assert cents("birth_grant", rows, JULY_2026, family=[1, 1], role=["parent", "child"]) == [0, 0]


def test_marriage_grant_needs_twelve_months():
    rows = [
        {"marriage_date": "2026-07-04", "insured_months": 12},
        {"marriage_date": "2026-07-04", "insured_months": 11},
        {"marriage_date": "2026-06-30", "insured_months": 100},  # married the month before
    ]
    assert cents("marriage_grant", rows, JULY_2026, family=[1, 1, 2], role=["parent", "parent", "parent"]) == [
        50_000,
        0,
        0,
    ]


def test_funeral_grant_is_paid_on_the_death_of_an_insured_person():
    rows = [
        {"death_date": "2026-07-15", "insured_months": 1},
        {"death_date": "2026-07-15", "insured_months": 0},
        {"death_date": "2026-06-30", "insured_months": 300},
    ]
    assert cents("funeral_grant", rows, JULY_2026) == [180_000, 0, 0]
