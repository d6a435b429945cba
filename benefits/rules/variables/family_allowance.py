"""Family allowance (SIA title VI): for each child of a family living in the country, a monthly
amount by age band (ages in completed years on the first day of the month), until the end age."""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.periods import MONTH
from openfisca_core.variables import Variable

from benefits.rules.arithmetic import Array
from benefits.rules.entities import Family, Person


class family_allowance_child(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: a child of a family"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person.has_role(Family.CHILD)


class family_allowance_resident(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the child lives in the country this month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("resident", period)


class family_allowance_below_end_age(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the child is below the end age on the first day of the month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("age", period) < parameters(period).family_allowance.age_limit.end


class family_allowance_band(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Age band of the child: 1, 2 or 3"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        limits = parameters(period).family_allowance.age_limit
        age = person("age", period)
        return 1 + (age >= limits.second_band).astype(numpy.int32) + (age >= limits.third_band).astype(numpy.int32)


class family_allowance_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Every condition of the family allowance is met"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return (
            person("alive", period)
            & person("family_allowance_child", period)
            & person("family_allowance_resident", period)
            & person("family_allowance_below_end_age", period)
        )


class family_allowance(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Family allowance for the month, on the child's row"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        amounts = parameters(period).family_allowance.amount
        band = person("family_allowance_band", period)
        amount = numpy.select(
            [band == 1, band == 2, band == 3], [amounts.first_band, amounts.second_band, amounts.third_band]
        )
        return numpy.where(person("family_allowance_eligible", period), amount, 0.0)


class family_allowance_total(Variable):
    value_type = float
    entity = Family
    definition_period = MONTH
    label = "Family allowance of all the family's children for the month"

    def formula(family: Any, period: Any, parameters: Any) -> Array:
        return family.sum(family.members("family_allowance", period))
