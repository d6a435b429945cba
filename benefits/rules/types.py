"""What the rules engine takes and gives: plain values, codes and numbers, no sentences — a page
or a decision letter turns the codes into words in the reader's language."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import numpy
import numpy.typing as npt

from core.periods import Period

# One column: an array with one cell per person, for the month computed (or for ever, for a
# date of birth), or arrays by period ("2025" for a yearly wage, "2026-05" for a month).
Column = npt.ArrayLike | Mapping[str, npt.ArrayLike]
Value = bool | int | Decimal | datetime.date


class RulesInputError(ValueError):
    """Inputs the engine cannot compute from; ``code`` says why, ``subject`` names what."""

    def __init__(self, code: str, subject: str = "") -> None:
        super().__init__(f"{code}: {subject}" if subject else code)
        self.code = code
        self.subject = subject


@dataclass(frozen=True)
class Population:
    """The inputs of N persons as columns keyed by input variable (``benefits.rules`` lists them).

    ``family`` gives each person's family (equal values: one family) and ``role`` their role in
    it, "parent" (at most two, spouses or partners) or "child". Without them each person is the
    only parent of a family of their own.
    """

    columns: Mapping[str, Column]
    family: npt.ArrayLike | None = None
    role: npt.ArrayLike | None = None

    @property
    def count(self) -> int:
        for column in self.columns.values():
            first = next(iter(column.values())) if isinstance(column, Mapping) else column
            return len(numpy.asarray(first))
        if self.family is not None:
            return len(numpy.asarray(self.family))
        raise RulesInputError("empty_population")


@dataclass(frozen=True)
class Scheme:
    """A scheme as the engine knows it: the variables of its amount, its eligibility, each of its
    conditions and the intermediate values worth showing."""

    code: str
    amount: str
    eligible: str
    conditions: tuple[str, ...]
    details: tuple[str, ...] = ()
    # For a composed scheme: the fingerprint of its description, and each condition's limits.
    description_fingerprint: str = ""
    limits: Mapping[str, tuple[tuple[str, Value], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RulesVersion:
    """What a decision stores to be recomputed later: a hash of the rules' code and parameter
    files (and of a composed scheme's description), and the OpenFisca-core version."""

    fingerprint: str
    openfisca_core: str


@dataclass(frozen=True)
class Evaluation:
    """One scheme for a whole population and month; arrays have one cell per person."""

    scheme: str
    month: Period
    cents: npt.NDArray[numpy.int64]
    eligible: npt.NDArray[numpy.bool_]
    conditions: Mapping[str, npt.NDArray[numpy.bool_]]
    rules_version: RulesVersion

    def amount(self, index: int) -> Decimal:
        return Decimal(int(self.cents[index])) / 100


FactKind = Literal["variable", "parameter", "limit"]


@dataclass(frozen=True)
class Fact:
    """A value the computation used: a variable (an input or a result), a dated parameter (with
    its legal reference), or a limit a staff-composed scheme set."""

    code: str
    kind: FactKind
    period: str
    value: Value
    reference: str = ""
    inputs: tuple[Fact, ...] = ()


@dataclass(frozen=True)
class Condition:
    code: str
    met: bool
    inputs: tuple[Fact, ...]


@dataclass(frozen=True)
class Explanation:
    """One person's result with its reasons: each condition with the values it compared, the
    scheme's intermediate values, and the whole computation of the amount."""

    scheme: str
    month: Period
    amount: Decimal
    eligible: bool
    conditions: tuple[Condition, ...]
    details: tuple[Fact, ...]
    computation: Fact
    rules_version: RulesVersion

    def condition(self, code: str) -> Condition:
        return next(condition for condition in self.conditions if condition.code == code)

    def detail(self, code: str) -> Fact:
        return next(fact for fact in self.details if fact.code == code)


@dataclass(frozen=True)
class FactColumn:
    """A fact for many persons at once (``explain_columns``): a variable's ``values``, one per
    person in the order asked, or a parameter's or limit's ``value``, the same for everyone."""

    code: str
    kind: FactKind
    period: str
    values: npt.NDArray[Any] | None
    value: Value | None = None
    reference: str = ""
    inputs: tuple[FactColumn, ...] = ()


@dataclass(frozen=True)
class Explained:
    """Many persons' results with their reasons, from one traced simulation: the formulas ran
    over arrays, so the tree of facts is the same for everyone and each variable in it holds one
    value per person. ``conditions``: each condition's fact (met: its value), with the limits a
    staff-composed scheme set among its inputs."""

    scheme: str
    month: Period
    amounts: tuple[Decimal, ...]
    eligible: npt.NDArray[numpy.bool_]
    conditions: tuple[FactColumn, ...]
    details: tuple[FactColumn, ...]
    computation: FactColumn
    rules_version: RulesVersion

    @property
    def count(self) -> int:
        return len(self.amounts)


@dataclass(frozen=True)
class ParameterValue:
    """One dated value of a parameter: from ``since``, with its legal reference."""

    since: datetime.date
    value: Decimal | int | None  # None: the parameter ended on ``since``
    reference: str


@dataclass(frozen=True)
class ParameterHistory:
    """A parameter's values, the newest first, and its unit ("year", "month", "currency-EUR", "/1")."""

    unit: str
    values: tuple[ParameterValue, ...]

    def in_force(self, day: datetime.date) -> ParameterValue | None:
        """The value in force on ``day``: None before the first, or once the parameter ended."""
        found = next((value for value in self.values if value.since <= day), None)
        return found if found is not None and found.value is not None else None
