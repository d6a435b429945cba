"""What the benefits app hands to pages and to other apps: frozen dataclasses, worded in the
reader's language when they are built (a page renders them as they are)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from core.periods import Period


@dataclass(frozen=True)
class ParameterInForce:
    """A dated parameter of a scheme as in force on the first day of a month."""

    path: str
    label: str
    value: Decimal | int
    display: str  # "65 ans", "1 234,56 €", "1,5 %"
    since: datetime.date
    reference: str


@dataclass(frozen=True)
class SchemeInfo:
    """A scheme's public page: who is entitled and the amounts in force for ``month``."""

    code: str
    slug: str
    title: str
    summary: str
    month: Period
    who: tuple[str, ...]
    documents: tuple[str, ...]
    decision_days: int
    periodicity: str
    monthly: bool
    legal_basis: str
    parameters: tuple[ParameterInForce, ...]
    # "in_force", "not_yet" (before its first day) or "ended" (after its last, for a scheme
    # composed for a while); a composed scheme's dates.
    state: str = "in_force"
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None


@dataclass(frozen=True)
class Reason:
    """One condition of a scheme, met or not, in words with the person's figures."""

    code: str
    met: bool
    text: str


@dataclass(frozen=True)
class EntitlementAnswer:
    """ "Am I entitled?" for one subject of a scheme (the person, or one of their children, or
    the spouse who died) and one month: the result, the amount and the reasons."""

    scheme: str
    month: Period
    about: str  # "" for the person themselves, else whom it is about ("Léa, born on …")
    eligible: bool
    amount: Decimal
    reasons: tuple[Reason, ...]
    notes: tuple[str, ...]  # what else helps: "You reach the pension age on 1 March 2031."
    rules_fingerprint: str


@dataclass(frozen=True)
class PensionAssumptions:
    """What the person assumes: the month they retire (the pension starts on its first day)
    and the gross yearly wage until then (0: no more work)."""

    retirement: Period
    future_yearly_wage: Decimal


@dataclass(frozen=True)
class EstimateMonth:
    month: Period
    age: int
    insured_months: int
    eligible: bool
    amount: Decimal


@dataclass(frozen=True)
class ComputationStep:
    label: str
    display: str


@dataclass(frozen=True)
class PensionEstimate:
    """The old-age pension estimated from the record and the assumptions: the month chosen and
    the months after it, and the computation of the month chosen explained."""

    assumptions: PensionAssumptions
    earliest: Period  # the first month the pension age is reached
    recorded_months: int
    projected_months: int
    last_recorded_year_wage: Decimal
    chosen: EstimateMonth
    months: tuple[EstimateMonth, ...]
    steps: tuple[ComputationStep, ...]
    reasons: tuple[Reason, ...]
    rules_fingerprint: str
