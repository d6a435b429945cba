"""An explanation gives codes and numbers a page or a letter turns into words; a version
identifies the rules a result came from."""

from __future__ import annotations

import datetime
import json
import shutil
from decimal import Decimal
from importlib.metadata import version

import numpy
import pytest

from benefits.claims.computation import explanation_data, explanation_forms
from benefits.rules import (
    STATUTORY,
    add_composed_scheme,
    engine,
    explain,
    explain_columns,
    explanation_at,
    mapped_values,
    rules_version,
    system,
)
from core.periods import Period
from tests.benefits.helpers import population
from tests.benefits.test_rules_composition import JOB_LOSS_SUPPORT, SEPTEMBER_2026, job_losers

JULY_2026 = Period(2026, 7)


def test_explains_an_old_age_pension_raised_to_the_minimum():
    # 180 months, 2025 wage 20,000 × 1.015 = 20,300.00; 0.225 × 20,300 / 12 = 380.625 → 380.63,
    # below the 2026 minimum: 680.00
    explanation = explain(
        "old_age_pension",
        population([{"birth_date": "1960-05-10", "insured_months": 180, "yearly_wage": {"2025": 20_000}}]),
        JULY_2026,
    )
    assert (explanation.amount, explanation.eligible) == (Decimal("680.00"), True)
    assert [(condition.code, condition.met) for condition in explanation.conditions] == [
        ("alive", True),
        ("old_age_pension_age_reached", True),
        ("old_age_pension_months_met", True),
    ]
    age = explanation.condition("old_age_pension_age_reached")
    assert [(fact.code, fact.kind, fact.value, fact.reference) for fact in age.inputs] == [
        ("age", "variable", 66, ""),
        ("old_age.pension_age", "parameter", 65, "SIA art. 21 §1"),
    ]
    assert explanation.detail("average_revalued_yearly_wage").value == Decimal("20300.0")
    assert explanation.detail("old_age_pension_rate").value == Decimal("0.225")
    assert explanation.detail("old_age_pension_computed_amount").value == Decimal("380.63")
    assert explanation.detail("old_age_pension_minimum_applied").value is True
    minimum = next(
        fact for fact in explanation.detail("old_age_pension_minimum_applied").inputs if fact.kind == "parameter"
    )
    # The reference of the value in force, not only the parameter's
    assert (minimum.code, minimum.period, minimum.value, minimum.reference) == (
        "old_age.minimum_monthly_amount",
        "2026-07-01",
        Decimal("680.0"),
        "Decree of 2 December 2025 on minimum and maximum pensions, art. 1",
    )
    assert explanation.computation.code == "old_age_pension"
    assert explanation.rules_version == rules_version()


def test_explains_the_revaluation_year_by_year():
    explanation = explain(
        "old_age_pension",
        population(
            [{"birth_date": "1960-05-10", "insured_months": 480, "yearly_wage": {"2025": 36_000, "2024": 30_000}}]
        ),
        JULY_2026,
    )
    average = explanation.detail("average_revalued_yearly_wage")
    wages = {fact.period: fact.value for fact in average.inputs if fact.code == "yearly_wage"}
    coefficients = {
        fact.period: fact.value for fact in average.inputs if fact.kind == "parameter" and "coefficient" in fact.code
    }
    assert (wages["2025"], wages["2024"], wages["1990"]) == (Decimal("36000.0"), Decimal("30000.0"), Decimal("0.0"))
    assert (coefficients["2026-01-01"], coefficients["2025-01-01"]) == (Decimal("1.015"), Decimal("1.02"))
    assert average.value == Decimal("33799.5")


def test_explains_which_survivor_condition_failed():
    deceased = {
        "birth_date": "1958-01-01",
        "death_date": "2026-03-10",
        "insured_months": 480,
        "yearly_wage": {"2025": 36_000},
    }
    widow = {"birth_date": "1981-03-11", "marriage_date": "2020-05-01"}
    explanation = explain(
        "survivor_pension",
        population([deceased, widow], family=[1, 1], role=["parent", "parent"]),
        Period(2026, 4),
        person=1,
    )
    assert (explanation.amount, explanation.eligible) == (Decimal("0.00"), False)
    assert {condition.code: condition.met for condition in explanation.conditions} == {
        "alive": True,
        "survivor_spouse_deceased": True,
        "survivor_marriage_long_enough": True,
        "survivor_old_enough": False,
        "survivor_deceased_pension_earned": True,
    }
    old_enough = explanation.condition("survivor_old_enough")
    assert [(fact.code, fact.value) for fact in old_enough.inputs] == [
        ("survivor_age_at_spouse_death", 44),
        ("survivor.minimum_age", 45),
    ]
    assert explanation.detail("spouse_death_date").value == datetime.date(2026, 3, 10)
    assert explanation.detail("survivor_marriage_months").value == 70


def test_rules_version_changes_with_a_parameter_file(tmp_path, monkeypatch):
    original = rules_version()
    assert original.fingerprint.startswith("sha256:") and original.openfisca_core == version("openfisca-core")
    copy = tmp_path / "rules"
    shutil.copytree(engine.RULES_DIRECTORY, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(engine, "RULES_DIRECTORY", copy)
    engine._baseline_version.cache_clear()
    try:
        assert rules_version() == original  # the same files, the same version
        (copy / "tests" / "old_age_pension.yaml").write_text("[]")
        engine._baseline_version.cache_clear()
        assert rules_version() == original  # the YAML tests decide nothing
        amount = copy / "parameters" / "funeral_grant" / "amount.yaml"
        amount.write_text(amount.read_text().replace("1800.0", "1850.0"))
        engine._baseline_version.cache_clear()
        assert rules_version().fingerprint != original.fingerprint
    finally:
        engine._baseline_version.cache_clear()


def test_an_unknown_person_is_refused():
    from benefits.rules import RulesInputError

    with pytest.raises(RulesInputError) as refused:
        explain("funeral_grant", population([{"insured_months": 1}]), JULY_2026, person=1)
    assert refused.value.code == "unknown_person"


# Three families of every shape the schemes read: a widow with an insured career and a child, a
# couple married long ago with two children (one abroad), a young single person born in the month.
MIXED_ROWS = [
    {"birth_date": "1958-03-10", "insured_months": 300, "yearly_wage": {"2024": 31_000, "2025": 32_500},
     "marriage_date": "1990-06-01", "resident": True},
    {"birth_date": "1956-01-20", "death_date": "2026-06-12", "insured_months": 420,
     "yearly_wage": {"2024": 45_000, "2025": 46_000}, "marriage_date": "1990-06-01", "resident": True},
    {"birth_date": "2026-07-04", "resident": True},
    {"birth_date": "1984-02-02", "insured_months": 14, "marriage_date": "2026-07-18", "resident": True},
    {"birth_date": "1986-09-09", "insured_months": 3, "marriage_date": "2026-07-18", "resident": True},
    {"birth_date": "2019-11-30", "resident": True},
    {"birth_date": "2012-05-05", "resident": False},
    {"birth_date": "2001-12-24", "insured_months": 60, "yearly_wage": {"2025": 18_000.55}, "resident": True},
]  # fmt: skip
MIXED_STRUCTURE = {
    "family": [1, 1, 1, 2, 2, 2, 2, 3],
    "role": ["parent", "parent", "child", "parent", "parent", "child", "child", "parent"],
}


@pytest.mark.parametrize("scheme", sorted(STATUTORY))
def test_explaining_many_persons_in_columns_gives_each_persons_own_explanation(scheme):
    """The columns' explanation of each person (one traced simulation of all) is the person's
    explanation in a simulation of their family alone, and its JSON text, written from one
    template, is ``explanation_data`` of it."""
    mixed = population(MIXED_ROWS, **MIXED_STRUCTURE)
    persons = [7, 0, 2, 5, 1, 3]  # in any order, across families
    explained = explain_columns(scheme, mixed, JULY_2026, persons=persons)
    texts = explanation_forms(explained, subject_indexes=[index % 3 for index in range(len(persons))]).texts()
    for position, person in enumerate(persons):
        family = MIXED_STRUCTURE["family"]
        rows = [row for row, number in enumerate(family) if number == family[person]]
        alone = explain(
            scheme,
            population(
                [MIXED_ROWS[row] for row in rows],
                family=[family[row] for row in rows],
                role=[MIXED_STRUCTURE["role"][row] for row in rows],
            ),
            JULY_2026,
            person=rows.index(person),
        )
        assert explanation_at(explained, position) == alone
        assert json.loads(texts[position]) == explanation_data(alone, subject_index=position % 3)
    assert len({text for text in texts}) > 1


def test_the_columns_of_a_composed_scheme_carry_its_limits_and_their_json():
    """A staff-composed scheme's limits are inputs of its conditions, in columns as one by one."""
    scheme = add_composed_scheme(system(), JOB_LOSS_SUPPORT)
    losers = job_losers()
    persons = [4, 0, 2, 1]
    explained = explain_columns(scheme, losers, SEPTEMBER_2026, persons=persons)
    texts = explanation_forms(explained, subject_indexes=[0] * len(persons)).texts()
    for position, person in enumerate(persons):
        one = explain(scheme, losers, SEPTEMBER_2026, person=person)
        assert explanation_at(explained, position) == one
        assert json.loads(texts[position]) == explanation_data(one, subject_index=0)
    limits = [fact.code for condition in one.conditions for fact in condition.inputs if fact.kind == "limit"]
    assert "minimum_months" in limits
    assert [explanation_at(explained, position).amount for position in range(4)] == [
        Decimal("0.00"),
        Decimal("1200.00"),
        Decimal("0.00"),
        Decimal("300.00"),
    ]


def test_distinct_values_are_converted_once_and_kept_apart_by_their_bits():
    calls = []

    def convert(value):
        calls.append(value)
        return str(value)

    values = numpy.array([0.0, -0.0, 1.5, 0.0, 1.5], dtype=numpy.float32)
    assert mapped_values(values, convert) == ["0.0", "-0.0", "1.5", "0.0", "1.5"]
    assert len(calls) == 3
    assert mapped_values(numpy.array([], dtype=numpy.int64), convert) == []
