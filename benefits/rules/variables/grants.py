"""Birth, marriage and funeral grants (SIA title V): flat amounts paid once, for the month of the
event, if the record credits the minimum months.

The birth grant is computed on the child's row (one grant per child born), from the most months
credited to one of its parents.
"""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.periods import MONTH
from openfisca_core.variables import Variable

from benefits.rules.arithmetic import Array
from benefits.rules.entities import Family, Person


def _in_month(dates: Array, period: Any) -> Array:
    return (dates >= numpy.datetime64(period.start.date, "D")) & (dates <= numpy.datetime64(period.stop.date, "D"))


# Birth grant


class born_in_month(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: a child of the family born this month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person.has_role(Family.CHILD) & _in_month(person("birth_date", period), period)


class parents_most_insured_months(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "The most months credited to one of the parents of the person's family"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person.family.max(person("insured_months", period), role=Family.PARENT)


class birth_grant_months_met(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: a parent has at least the minimum months credited"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        minimum = parameters(period).birth_grant.minimum_insured_months
        return person("parents_most_insured_months", period) >= minimum


class birth_grant_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Every condition of the birth grant is met"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("born_in_month", period) & person("birth_grant_months_met", period)


class birth_grant(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Birth grant, on the row of the child born"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return numpy.where(person("birth_grant_eligible", period), parameters(period).birth_grant.amount, 0.0)


# Marriage grant


class married_in_month(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the person married this month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return _in_month(person("marriage_date", period), period)


class marriage_grant_months_met(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: at least the minimum months are credited"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("insured_months", period) >= parameters(period).marriage_grant.minimum_insured_months


class marriage_grant_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Every condition of the marriage grant is met"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return (
            person("alive", period) & person("married_in_month", period) & person("marriage_grant_months_met", period)
        )


class marriage_grant(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Marriage grant, for each insured spouse"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return numpy.where(person("marriage_grant_eligible", period), parameters(period).marriage_grant.amount, 0.0)


# Funeral grant


class died_in_month(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the person died this month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return _in_month(person("death_date", period), period)


class funeral_grant_months_met(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the deceased had at least the minimum months credited"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("insured_months", period) >= parameters(period).funeral_grant.minimum_insured_months


class funeral_grant_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Every condition of the funeral grant is met"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("died_in_month", period) & person("funeral_grant_months_met", period)


class funeral_grant(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Funeral grant, on the row of the deceased (paid to whoever bore the costs)"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return numpy.where(person("funeral_grant_eligible", period), parameters(period).funeral_grant.amount, 0.0)
