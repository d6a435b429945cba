"""A claim computed by the engine: the claimant's family read from the registers today, the
month claimed, the inputs the case worker corrected (each with its reason) laid over them.

What the engine answered is kept on the decision as plain JSON (``explanation_json``): every
condition with the values it compared, every intermediate value and parameter with its legal
reference, the inputs of each member of the family, the corrections, the rules' fingerprint and
OpenFisca-core's version. ``conditions_of`` reads the conditions back, so that the reasons are
worded again in any language, years later, without computing anything.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy

from benefits import catalogue, composed
from benefits.inputs import Family, family_of, population_of
from benefits.models import ComposedScheme
from benefits.rules import (
    Condition,
    Explained,
    Explanation,
    Fact,
    FactColumn,
    Population,
    RulesVersion,
    explain,
    mapped_values,
    plain_value,
)
from contributions.selectors import contribution_record
from core.periods import Period
from identity.types import PersonSummary

# A value's slot in the JSON of many explanations (``explanation_forms``), once dumped.
_SLOT = re.compile(r'"\\u0000(\d+)\\u0000"')


class CorrectionRefused(ValueError):
    """A corrected input the engine cannot take (``code`` says why)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# The inputs a case worker may correct, and what they hold: a whole number, an amount, a date, a
# yes/no. A "by year" or "by month" input is corrected for one period.
CORRECTABLE: dict[str, str] = {
    "insured_months": "int",
    "yearly_wage": "amount_by_year",
    "birth_date": "date",
    "death_date": "date",
    "marriage_date": "date",
    "resident": "bool",
    "insured_months_before_onset": "int",
    "disability_onset_date": "date",
    "reference_monthly_wage": "amount",
    "monthly_wage": "amount_by_month",
    "employment_end_date": "date",
}


@dataclass(frozen=True)
class Computed:
    explanation: Explanation
    family: Family[PersonSummary]
    population: Population
    index: int  # the row of the family the benefit is computed on


def _extra(
    code: str, scheme: ComposedScheme | None, family: Family[PersonSummary], month: Period, today: datetime.date
) -> dict[str, Any]:
    """The inputs a scheme reads beyond the family's civil status and careers."""
    if scheme is not None:
        return composed.record_columns(family, month, today)
    if code == "disability_pension":
        months = family.members[0].career.insured_months if family.members[0].career else 0
        return {"insured_months_before_onset": numpy.array([months] + [0] * (len(family.members) - 1))}
    return {}


def _parse(kind: str, value: str) -> Any:
    text = value.strip()
    if kind == "int":
        if not text.isdigit() or int(text) > 1200:
            raise CorrectionRefused("value_invalid")
        return int(text)
    if kind.startswith("amount"):
        try:
            amount = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
        except InvalidOperation:
            raise CorrectionRefused("value_invalid") from None
        if not amount.is_finite() or amount < 0 or amount > Decimal("10000000"):
            raise CorrectionRefused("value_invalid")
        return float(amount)
    if kind == "date":
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            raise CorrectionRefused("value_invalid") from None
        if not datetime.date(1900, 1, 1) <= day <= datetime.date(2200, 12, 31):
            raise CorrectionRefused("value_invalid")
        return day.isoformat()
    if text not in ("yes", "no"):
        raise CorrectionRefused("value_invalid")
    return text == "yes"


def correction_check(*, input_name: str, period: str, value: str, members: int, member: int) -> tuple[str, Any]:
    """The period and value of a correction as the engine reads them (CorrectionRefused when it
    cannot)."""
    kind = CORRECTABLE.get(input_name)
    if kind is None:
        raise CorrectionRefused("input_unknown")
    if not 0 <= member < members:
        raise CorrectionRefused("member_unknown")
    if kind == "amount_by_year":
        if not (len(period) == 4 and period.isdigit() and 1900 <= int(period) <= 2200):
            raise CorrectionRefused("period_invalid")
    elif kind == "amount_by_month":
        try:
            period = str(Period.parse(period))
        except ValueError:
            raise CorrectionRefused("period_invalid") from None
    else:
        period = ""
    return period, _parse(kind, value)


def _apply(columns: dict[str, Any], corrections: Sequence[Mapping[str, Any]], count: int) -> None:
    for correction in corrections:
        name, member, period, value = (
            correction["input"],
            int(correction["member"]),
            correction.get("period", ""),
            correction["value"],
        )
        if member >= count:
            continue  # the family changed since (a member left it): nothing to correct
        kind = CORRECTABLE[name]
        if kind.endswith(("by_year", "by_month")):
            by_period = dict(columns.get(name) or {})
            column = numpy.array(by_period.get(period, numpy.zeros(count)), dtype=float, copy=True)
            column[member] = value
            by_period[period] = column
            columns[name] = by_period
            continue
        if kind == "date":
            column = numpy.array(columns.get(name, numpy.full(count, "9999-12-31")), dtype="datetime64[D]", copy=True)
            column[member] = numpy.datetime64(value, "D")
        elif kind == "bool":
            column = numpy.array(columns.get(name, numpy.zeros(count, dtype=bool)), dtype=bool, copy=True)
            column[member] = value
        else:
            column = numpy.array(columns.get(name, numpy.zeros(count, dtype=numpy.int64)), copy=True)
            column[member] = value
        columns[name] = column


def _reference_wages(columns: Mapping[str, Any], family: Family[PersonSummary], today: datetime.date) -> numpy.ndarray:
    """The claimant's average monthly wage of the twelve months before the onset the medical
    board gave (recorded by the case worker), from the contribution record; 0 without an onset."""
    wages = numpy.zeros(len(family.members))
    onsets = columns.get("disability_onset_date")
    if onsets is None:
        return wages
    onset = datetime.date.fromisoformat(str(numpy.asarray(onsets, dtype="datetime64[D]")[0]))
    if onset.year >= 9999:
        return wages
    first = Period.of(onset).shifted(-12)
    window = {str(period) for period in first.through(Period.of(onset).previous())}
    total = sum(
        (
            row.gross_wage
            for row in contribution_record(person_id=family.members[0].person.id, today=today).months
            if row.period in window and row.gross_wage is not None
        ),
        Decimal(0),
    )
    wages[0] = float(total / 12)
    return wages


def compute(
    *,
    scheme_code: str,
    scheme: ComposedScheme | None,
    person_id: int,
    subject_person_id: int,
    month: Period,
    today: datetime.date,
    corrections: Sequence[Mapping[str, Any]] = (),
) -> Computed:
    """The claim computed for ``month`` from the registers as they are on ``today``."""
    family = family_of(person_id=person_id, on=today, careers_until=Period.of(today).previous())
    index = 0
    if subject_person_id:
        index = next(
            (position for position, member in enumerate(family.members) if member.person.id == subject_person_id), 0
        )
    base = population_of(family, month, extra=_extra(scheme_code, scheme, family, month, today))
    columns = dict(base.columns)
    _apply(columns, corrections, len(family.members))
    if scheme_code == "disability_pension" and not any(c["input"] == "reference_monthly_wage" for c in corrections):
        columns["reference_monthly_wage"] = _reference_wages(columns, family, today)
    population = Population(columns=columns, family=base.family, role=base.role)
    engine = composed.engine_scheme(scheme) if scheme is not None else scheme_code
    return Computed(
        explanation=explain(engine, population, month, person=index), family=family, population=population, index=index
    )


def description_of(scheme_code: str) -> catalogue.SchemeDescription | None:
    return catalogue.BY_CODE.get(scheme_code)


# --- Kept on the decision as JSON -----------------------------------------------------------------


def _value_json(value: Any) -> dict[str, Any]:
    if isinstance(value, bool | numpy.bool_):
        return {"type": "bool", "value": bool(value)}
    if isinstance(value, int | numpy.integer):
        return {"type": "int", "value": int(value)}
    if isinstance(value, Decimal):
        return {"type": "decimal", "value": str(value)}
    if isinstance(value, datetime.date):
        return {"type": "date", "value": value.isoformat()}
    if isinstance(value, float | numpy.floating):
        return {"type": "decimal", "value": str(Decimal(str(float(value))))}
    return {"type": "text", "value": str(value)}


def _value_of(data: Mapping[str, Any]) -> Any:
    kind, value = data["type"], data["value"]
    if kind == "decimal":
        return Decimal(value)
    if kind == "date":
        return datetime.date.fromisoformat(value)
    return value


def fact_json(fact: Fact) -> dict[str, Any]:
    return {
        "code": fact.code,
        "kind": fact.kind,
        "period": fact.period,
        "value": _value_json(fact.value),
        "reference": fact.reference,
        "inputs": [fact_json(one) for one in fact.inputs],
    }


def fact_of(data: Mapping[str, Any]) -> Fact:
    return Fact(
        code=data["code"],
        kind=data["kind"],
        period=data["period"],
        value=_value_of(data["value"]),
        reference=data.get("reference", ""),
        inputs=tuple(fact_of(one) for one in data.get("inputs", ())),
    )


def _column_value(column: Any, index: int) -> Any:
    if isinstance(column, Mapping):
        return {period: _value_json(numpy.asarray(values)[index].item()) for period, values in sorted(column.items())}
    cell = numpy.asarray(column)[index]
    if isinstance(cell, numpy.datetime64):
        return _value_json(datetime.date.fromisoformat(str(cell)))
    return _value_json(cell.item() if hasattr(cell, "item") else cell)


def explanation_json(computed: Computed, *, corrections: Sequence[Any] = ()) -> dict[str, Any]:
    """Everything the decision was computed from and what the engine answered, as JSON."""
    columns = computed.population.columns
    members = [
        {
            "person_id": member.person.id,
            "name": member.person.full_name,
            "role": member.role,
            "inputs": {name: _column_value(column, index) for name, column in columns.items()},
        }
        for index, member in enumerate(computed.family.members)
    ]
    return explanation_data(
        computed.explanation, subject_index=computed.index, members=members, corrections=corrections
    )


def explanation_data(
    explanation: Explanation,
    *,
    subject_index: int,
    members: Sequence[Mapping[str, Any]] = (),
    corrections: Sequence[Any] = (),
) -> dict[str, Any]:
    """What the engine answered, as JSON: with the family's inputs (``members``) for a decision,
    without them for a proposal computed in a batch (its record's version names them)."""
    return _explanation_shape(
        scheme=explanation.scheme,
        month=explanation.month,
        amount=str(explanation.amount),
        eligible=explanation.eligible,
        subject_index=subject_index,
        members=list(members),
        corrections=list(corrections),
        conditions=[
            (condition.code, condition.met, [fact_json(fact) for fact in condition.inputs])
            for condition in explanation.conditions
        ],
        details=[fact_json(fact) for fact in explanation.details],
        computation=fact_json(explanation.computation),
        rules_version=explanation.rules_version,
    )


def _explanation_shape(
    *,
    scheme: str,
    month: Period,
    amount: Any,
    eligible: Any,
    subject_index: Any,
    members: list[Any],
    corrections: list[Any],
    conditions: list[tuple[str, Any, list[Any]]],
    details: list[Any],
    computation: Any,
    rules_version: RulesVersion,
) -> dict[str, Any]:
    """The JSON of an explanation (``explanation_data``), or its template with slots for the
    values that differ between persons (``explanation_forms``)."""
    return {
        "scheme": scheme,
        "month": str(month),
        "amount": amount,
        "eligible": eligible,
        "subject_index": subject_index,
        "members": members,
        "corrections": corrections,
        "conditions": [{"code": code, "met": met, "inputs": inputs} for code, met, inputs in conditions],
        "details": details,
        "computation": computation,
        "rules_version": {"fingerprint": rules_version.fingerprint, "openfisca_core": rules_version.openfisca_core},
    }


def _compact(value: Any) -> str:
    """JSON without the spaces (a batch writes megabytes of it; PostgreSQL keeps none)."""
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class ExplanationForms:
    """The explanations of many persons as one JSON ``form`` with a slot (``%s``; a literal ``%``
    doubled) for each value that differs between them, and each person's ``values`` (JSON
    texts): ``form % values`` is the person's ``explanation_data``."""

    form: str
    values: list[tuple[str, ...]]

    def texts(self) -> list[str]:
        return [self.form % row for row in self.values]


def explanation_forms(explained: Explained, *, subject_indexes: Sequence[int]) -> ExplanationForms:
    """``explanation_data`` of each person of ``explain_columns`` (without the family's inputs):
    the tree written once with a slot for each value that differs between persons, each column's
    values converted once per distinct value (a batch of births explains 100,000 proposals, whose
    explanations are kept as the form and each one's values)."""
    count = explained.count
    if len(subject_indexes) != count:
        raise ValueError("one subject index per person explained")
    slots: list[list[str]] = []
    slot_of: dict[int, str] = {}

    def slot(texts: list[str]) -> str:
        slots.append(texts)
        return f"\x00{len(slots) - 1}\x00"

    def value_slot(column: FactColumn) -> Any:
        if column.values is None:
            return _value_json(column.value)
        if id(column) not in slot_of:
            slot_of[id(column)] = slot(
                mapped_values(column.values, lambda value: _compact(_value_json(plain_value(value))))
            )
        return slot_of[id(column)]

    def fact_template(column: FactColumn) -> dict[str, Any]:
        return {
            "code": column.code,
            "kind": column.kind,
            "period": column.period,
            "value": value_slot(column),
            "reference": column.reference,
            "inputs": [fact_template(one) for one in column.inputs],
        }

    def met(column: FactColumn) -> Any:
        if column.values is None:
            return bool(column.value)
        return slot(mapped_values(column.values, lambda value: "true" if bool(plain_value(value)) else "false"))

    template = _explanation_shape(
        scheme=explained.scheme,
        month=explained.month,
        amount=slot([_compact(str(amount)) for amount in explained.amounts]),
        eligible=slot(mapped_values(explained.eligible, lambda value: "true" if value else "false")),
        subject_index=slot([str(int(index)) for index in subject_indexes]),
        members=[],
        corrections=[],
        conditions=[
            (column.code, met(column), [fact_template(one) for one in column.inputs]) for column in explained.conditions
        ],
        details=[fact_template(column) for column in explained.details],
        computation=fact_template(explained.computation),
        rules_version=explained.rules_version,
    )
    pieces = _SLOT.split(_compact(template))
    literals, order = pieces[0::2], [int(number) for number in pieces[1::2]]
    form = "%s".join(literal.replace("%", "%%") for literal in literals)
    values: list[tuple[str, ...]] = (
        list(zip(*(slots[number] for number in order), strict=True)) if order else [()] * count
    )
    return ExplanationForms(form=form, values=values)


def conditions_of(data: Mapping[str, Any]) -> tuple[Condition, ...]:
    return tuple(
        Condition(code=one["code"], met=one["met"], inputs=tuple(fact_of(fact) for fact in one["inputs"]))
        for one in data.get("conditions", ())
    )
