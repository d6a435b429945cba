"""The pension simulator: the old-age pension estimated from the real record and the person's
assumptions (the month they retire, their wage until then), for the month chosen and each of the
months after it, with the computation of the month chosen explained step by step.

One simulation of the engine computes every month (``evaluate_months``), and one more explains
the month chosen. The result is cached under the name of everything it is computed from: the
record's version, the person's dates, the rules' fingerprint, the assumptions and the language.
"""

from __future__ import annotations

import datetime
import hashlib
from decimal import ROUND_HALF_UP, Decimal

import numpy
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from benefits.inputs import Family, Member, population_of
from benefits.rules import Explanation, age_on, evaluate_months, explain, parameter_history, rules_version
from benefits.types import ComputationStep, EstimateMonth, PensionAssumptions, PensionEstimate
from benefits.wording import euros, months, percent, reasons, values_of, years
from contributions.selectors import contribution_record_version, insured_careers
from core.caching import Versioned
from core.periods import Period
from identity.selectors import person_get

# The months shown after the one chosen: two years of "and if I retire later?".
MONTHS_SHOWN = 24
# How far ahead a retirement may be simulated.
LONGEST_HORIZON_YEARS = 50
_CACHE_SECONDS = 3600


def _birthday(birth: datetime.date, age: int) -> datetime.date:
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:  # 29 February: the birthday is 1 March
        return datetime.date(birth.year + age, 3, 1)


def pension_age_month(birth: datetime.date, since: Period) -> Period:
    """The first month from ``since`` on whose first day the person has the pension age in force
    that day (the age changes by dated parameter: each value is tried over its own dates)."""
    # (from, age), the oldest first.
    values = [
        (value.since, int(value.value))
        for value in reversed(parameter_history("old_age.pension_age").values)
        if value.value is not None
    ]
    candidates = []
    for position, (start, age) in enumerate(values):
        birthday = _birthday(birth, age)
        month = Period.of(birthday) if birthday.day == 1 else Period.of(birthday).next()
        month = max(month, Period.of(start), since)
        following = values[position + 1][0] if position + 1 < len(values) else None
        if following is None or month.first_day < following:
            candidates.append(month)
    return min(candidates)


def _projected_wages(
    recorded: dict[int, Decimal], start: Period, last: Period, yearly_wage: Decimal
) -> dict[int, Decimal]:
    """The yearly wages, recorded then projected: ``yearly_wage`` a year, prorated by month, from
    ``start`` until the month before ``last``."""
    wages = dict(recorded)
    monthly = yearly_wage / 12
    if monthly <= 0:
        return wages
    month = start
    while month < last:
        wages[month.year] = wages.get(month.year, Decimal(0)) + monthly
        month = month.next()
    return wages


def estimate_source(
    *, person_id: int, assumptions: PensionAssumptions | None, today: datetime.date
) -> Versioned[PensionEstimate]:
    """The estimate named by everything it is computed from (two queries): the record's version,
    the person's dates, the rules' fingerprint, the assumptions, the language and the day. A
    page keys its rendered pieces on ``key``; ``load()`` computes it or reads it back."""
    person = person_get(person_id=person_id)
    version = contribution_record_version(person_id=person_id, today=today)
    named = "{}:{}:{}:{}:{}:{}:{}".format(
        version,
        person.birth_date,
        person.death_date,
        rules_version("old_age_pension").fingerprint,
        f"{assumptions.retirement}:{assumptions.future_yearly_wage}" if assumptions else "default",
        get_language(),
        today.isoformat(),
    )
    return Versioned(
        # A digest: the names are longer than a cache key may be.
        key=f"benefits:pension-estimate:{person_id}:{hashlib.sha256(named.encode()).hexdigest()[:40]}",
        compute=lambda: _compute(person_id=person_id, assumptions=assumptions, today=today),
        kind=PensionEstimate,
        seconds=_CACHE_SECONDS,
    )


def estimate(*, person_id: int, assumptions: PensionAssumptions | None, today: datetime.date) -> PensionEstimate:
    """The estimate (the caller checked who may read the file and recorded the read)."""
    return estimate_source(person_id=person_id, assumptions=assumptions, today=today).load()


def _compute(*, person_id: int, assumptions: PensionAssumptions | None, today: datetime.date) -> PensionEstimate:
    person = person_get(person_id=person_id)
    current = Period.of(today)
    career = insured_careers(person_ids=[person_id], until=current.previous()).get(person_id)
    recorded_wages = dict(career.wages_by_year) if career else {}
    recorded_months = career.insured_months if career else 0
    last_year_wage = recorded_wages.get(today.year - 1, Decimal(0))
    earliest = pension_age_month(person.birth_date, current)
    if assumptions is None:
        assumptions = PensionAssumptions(retirement=earliest, future_yearly_wage=last_year_wage)
    chosen = assumptions.retirement
    shown = chosen.through(chosen.shifted(MONTHS_SHOWN))
    wage = assumptions.future_yearly_wage
    # Work goes on from this month until the month before the pension starts.
    projected = {month: max(0, (month.year - current.year) * 12 + month.month - current.month) for month in shown}
    if wage <= 0:
        projected = dict.fromkeys(shown, 0)
    wages = _projected_wages(recorded_wages, current, shown[-1], wage)
    member = Member(person=person, role="parent", career=None)
    family = Family(members=(member,), marriage_started_on=None, spouse_index=None)
    extra = {
        "insured_months": {str(month): numpy.array([recorded_months + projected[month]]) for month in shown},
        "yearly_wage": {str(year): numpy.array([float(amount)]) for year, amount in sorted(wages.items())},
    }
    population = population_of(family, chosen, extra=extra)
    evaluations = evaluate_months("old_age_pension", population, shown)
    ages = age_on(
        numpy.full(len(shown), numpy.datetime64(person.birth_date, "D")),
        numpy.array([month.first_day for month in shown], dtype="datetime64[D]"),
    )
    rows = tuple(
        EstimateMonth(
            month=month,
            age=int(age),
            insured_months=recorded_months + projected[month],
            eligible=bool(evaluation.eligible[0]),
            amount=evaluation.amount(0),
        )
        for month, evaluation, age in zip(shown, evaluations, ages, strict=True)
    )
    explanation = explain("old_age_pension", population, chosen)
    return PensionEstimate(
        assumptions=assumptions,
        earliest=earliest,
        recorded_months=recorded_months,
        projected_months=projected[chosen],
        last_recorded_year_wage=last_year_wage,
        chosen=rows[0],
        months=rows,
        steps=_steps(explanation, recorded_months, projected[chosen]),
        reasons=reasons(explanation.conditions),
        rules_fingerprint=explanation.rules_version.fingerprint,
    )


def _last_revaluation_year() -> int:
    """The year of the last wage revaluation decreed: later years are revalued at its rate."""
    return parameter_history("old_age.wage_revaluation_coefficient").values[0].since.year


def _steps(explanation: Explanation, recorded: int, projected: int) -> tuple[ComputationStep, ...]:
    v = values_of((*explanation.details, explanation.computation))
    counted = min(int(v.get("insured_months", 0)), int(v.get("maximum_counted_months", 0) or 10**6))
    rate = Decimal(str(v.get("old_age_pension_rate", 0))).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    computed_amount = v.get("old_age_pension_computed_amount", Decimal(0))
    steps = [
        ComputationStep(
            _("Months credited"),
            _("%(total)s: %(recorded)s in your record, %(projected)s more until you retire")
            % {"total": months(recorded + projected), "recorded": months(recorded), "projected": months(projected)},
        ),
        ComputationStep(
            _("Average yearly wage, revalued"),
            _(
                "%(amount)s: each year's wage since %(first)s, revalued into the money of %(year)s (after %(known)s, "
                "at the last coefficient decreed)"
            )
            % {
                "amount": euros(v.get("average_revalued_yearly_wage", 0)),
                "first": v.get("first_wage_year", ""),
                "year": explanation.month.year,
                "known": _last_revaluation_year(),
            },
        ),
        ComputationStep(
            _("Rate"),
            _("%(rate)s: %(accrual)s for each of %(years)s of insurance counted (at most %(most)s)")
            % {
                "rate": percent(rate),
                "accrual": percent(Decimal(str(v.get("accrual_rate", 0)))),
                "years": years(counted // 12) if counted % 12 == 0 else months(counted),
                "most": months(int(v.get("maximum_counted_months", 0))),
            },
        ),
        ComputationStep(
            _("Monthly amount computed"),
            _("%(amount)s: the rate times the average wage, divided by 12") % {"amount": euros(computed_amount)},
        ),
    ]
    minimum, maximum = v.get("minimum_monthly_amount"), v.get("maximum_monthly_amount")
    if v.get("old_age_pension_minimum_applied"):
        bound = _("The minimum pension of %(amount)s applies.") % {"amount": euros(minimum or 0)}
    elif v.get("old_age_pension_maximum_applied"):
        bound = _("The maximum pension of %(amount)s applies.") % {"amount": euros(maximum or 0)}
    else:
        bound = _("Between the minimum (%(minimum)s) and the maximum (%(maximum)s): the computed amount applies.") % {
            "minimum": euros(minimum or 0),
            "maximum": euros(maximum or 0),
        }
    steps.append(ComputationStep(_("Minimum and maximum"), bound))
    steps.append(ComputationStep(_("Estimated monthly pension"), euros(explanation.amount)))
    return tuple(steps)
