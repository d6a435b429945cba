"""The variables of the rules, one module per scheme; ``ALL`` lists them for the system."""

from __future__ import annotations

from openfisca_core.variables import Variable

from benefits.rules.variables import (
    disability,
    family_allowance,
    grants,
    old_age,
    person,
    survivor,
)


def _variables_of(*modules: object) -> list[type[Variable]]:
    found = []
    for module in modules:
        for value in vars(module).values():
            defined_here = getattr(value, "__module__", None) == getattr(module, "__name__", None)
            if isinstance(value, type) and issubclass(value, Variable) and defined_here:
                found.append(value)
    return found


ALL: list[type[Variable]] = _variables_of(person, old_age, survivor, disability, grants, family_allowance)
