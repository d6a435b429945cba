"""What the rules read about a person: civil status and the contribution record (inputs), and
the few facts every scheme derives from them (age, alive)."""

from __future__ import annotations

import datetime
from typing import Any

from openfisca_core.periods import ETERNITY, MONTH, YEAR
from openfisca_core.variables import Variable

from benefits.rules.arithmetic import NEVER, Array, age_on
from benefits.rules.entities import Person

# Inputs — the services fill them from identity's and contributions' faces.


class birth_date(Variable):
    value_type = datetime.date
    entity = Person
    definition_period = ETERNITY
    label = "Date of birth (civil registry)"


class death_date(Variable):
    value_type = datetime.date
    default_value = NEVER
    entity = Person
    definition_period = ETERNITY
    label = "Date of death (civil registry); 9999-12-31 when alive"


class marriage_date(Variable):
    value_type = datetime.date
    default_value = NEVER
    entity = Person
    definition_period = ETERNITY
    label = "Date of the marriage to the other parent of the family; 9999-12-31 when not married"


class insured_months(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Months credited to the record before this month (worked, or assimilated: sickness, unemployment)"


class contributed(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "An employer declared this month with a wage, and paid its contributions"


class monthly_wage(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH
    label = "Wage declared for this month, all employers together"


class yearly_wage(Variable):
    value_type = float
    entity = Person
    definition_period = YEAR
    label = "Wages of this calendar year in the record, all employers together"


class resident(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Resides in the country this month (population register)"


class employment_end_date(Variable):
    value_type = datetime.date
    default_value = NEVER
    entity = Person
    definition_period = ETERNITY
    label = "Last day of the most recent employment; 9999-12-31 when still employed or never employed"


# Facts derived from the inputs.


class age(Variable):
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Age in completed years on the first day of the month"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return age_on(person("birth_date", period), period.start.date)


class alive(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Alive on the first day of the month (the month of death is paid in full)"

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("death_date", period) >= period.start.date
