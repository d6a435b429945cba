"""Disability pension (SIA title IV).

From the month of the onset of an incapacity recognised by the medical board, and until the
pension age (when the old-age pension takes over), a share of the reference monthly wage (the
average monthly wage of the twelve months before the onset, counted up to a ceiling), if the
record credits the minimum months before the onset.
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy
from openfisca_core.periods import ETERNITY, MONTH
from openfisca_core.variables import Variable

from benefits.rules.arithmetic import NEVER, Array, round_to_cents
from benefits.rules.entities import Person


class disability_onset_date(Variable):
    value_type = datetime.date
    default_value = NEVER
    entity = Person
    definition_period = ETERNITY
    label = "Onset of the incapacity recognised by the medical board; 9999-12-31 without one"


class insured_months_before_onset(Variable):
    value_type = int
    entity = Person
    definition_period = ETERNITY
    label = "Months credited to the record before the month of the onset"


class reference_monthly_wage(Variable):
    value_type = float
    entity = Person
    definition_period = ETERNITY
    label = "Average monthly wage of the twelve months before the onset"


class disability_recognised(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the incapacity began on or before the last day of the month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("disability_onset_date", period) <= numpy.datetime64(period.stop.date, "D")


class disability_months_met(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: at least the minimum months were credited before the onset"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        minimum = parameters(period).disability.minimum_insured_months_before_onset
        return person("insured_months_before_onset", period) >= minimum


class disability_below_pension_age(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the pension age is not reached (the old-age pension takes over)"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return numpy.logical_not(person("old_age_pension_age_reached", period))


class disability_counted_wage(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Reference monthly wage counted, up to the ceiling"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        wage = round_to_cents(person("reference_monthly_wage", period))
        return numpy.minimum(wage, parameters(period).disability.reference_wage_ceiling)


class disability_ceiling_applied(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "The reference wage is above the ceiling, which is counted instead"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        wage = round_to_cents(person("reference_monthly_wage", period))
        return wage > parameters(period).disability.reference_wage_ceiling


class disability_pension_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Every condition of the disability pension is met"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return (
            person("alive", period)
            & person("disability_recognised", period)
            & person("disability_months_met", period)
            & person("disability_below_pension_age", period)
        )


class disability_pension(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Disability pension for the month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        share = parameters(period).disability.share
        amount = round_to_cents(share * round_to_cents(person("disability_counted_wage", period)))
        return numpy.where(person("disability_pension_eligible", period), amount, 0.0)
