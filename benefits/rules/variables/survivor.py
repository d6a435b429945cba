"""Survivor's pension (SIA title III).

A parent of a family whose spouse (the other parent) has died receives a share of the pension the
deceased's record earned, if the marriage had lasted the minimum whole months on the day of the
death and the survivor had reached the minimum age that day; from the month after the death.
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy
from openfisca_core.periods import ETERNITY, MONTH
from openfisca_core.variables import Variable

from benefits.rules.arithmetic import NEVER, Array, age_on, round_to_cents, whole_months_between
from benefits.rules.entities import Family, Person


def _spouse_sum(person: Any, values: Array) -> Array:
    """The other parent's value, for a parent of a two-parent family (a family has at most two
    parents, so it is the parents' sum less one's own); 0 for anyone else."""
    return person.family.sum(values, role=Family.PARENT) - values


class has_spouse(Variable):
    value_type = bool
    entity = Person
    definition_period = ETERNITY
    label = "A parent of a family that has two parents"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person.has_role(Family.PARENT) & (person.family.nb_persons(Family.PARENT) == 2)


class spouse_death_date(Variable):
    value_type = datetime.date
    default_value = NEVER
    entity = Person
    definition_period = ETERNITY
    label = "The spouse's date of death; 9999-12-31 without a spouse, or with a living one"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        days = person("death_date", period).astype(numpy.int64)
        spouse_days = _spouse_sum(person, days).astype("datetime64[D]")
        return numpy.where(person("has_spouse", period), spouse_days, numpy.datetime64(NEVER, "D"))


class survivor_spouse_deceased(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the spouse died before this month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("spouse_death_date", period) < numpy.datetime64(period.start.date, "D")


class survivor_marriage_months(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Whole months of marriage on the day of the spouse's death"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        months = whole_months_between(person("marriage_date", period), person("spouse_death_date", period))
        return numpy.where(person("survivor_spouse_deceased", period), numpy.maximum(months, 0), 0)


class survivor_marriage_long_enough(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the marriage lasted the minimum whole months on the day of the death"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        months = person("survivor_marriage_months", period)
        return months >= parameters(period).survivor.minimum_marriage_months


class survivor_age_at_spouse_death(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "The survivor's age in completed years on the day of the spouse's death"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        age = age_on(person("birth_date", period), person("spouse_death_date", period))
        return numpy.where(person("survivor_spouse_deceased", period), age, 0)


class survivor_old_enough(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the survivor had reached the minimum age on the day of the death"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("survivor_age_at_spouse_death", period) >= parameters(period).survivor.minimum_age


class deceased_spouse_pension(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "The old-age pension earned by the deceased spouse's record"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        accrued = round_to_cents(person("old_age_pension_accrued", period))
        return numpy.where(person("survivor_spouse_deceased", period), _spouse_sum(person, accrued), 0.0)


class survivor_deceased_pension_earned(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the deceased spouse's record earned an old-age pension"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("deceased_spouse_pension", period) > 0


class survivor_pension_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Every condition of the survivor's pension is met"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return (
            person("alive", period)
            & person("survivor_spouse_deceased", period)
            & person("survivor_marriage_long_enough", period)
            & person("survivor_old_enough", period)
            & person("survivor_deceased_pension_earned", period)
        )


class survivor_pension(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Survivor's pension for the month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        share = parameters(period).survivor.share
        amount = round_to_cents(share * round_to_cents(person("deceased_spouse_pension", period)))
        return numpy.where(person("survivor_pension_eligible", period), amount, 0.0)
