"""Schemes composed by staff at run time, from plain data (what a back-office form stores).

A description names conditions from a fixed vocabulary and one amount::

    {
        "code": "winter_support",
        "valid_from": "2026-11-01",             # optional "valid_until": "2027-03-31"
        "conditions": [
            {"kind": "age_range", "minimum": 18, "maximum": 64},
            {"kind": "contributed_months", "months": 6, "window": 12},
            {"kind": "employment_ended", "within_months": 3},
            {"kind": "residence"},
            {"kind": "parent_of_child_under", "age": 3},
        ],
        "amount": {"kind": "flat", "value": "150.00"},
        # or {"kind": "wage_based", "rate": "0.40", "months": 12, "minimum": "300", "maximum": "1200"}
    }

``add_composed_scheme`` turns it into OpenFisca variables of the system (one per condition, the
eligibility, the amount, dated from ``valid_from`` and ending on ``valid_until``) named after the
code and a hash of the description, so that a changed description is a new scheme version and the
variables of an older one stay as they were. The engine then evaluates and explains it as any
statutory scheme. Its numbers live in the description (stored and versioned by the back office),
not in the YAML parameters: they come back in an explanation as limits.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy
from openfisca_core.periods import MONTH
from openfisca_core.variables import Variable

from benefits.rules.arithmetic import Array, round_to_cents
from benefits.rules.entities import Family, Person
from benefits.rules.system import GuichetTaxBenefitSystem
from benefits.rules.types import RulesInputError, Scheme, Value

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_LONGEST_WINDOW = 120  # months: ten years of record is as far back as a condition may look
Formula = Callable[[Any, Any, Any], Array]


def _invalid(code: str, subject: str) -> RulesInputError:
    return RulesInputError(code, subject)


def _integer(data: Mapping[str, Any], key: str, *, minimum: int, maximum: int, required: bool = True) -> int | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise _invalid("invalid_number", key)
    return value


def _decimal(data: Mapping[str, Any], key: str, *, required: bool = True) -> Decimal | None:
    value = data.get(key)
    if value is None and not required:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _invalid("invalid_number", key) from None
    if not number.is_finite() or number < 0 or number > 100_000:
        raise _invalid("invalid_number", key)
    return number


def _date(data: Mapping[str, Any], key: str, *, required: bool) -> datetime.date | None:
    value = data.get(key)
    if value is None and not required:
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise _invalid("invalid_date", key) from None


# Conditions: each returns its formula and the limits an explanation shows.


def _age_range(data: Mapping[str, Any]) -> tuple[Formula, tuple[tuple[str, Value], ...]]:
    minimum = _integer(data, "minimum", minimum=0, maximum=130, required=False)
    maximum = _integer(data, "maximum", minimum=0, maximum=130, required=False)
    if minimum is None and maximum is None:
        raise _invalid("invalid_number", "minimum")
    low = 0 if minimum is None else minimum
    high = 130 if maximum is None else maximum

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        age = person("age", period)
        return (age >= low) & (age <= high)

    return formula, (("minimum_age", low), ("maximum_age", high))


def _contributed_months(data: Mapping[str, Any]) -> tuple[Formula, tuple[tuple[str, Value], ...]]:
    window = _integer(data, "window", minimum=1, maximum=_LONGEST_WINDOW)
    assert window is not None
    months = _integer(data, "months", minimum=1, maximum=window)

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        count = numpy.zeros(person.count, dtype=numpy.int32)
        for back in range(1, window + 1):
            count += person("contributed", period.offset(-back, MONTH))
        return count >= months

    return formula, (("minimum_months", months or 0), ("window_months", window))


def _employment_ended(data: Mapping[str, Any]) -> tuple[Formula, tuple[tuple[str, Value], ...]]:
    within = _integer(data, "within_months", minimum=0, maximum=_LONGEST_WINDOW)
    assert within is not None

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        ended = person("employment_end_date", period)
        earliest = numpy.datetime64(period.start.offset(-within, MONTH).date, "D")
        return (ended >= earliest) & (ended <= numpy.datetime64(period.stop.date, "D"))

    return formula, (("within_months", within),)


def _residence(data: Mapping[str, Any]) -> tuple[Formula, tuple[tuple[str, Value], ...]]:
    def formula(person: Any, period: Any, parameters: Any) -> Array:
        return person("resident", period)

    return formula, ()


def _parent_of_child_under(data: Mapping[str, Any]) -> tuple[Formula, tuple[tuple[str, Value], ...]]:
    age_limit = _integer(data, "age", minimum=1, maximum=30)

    def formula(person: Any, period: Any, parameters: Any) -> Array:
        young = person("age", period) < age_limit
        return person.has_role(Family.PARENT) & person.family.any(young, role=Family.CHILD)

    return formula, (("child_age_below", age_limit or 0),)


CONDITIONS: dict[str, Callable[[Mapping[str, Any]], tuple[Formula, tuple[tuple[str, Value], ...]]]] = {
    "age_range": _age_range,
    "contributed_months": _contributed_months,
    "employment_ended": _employment_ended,
    "residence": _residence,
    "parent_of_child_under": _parent_of_child_under,
}


def _amount(data: Mapping[str, Any]) -> tuple[Formula, tuple[tuple[str, Value], ...]]:
    kind = data.get("kind")
    if kind == "flat":
        value = _decimal(data, "value")
        assert value is not None
        flat = float(value)

        def flat_formula(person: Any, period: Any, parameters: Any) -> Array:
            return numpy.full(person.count, flat)

        return flat_formula, (("flat_amount", value),)
    if kind == "wage_based":
        rate = _decimal(data, "rate")
        months = _integer(data, "months", minimum=1, maximum=_LONGEST_WINDOW)
        minimum = _decimal(data, "minimum", required=False)
        maximum = _decimal(data, "maximum", required=False)
        assert rate is not None and months is not None
        if rate > 1 or (minimum is not None and maximum is not None and minimum > maximum):
            raise _invalid("invalid_number", "rate" if rate > 1 else "minimum")
        low = float(minimum) if minimum is not None else 0.0
        high = float(maximum) if maximum is not None else numpy.inf

        def wage_formula(person: Any, period: Any, parameters: Any) -> Array:
            total = numpy.zeros(person.count, dtype=numpy.float64)
            for back in range(1, months + 1):
                total += person("monthly_wage", period.offset(-back, MONTH))
            average = round_to_cents(total / months)
            return numpy.clip(round_to_cents(float(rate) * average), low, high)

        limits: tuple[tuple[str, Value], ...] = (("rate", rate), ("wage_months", months))
        limits += (("minimum_amount", minimum),) if minimum is not None else ()
        limits += (("maximum_amount", maximum),) if maximum is not None else ()
        return wage_formula, limits
    raise _invalid("unknown_amount", str(kind))


def description_fingerprint(description: Mapping[str, Any]) -> str:
    canonical = json.dumps(description, sort_keys=True, separators=(",", ":"), default=str)
    return f"sha256:{hashlib.sha256(canonical.encode()).hexdigest()}"


def _variable(name: str, value_type: type, label: str, formula: Formula, **dated: Any) -> type[Variable]:
    start: datetime.date | None = dated.get("start")
    attributes: dict[str, Any] = {
        "value_type": value_type,
        "entity": Person,
        "definition_period": MONTH,
        "label": label,
        f"formula_{start:%Y_%m_%d}" if start else "formula": formula,
    }
    if dated.get("end"):
        attributes["end"] = dated["end"].isoformat()
    return type(name, (Variable,), attributes)


def add_composed_scheme(rules: GuichetTaxBenefitSystem, description: Mapping[str, Any]) -> Scheme:
    """Check the description, add its variables to ``rules`` (once: adding it again finds them)
    and return the scheme to evaluate. Raises ``RulesInputError`` with the code of the fault."""
    variables, scheme = _compile(description)
    for variable in variables:
        if rules.variables.get(variable.__name__) is None:
            rules.add_variable(variable)
    return scheme


def composed_scheme_check(description: Mapping[str, Any]) -> None:
    """Raise ``RulesInputError`` if the description cannot be composed (a back-office form's
    check, which adds nothing to any system)."""
    _compile(description)


def _compile(description: Mapping[str, Any]) -> tuple[list[type[Variable]], Scheme]:
    code = description.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise _invalid("invalid_code", "code")
    valid_from = _date(description, "valid_from", required=True)
    valid_until = _date(description, "valid_until", required=False)
    if valid_until is not None and valid_from is not None and valid_until < valid_from:
        raise _invalid("invalid_date", "valid_until")
    raw_conditions = description.get("conditions")
    if not isinstance(raw_conditions, list) or not raw_conditions:
        raise _invalid("no_condition", "conditions")
    raw_amount = description.get("amount")
    if not isinstance(raw_amount, Mapping):
        raise _invalid("unknown_amount", "amount")

    fingerprint = description_fingerprint(description)
    prefix = f"composed_{code}_{fingerprint[7:15]}"
    conditions: list[tuple[str, Formula]] = []
    limits: dict[str, tuple[tuple[str, Value], ...]] = {}
    for position, raw in enumerate(raw_conditions, start=1):
        kind = raw.get("kind") if isinstance(raw, Mapping) else None
        if kind not in CONDITIONS:
            raise _invalid("unknown_condition", f"conditions[{position - 1}]")
        formula, condition_limits = CONDITIONS[kind](raw)
        name = f"{prefix}__{position}_{kind}"
        conditions.append((name, formula))
        limits[name] = condition_limits
    amount_formula, amount_limits = _amount(raw_amount)

    names = tuple(name for name, _ in conditions)
    eligible_name, amount_name = f"{prefix}__eligible", prefix

    def eligible_formula(person: Any, period: Any, parameters: Any) -> Array:
        met = person("alive", period)
        for name in names:
            met = met & person(name, period)
        return met

    def scheme_amount(person: Any, period: Any, parameters: Any) -> Array:
        amount = round_to_cents(person(f"{prefix}__base_amount", period))
        return numpy.where(person(eligible_name, period), amount, 0.0)

    dates = {"start": valid_from, "end": valid_until}
    variables = [
        *(_variable(name, bool, f"Condition of {code}", formula) for name, formula in conditions),
        _variable(f"{prefix}__base_amount", float, f"Amount of {code} before the conditions", amount_formula),
        _variable(eligible_name, bool, f"Every condition of {code} is met", eligible_formula, **dates),
        _variable(amount_name, float, f"{code} for the month", scheme_amount, **dates),
    ]
    return variables, Scheme(
        code=code,
        amount=amount_name,
        eligible=eligible_name,
        conditions=("alive", *names),
        details=(f"{prefix}__base_amount",),
        description_fingerprint=fingerprint,
        limits={**limits, f"{prefix}__base_amount": amount_limits},
    )
