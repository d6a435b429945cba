"""Runs the rules' YAML cases (benefits/rules/tests, OpenFisca's test format) as pytest tests.

OpenFisca's own runner starts a nested pytest; this reads the same files and checks the same way
(``SimulationBuilder.build_from_dict`` and ``assert_near``) inside this session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.tools import assert_near

from benefits.rules import system

CASES_DIRECTORY = Path(__file__).resolve().parents[2] / "benefits" / "rules" / "tests"


def _cases() -> list[Any]:
    cases = []
    for path in sorted(CASES_DIRECTORY.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()):
            cases.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return cases


def _expectations(output: dict[str, Any], period: str, rules: Any) -> list[tuple[str, str, str | None, Any]]:
    """(variable, period, entity plural and instance or None, expected) for each expected value."""
    found = []

    def add(name: str, expected: Any, instance: tuple[str, str] | None) -> None:
        by_period = expected if isinstance(expected, dict) else {period: expected}
        for at, value in by_period.items():
            found.append((name, str(at), instance, value))

    for key, value in output.items():
        if key in rules.variables:
            add(key, value, None)
        else:
            for instance, variables in value.items():
                for name, expected in variables.items():
                    add(name, expected, (key, instance))
    return found


@pytest.mark.parametrize("case", _cases())
def test_yaml_case(case):
    rules = system()
    builder = SimulationBuilder()
    builder.set_default_period(str(case["period"]))
    simulation = builder.build_from_dict(rules, case["input"])
    margin = case.get("absolute_error_margin", 0)
    expectations = _expectations(case["output"], str(case["period"]), rules)
    assert expectations
    for name, period, instance, expected in expectations:
        values = simulation.calculate(name, period)
        if instance is not None:
            values = values[simulation.get_population(plural=instance[0]).get_index(instance[1])]
        assert_near(values, expected, absolute_error_margin=margin, message=f"{name}@{period}: ")
