"""A scheme composed by staff from plain data, added to the system and evaluated by the engine."""

from __future__ import annotations

from decimal import Decimal

import numpy
import pytest

from benefits.rules import Population, RulesInputError, add_composed_scheme, evaluate, explain, rules_version, system
from core.periods import Period

JOB_LOSS_SUPPORT = {
    "code": "job_loss_support",
    "valid_from": "2026-07-01",
    "valid_until": "2026-12-31",
    "conditions": [
        {"kind": "age_range", "minimum": 18, "maximum": 64},
        {"kind": "contributed_months", "months": 6, "window": 12},
        {"kind": "employment_ended", "within_months": 3},
        {"kind": "residence"},
    ],
    "amount": {"kind": "wage_based", "rate": "0.40", "months": 3, "minimum": "300.00", "maximum": "1200.00"},
}
SEPTEMBER_2026 = Period(2026, 9)


def job_losers() -> Population:
    """Five persons in September 2026; the 12 months before are September 2025 to August 2026."""
    contributed_months = numpy.array([12, 12, 5, 12, 12])  # the most recent months first
    months = [Period(2026, 8 - back) if back < 8 else Period(2025, 20 - back) for back in range(12)]
    contributed = {str(month): back < contributed_months for back, month in enumerate(months)}
    # The 3 months before: June, July, August 2026
    wages = numpy.array([3_500.0, 600.0, 2_000.0, 2_000.0, 2_000.0])
    return Population(
        columns={
            "birth_date": numpy.array(
                ["1980-01-01", "1990-01-01", "1985-01-01", "1961-08-01", "1980-01-01"], "datetime64[D]"
            ),
            "contributed": contributed,
            "monthly_wage": {month: wages for month in ("2026-06", "2026-07", "2026-08")},
            # Ended within the 3 months before September (on or after 1 June 2026), except the last
            "employment_end_date": numpy.array(
                ["2026-08-31", "2026-06-01", "2026-08-31", "2026-08-31", "2026-05-31"], "datetime64[D]"
            ),
            "resident": numpy.array([True] * 5),
        }
    )


def test_composes_a_scheme_and_evaluates_it_on_a_population():
    scheme = add_composed_scheme(system(), JOB_LOSS_SUPPORT)
    result = evaluate(scheme, job_losers(), SEPTEMBER_2026)
    # 1. 0.40 × 3,500 = 1,400 → the maximum, 1,200.00
    # 2. 0.40 × 600 = 240 → the minimum, 300.00
    # 3. 5 months contributed in the 12 before: no
    # 4. 65 on 1 August 2026: no
    # 5. employment ended on 31 May 2026, more than 3 months before September: no
    assert result.cents.tolist() == [120_000, 30_000, 0, 0, 0]
    assert result.scheme == "job_loss_support"
    conditions = dict(zip(scheme.conditions, result.conditions.values(), strict=True))
    assert [values.tolist() for values in conditions.values()] == [
        [True] * 5,  # alive
        [True, True, True, False, True],
        [True, True, False, True, True],
        [True, True, True, True, False],
        [True] * 5,
    ]


def test_a_composed_scheme_applies_only_between_its_dates():
    scheme = add_composed_scheme(system(), JOB_LOSS_SUPPORT)
    assert evaluate(scheme, job_losers(), Period(2026, 6)).cents.tolist() == [0] * 5
    assert evaluate(scheme, job_losers(), Period(2027, 1)).cents.tolist() == [0] * 5


def test_a_composed_scheme_is_explained_with_its_limits():
    scheme = add_composed_scheme(system(), JOB_LOSS_SUPPORT)
    explanation = explain(scheme, job_losers(), SEPTEMBER_2026, person=2)
    assert (explanation.amount, explanation.eligible) == (Decimal("0.00"), False)
    months = explanation.conditions[2]
    assert months.met is False
    assert [(fact.code, fact.kind, fact.value) for fact in months.inputs if fact.kind == "limit"] == [
        ("minimum_months", "limit", 6),
        ("window_months", "limit", 12),
    ]
    assert sum(fact.value for fact in months.inputs if fact.code == "contributed") == 5


def test_a_flat_scheme_for_parents_of_young_children():
    scheme = add_composed_scheme(
        system(),
        {
            "code": "childcare_bonus",
            "valid_from": "2026-01-01",
            "conditions": [{"kind": "parent_of_child_under", "age": 3}, {"kind": "residence"}],
            "amount": {"kind": "flat", "value": "75.50"},
        },
    )
    people = Population(
        columns={
            "birth_date": numpy.array(
                ["1990-01-01", "1991-01-01", "2024-01-01", "1988-01-01", "2020-01-01"], "datetime64[D]"
            ),
            "resident": numpy.array([True, False, True, True, True]),
        },
        family=numpy.array([1, 1, 1, 2, 2]),
        role=numpy.array(["parent", "parent", "child", "parent", "child"]),
    )
    # Family 1: a child of 2 (under 3): the resident parent is paid, not the one abroad nor the child.
    # Family 2: a child of 6.
    assert evaluate(scheme, people, Period(2026, 7)).cents.tolist() == [7_550, 0, 0, 0, 0]


def test_adding_a_description_again_finds_the_same_scheme_and_a_changed_one_is_a_new_version():
    first = add_composed_scheme(system(), JOB_LOSS_SUPPORT)
    again = add_composed_scheme(system(), dict(JOB_LOSS_SUPPORT))
    changed = add_composed_scheme(system(), {**JOB_LOSS_SUPPORT, "amount": {"kind": "flat", "value": "100"}})
    assert again == first
    assert changed.amount != first.amount
    assert rules_version(first) != rules_version(changed) != rules_version()
    assert evaluate(changed, job_losers(), SEPTEMBER_2026).cents.tolist() == [10_000, 10_000, 0, 0, 0]
    assert evaluate(first, job_losers(), SEPTEMBER_2026).cents.tolist() == [120_000, 30_000, 0, 0, 0]


@pytest.mark.parametrize(
    ("change", "code", "subject"),
    [
        ({"code": "Bad code"}, "invalid_code", "code"),
        ({"valid_from": "1 July"}, "invalid_date", "valid_from"),
        ({"valid_until": "2026-06-30"}, "invalid_date", "valid_until"),
        ({"conditions": []}, "no_condition", "conditions"),
        ({"conditions": [{"kind": "income_below"}]}, "unknown_condition", "conditions[0]"),
        ({"conditions": [{"kind": "contributed_months", "months": 13, "window": 12}]}, "invalid_number", "months"),
        ({"conditions": [{"kind": "age_range"}]}, "invalid_number", "minimum"),
        ({"amount": {"kind": "flat", "value": "-5"}}, "invalid_number", "value"),
        ({"amount": {"kind": "wage_based", "rate": "1.5", "months": 3}}, "invalid_number", "rate"),
        ({"amount": {"kind": "share"}}, "unknown_amount", "share"),
    ],
)
def test_refuses_a_faulty_description_and_adds_nothing(change, code, subject):
    rules = system()
    before = set(rules.variables)
    with pytest.raises(RulesInputError) as refused:
        add_composed_scheme(rules, {**JOB_LOSS_SUPPORT, **change})
    assert (refused.value.code, refused.value.subject) == (code, subject)
    assert set(rules.variables) == before
