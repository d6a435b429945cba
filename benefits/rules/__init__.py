"""benefits.rules — the rules as code (OpenFisca-core), private to the benefits app.

The rest of ``benefits`` calls:

- ``evaluate(scheme, population, month)`` — one scheme for N persons in one simulation;
- ``evaluate_months(scheme, population, months)`` — the same for several months, one simulation;
- ``explain(scheme, population, month, person=i)`` — one person's result with its reasons
  (conditions, intermediate values, parameters with their legal references);
- ``explain_each(scheme, population, month, persons=[i, j, …])`` — the same for many persons,
  from one simulation of the whole population;
- ``explain_columns(…)`` — the same in columns (one tree of facts, each variable's values for
  every person asked), for thousands of proposals; ``explanation_at(explained, k)`` reads one;
- ``mapped_values(array, convert)`` — a conversion per distinct value of a column;
- ``rules_version(scheme)`` — the fingerprint to store on a decision;
- ``parameter_history(path)`` — a parameter's dated values with their legal references;
- ``age_on(births, day)`` — completed years, as the formulas count them;
- ``add_composed_scheme(rules, description)`` — a scheme staff composed, from plain data;
- ``system()`` — the process's tax-benefit system; ``STATUTORY`` — the schemes of the Act.

The engine never touches the database: services read through selectors, hand arrays to it, and
store what it answered with ``rules_version``. YAML cases a lawyer can read are in ``tests/``.
"""

from benefits.rules.arithmetic import age_on
from benefits.rules.composition import add_composed_scheme, composed_scheme_check
from benefits.rules.engine import (
    evaluate,
    evaluate_months,
    explain,
    explain_columns,
    explain_each,
    explanation_at,
    mapped_values,
    parameter_history,
    plain_value,
    rules_version,
)
from benefits.rules.schemes import STATUTORY
from benefits.rules.system import system
from benefits.rules.types import (
    Condition,
    Evaluation,
    Explained,
    Explanation,
    Fact,
    FactColumn,
    ParameterHistory,
    ParameterValue,
    Population,
    RulesInputError,
    RulesVersion,
    Scheme,
)

__all__ = [
    "STATUTORY",
    "Condition",
    "Evaluation",
    "Explained",
    "Explanation",
    "Fact",
    "FactColumn",
    "ParameterHistory",
    "ParameterValue",
    "Population",
    "RulesInputError",
    "RulesVersion",
    "Scheme",
    "add_composed_scheme",
    "age_on",
    "composed_scheme_check",
    "evaluate",
    "evaluate_months",
    "explain",
    "explain_columns",
    "explain_each",
    "explanation_at",
    "mapped_values",
    "parameter_history",
    "plain_value",
    "rules_version",
    "system",
]
