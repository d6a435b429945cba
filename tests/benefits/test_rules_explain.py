"""An explanation gives codes and numbers a page or a letter turns into words; a version
identifies the rules a result came from."""

from __future__ import annotations

import datetime
import shutil
from decimal import Decimal
from importlib.metadata import version

import pytest

from benefits.rules import engine, explain, rules_version
from core.periods import Period
from tests.benefits.helpers import population

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
