"""Old-age pension (SIA title II).

From the first month on which the insured person has reached the pension age, with at least the
minimum credited months: 1.5 % a year of insurance (at most 40 years counted) of the average
yearly wage, each year's wage revalued into the current year's money year by year; the monthly
amount is then raised to the minimum or lowered to the maximum.
"""

from __future__ import annotations

from typing import Any

import numpy
from openfisca_core.periods import MONTH
from openfisca_core.periods import period as period_of
from openfisca_core.variables import Variable

from benefits.rules.arithmetic import Array, round_to_cents
from benefits.rules.entities import Person


class old_age_pension_age_reached(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: the pension age is reached on the first day of the month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("age", period) >= parameters(period).old_age.pension_age


class old_age_pension_months_met(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Condition: at least the minimum months are credited"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("insured_months", period) >= parameters(period).old_age.minimum_insured_months


class average_revalued_yearly_wage(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Average of the yearly wages since the first year counted, each revalued to this year (years with a wage)"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        first_year = parameters(period).old_age.first_wage_year
        # A career's sum exceeds what float32 (OpenFisca's float) holds to the cent: sum in float64.
        total = numpy.zeros(person.count, dtype=numpy.float64)
        years = numpy.zeros(person.count, dtype=numpy.int64)
        factor = 1.0
        for wage_year in range(period.start.year - 1, first_year - 1, -1):
            factor *= parameters(f"{wage_year + 1}-01-01").old_age.wage_revaluation_coefficient
            wage = person("yearly_wage", period_of(wage_year)).astype(numpy.float64)
            total += wage * factor
            years += wage > 0
        return numpy.where(years > 0, round_to_cents(total / numpy.maximum(years, 1)), 0.0)


class old_age_pension_rate(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Share of the average wage: the accrual rate for each year of insurance counted"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        old_age = parameters(period).old_age
        counted = numpy.minimum(person("insured_months", period), old_age.maximum_counted_months)
        return old_age.accrual_rate * counted / 12


class old_age_pension_computed_amount(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Monthly amount from the rate and the average wage, before the minimum and the maximum"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        # OpenFisca stores the rate in float32 (0.225 becomes 0.22499999…, and a half cent would be
        # rounded down): a rate has at most 6 decimals (0.015 × months / 12), float32 keeps 7 digits.
        rate = numpy.round(person("old_age_pension_rate", period).astype(numpy.float64), 6)
        average = round_to_cents(person("average_revalued_yearly_wage", period))
        return round_to_cents(rate * average / 12)


class old_age_pension_minimum_applied(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "The computed amount is below the minimum, which is paid instead"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        computed = round_to_cents(person("old_age_pension_computed_amount", period))
        return computed < parameters(period).old_age.minimum_monthly_amount


class old_age_pension_maximum_applied(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "The computed amount is above the maximum, which is paid instead"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        computed = round_to_cents(person("old_age_pension_computed_amount", period))
        return computed > parameters(period).old_age.maximum_monthly_amount


class old_age_pension_accrued(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Pension earned by the record, whatever the age (also the base of the survivor's pension)"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        old_age = parameters(period).old_age
        computed = round_to_cents(person("old_age_pension_computed_amount", period))
        bounded = numpy.clip(computed, old_age.minimum_monthly_amount, old_age.maximum_monthly_amount)
        return numpy.where(person("old_age_pension_months_met", period), bounded, 0.0)


class old_age_pension_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Every condition of the old-age pension is met"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return (
            person("alive", period)
            & person("old_age_pension_age_reached", period)
            & person("old_age_pension_months_met", period)
        )


class old_age_pension(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Old-age pension for the month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return numpy.where(
            person("old_age_pension_eligible", period), round_to_cents(person("old_age_pension_accrued", period)), 0.0
        )
