"""Schemes staff composed in the back office: their public page and "am I entitled?", through the
same engine as the statutory schemes (``benefits.rules.add_composed_scheme``).

Their numbers live in the description (conditions and amount), not in YAML: the page shows them
as the scheme's parameters, in force from its first day, with the legal basis staff gave.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import numpy
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from benefits.inputs import Family, population_of
from benefits.models import ComposedScheme, Periodicity
from benefits.rules import Scheme, add_composed_scheme, explain, system
from benefits.types import EntitlementAnswer, ParameterInForce, SchemeInfo
from benefits.wording import euros, months, percent, reasons, years
from contributions.selectors import contribution_record, employment_list_for_person
from contributions.types import RecordStatus
from core.periods import Period
from identity.types import PersonSummary

# The statuses of a month of the record that count as contributed: declared with a wage, and
# paid, or not due yet (the employer still has until the due day), or owing nothing.
_CONTRIBUTED = frozenset({RecordStatus.PAID, RecordStatus.NOT_YET_DUE, RecordStatus.NOTHING_DUE})


def published(*, slug: str | None = None) -> list[ComposedScheme]:
    found = ComposedScheme.objects.filter(published=True).order_by("valid_from", "slug")
    return list(found.filter(slug=slug) if slug is not None else found)


def engine_scheme(scheme: ComposedScheme) -> Scheme:
    """The scheme as the engine evaluates it (its variables added to the process's system once
    per version of its description)."""
    return add_composed_scheme(system(), scheme.description())


def _french() -> bool:
    return (get_language() or "fr").startswith("fr")


def _limits(scheme: ComposedScheme) -> list[tuple[str, str, Decimal | int]]:
    """(label, display, value) of each number of the description, in its order."""
    found: list[tuple[str, str, Decimal | int]] = []
    for condition in scheme.conditions:
        kind = condition.get("kind")
        if kind == "age_range":
            if condition.get("minimum") is not None:
                found.append((_("Minimum age"), years(condition["minimum"]), condition["minimum"]))
            if condition.get("maximum") is not None:
                found.append((_("Maximum age"), years(condition["maximum"]), condition["maximum"]))
        elif kind == "contributed_months":
            found.append((_("Months contributed"), months(condition["months"]), condition["months"]))
            found.append((_("Within the last"), months(condition["window"]), condition["window"]))
        elif kind == "employment_ended":
            within = condition["within_months"]
            found.append((_("Employment ended within"), months(within), within))
        elif kind == "parent_of_child_under":
            found.append((_("Age of the child below"), years(condition["age"]), condition["age"]))
    amount = scheme.amount
    if amount.get("kind") == "flat":
        found.append((_("Amount"), euros(Decimal(str(amount["value"]))), Decimal(str(amount["value"]))))
    else:
        found.append((_("Share of the wage"), percent(Decimal(str(amount["rate"]))), Decimal(str(amount["rate"]))))
        found.append((_("Months of wage averaged"), months(amount["months"]), amount["months"]))
        for key, label in (("minimum", _("Minimum amount")), ("maximum", _("Maximum amount"))):
            if amount.get(key) is not None:
                found.append((label, euros(Decimal(str(amount[key]))), Decimal(str(amount[key]))))
    return found


def _who(scheme: ComposedScheme) -> tuple[str, ...]:
    sentences = []
    for condition in scheme.conditions:
        kind = condition.get("kind")
        if kind == "age_range":
            low, high = condition.get("minimum"), condition.get("maximum")
            if low is not None and high is not None:
                sentences.append(
                    _("Aged from %(low)s to %(high)s on the first day of the month.")
                    % {"low": years(low), "high": years(high)}
                )
            elif low is not None:
                sentences.append(_("Aged at least %(low)s on the first day of the month.") % {"low": years(low)})
            else:
                sentences.append(_("Aged at most %(high)s on the first day of the month.") % {"high": years(high)})
        elif kind == "contributed_months":
            sentences.append(
                _("At least %(minimum)s contributed in the %(window)s before the month.")
                % {"minimum": months(condition["months"]), "window": months(condition["window"])}
            )
        elif kind == "employment_ended":
            sentences.append(
                _("An employment ended in the %(within)s before the month, or during it.")
                % {"within": months(condition["within_months"])}
            )
        elif kind == "residence":
            sentences.append(_("Lives in the country."))
        elif kind == "parent_of_child_under":
            sentences.append(_("Parent of a child under %(age)s.") % {"age": years(condition["age"])})
    amount = scheme.amount
    monthly = scheme.periodicity == Periodicity.MONTHLY
    if amount.get("kind") == "flat":
        flat = euros(Decimal(str(amount["value"])))
        sentences.append(
            (_("The benefit is %(amount)s a month.") if monthly else _("The benefit is %(amount)s, paid once."))
            % {"amount": flat}
        )
    else:
        bounds = [
            text % {"amount": euros(Decimal(str(amount[key])))}
            for key, text in (("minimum", _("at least %(amount)s")), ("maximum", _("at most %(amount)s")))
            if amount.get(key) is not None
        ]
        sentence = (
            _(
                "The benefit is, each month, %(rate)s of the average monthly wage of the %(months)s before the month%(bounds)s."
            )
            if monthly
            else _(
                "The benefit is %(rate)s of the average monthly wage of the %(months)s before the month%(bounds)s, paid once."
            )
        )
        sentences.append(
            sentence
            % {
                "rate": percent(Decimal(str(amount["rate"]))),
                "months": months(amount["months"]),
                "bounds": "".join(f", {bound}" for bound in bounds),
            }
        )
    return tuple(sentences)


def scheme_state(scheme: ComposedScheme, month: Period) -> str:
    if month.last_day < scheme.valid_from:
        return "not_yet"
    if scheme.valid_until is not None and month.first_day > scheme.valid_until:
        return "ended"
    return "in_force"


def info(scheme: ComposedScheme, month: Period) -> SchemeInfo:
    state = scheme_state(scheme, month)
    french = _french()
    documents = scheme.documents_fr if french else scheme.documents_en
    return SchemeInfo(
        code=scheme.code,
        slug=scheme.slug,
        title=scheme.title_fr if french else scheme.title_en,
        summary=scheme.summary_fr if french else scheme.summary_en,
        month=month,
        who=_who(scheme) if state == "in_force" else (),
        documents=tuple(line.strip() for line in documents.splitlines() if line.strip()),
        decision_days=scheme.decision_days,
        periodicity=str(Periodicity(scheme.periodicity).label),
        monthly=scheme.periodicity == Periodicity.MONTHLY,
        legal_basis=scheme.legal_basis,
        parameters=tuple(
            ParameterInForce(
                path=f"{scheme.code}.{position}",
                label=label,
                value=value,
                display=display,
                since=scheme.valid_from,
                reference=scheme.legal_basis,
            )
            for position, (label, display, value) in enumerate(_limits(scheme))
        )
        if state == "in_force"
        else (),
        state=state,
        valid_from=scheme.valid_from,
        valid_until=scheme.valid_until,
    )


def record_columns(family: Family[PersonSummary], month: Period, today: datetime.date) -> dict[str, Any]:
    """The person's months contributed and monthly wages of the ten years before ``month``, their
    last employment's end (the other members of the family: none)."""
    person_id = family.members[0].person.id
    count = len(family.members)
    wages: dict[str, Decimal] = {}
    contributed: set[str] = set()
    for row in contribution_record(person_id=person_id, today=today).months:
        if row.gross_wage is not None and row.gross_wage > 0:
            wages[row.period] = wages.get(row.period, Decimal(0)) + row.gross_wage
            if row.status in _CONTRIBUTED:
                contributed.add(row.period)
    periods = [str(month.shifted(-back)) for back in range(1, 121)]

    def column(value: float | bool) -> numpy.ndarray:
        return numpy.array([value] + [type(value)()] * (count - 1))

    employments = [row for row in employment_list_for_person(person_id=person_id) if not row.cancelled]
    ended = [row.end_date for row in employments if row.end_date is not None]
    open_employment = any(row.end_date is None for row in employments)
    end = "9999-12-31" if open_employment or not ended else max(ended).isoformat()
    return {
        "contributed": {period: column(period in contributed) for period in periods},
        "monthly_wage": {period: column(float(wages.get(period, 0))) for period in periods},
        "employment_end_date": numpy.array([end] + ["9999-12-31"] * (count - 1), dtype="datetime64[D]"),
    }


def answer(scheme: ComposedScheme, family: Family[PersonSummary], today: datetime.date) -> EntitlementAnswer:
    """ "Am I entitled?" to a composed scheme this month, from the person's file."""
    month = Period.of(today)
    engine = engine_scheme(scheme)
    population = population_of(family, month, extra=record_columns(family, month, today))
    explanation = explain(engine, population, month, person=0)
    notes: tuple[str, ...] = ()
    state = scheme_state(scheme, month)
    if state != "in_force":
        notes = (_("This benefit is not in force this month."),)
    return EntitlementAnswer(
        scheme=scheme.code,
        month=month,
        about="",
        eligible=explanation.eligible,
        amount=explanation.amount,
        reasons=reasons(explanation.conditions),
        notes=notes,
        rules_fingerprint=explanation.rules_version.fingerprint,
    )
