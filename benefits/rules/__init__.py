"""benefits.rules — the rules as code (OpenFisca-core), private to the benefits app.

The rest of ``benefits`` calls:

- ``evaluate(scheme, population, month)`` — one scheme for N persons in one simulation;
- ``evaluate_months(scheme, population, months)`` — the same for several months, one simulation;
- ``explain(scheme, population, month, person=i)`` — one person's result with its reasons
  (conditions, intermediate values, parameters with their legal references);
- ``rules_version(scheme)`` — the fingerprint to store on a decision;
- ``add_composed_scheme(rules, description)`` — a scheme staff composed, from plain data;
- ``system()`` — the process's tax-benefit system; ``STATUTORY`` — the schemes of the Act.

The engine never touches the database: services read through selectors, hand arrays to it, and
store what it answered with ``rules_version``. YAML cases a lawyer can read are in ``tests/``.
"""

from benefits.rules.composition import add_composed_scheme, composed_scheme_check
from benefits.rules.engine import evaluate, evaluate_months, explain, rules_version
from benefits.rules.schemes import STATUTORY
from benefits.rules.system import system
from benefits.rules.types import (
    Condition,
    Evaluation,
    Explanation,
    Fact,
    Population,
    RulesInputError,
    RulesVersion,
    Scheme,
)

__all__ = [
    "STATUTORY",
    "Condition",
    "Evaluation",
    "Explanation",
    "Fact",
    "Population",
    "RulesInputError",
    "RulesVersion",
    "Scheme",
    "add_composed_scheme",
    "composed_scheme_check",
    "evaluate",
    "evaluate_months",
    "explain",
    "rules_version",
    "system",
]
