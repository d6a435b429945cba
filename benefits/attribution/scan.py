"""Reaching the pension age: a daily, set-based scan of the whole registry proposes the old-age
pension ``ATTRIBUTION_PENSION_MONTHS_AHEAD`` months before it is due.

For each month from next month to that horizon, one query reads the persons alive whose pension
month (the first month on whose first day they have the pension age in force then) it is, and
who have no old-age pension proposed, granted or claimed; one query reads their insured careers;
one simulation of the rules engine computes all of them at once (``rules.evaluate``: arrays,
never a loop over people). The persons entitled are proposed in one insert (each right once: a
database constraint), to verify — a case worker verifies each, and the full computation with its
reasons is made for the person then (``proposals.proposal_explain``).

The **dry run** goes through the same steps and writes nothing: how many proposals and what
total amount the rule would create, per benefit and month.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy
from django.conf import settings
from django.db import connection
from django.utils import timezone

from benefits.attribution.rules import rule_of
from benefits.attribution.versions import data_versions
from benefits.attribution.writing import NewProposal, proposals_write
from benefits.inputs import NEVER
from benefits.models import ProposalStatus, ProposalTrigger
from benefits.registry_table import PERSON_TABLE
from benefits.rules import Population, evaluate, parameter_history, rules_version
from contributions.selectors import insured_careers
from core.periods import Period

SCHEME = "old_age_pension"
_PERSON = PERSON_TABLE

_CANDIDATES = f"""
SELECT p.id, p.birth_date, p.country
FROM {_PERSON} p
WHERE p.death_date IS NULL AND p.birth_date BETWEEN %(born_from)s AND %(born_until)s
  AND NOT EXISTS (SELECT 1 FROM benefits_proposal x WHERE x.person_id = p.id AND x.scheme = %(scheme)s)
  AND NOT EXISTS (SELECT 1 FROM benefits_entitlement e WHERE e.person_id = p.id AND e.scheme = %(scheme)s)
  AND NOT EXISTS (SELECT 1 FROM benefits_claim c WHERE c.person_id = p.id AND c.scheme = %(scheme)s
                  AND c.status NOT IN ('draft', 'withdrawn', 'refused'))
ORDER BY p.id
"""  # noqa: S608


@dataclass(frozen=True)
class ScanLine:
    """What the rule proposes (or would) for one benefit and month."""

    scheme: str
    month: Period
    proposals: int
    amount: Decimal


@dataclass(frozen=True)
class ScanResult:
    persons_read: int
    lines: tuple[ScanLine, ...]
    created: int

    @property
    def proposals(self) -> int:
        return sum(line.proposals for line in self.lines)

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _pension_age(month: Period) -> int | None:
    value = parameter_history("old_age.pension_age").in_force(month.first_day)
    return int(value.value) if value is not None and value.value is not None else None


@dataclass(frozen=True)
class _Month:
    month: Period
    person_ids: numpy.ndarray
    cents: numpy.ndarray
    eligible: numpy.ndarray
    conditions: dict[str, numpy.ndarray]
    fingerprint: str
    openfisca_core: str
    persons_read: int


def _months(today: datetime.date) -> list[Period]:
    first = Period.of(today).next()
    return first.through(Period.of(today).shifted(settings.ATTRIBUTION_PENSION_MONTHS_AHEAD))


def _evaluated(month: Period, today: datetime.date) -> _Month | None:
    """The persons whose pension month is ``month``, computed at once."""
    age = _pension_age(month)
    if age is None:
        return None
    # Their birthday (at that age) falls after the first day of the month before and at the
    # latest on this month's first day (then they have the age on it).
    born_from = _years_before(month.previous().first_day + datetime.timedelta(days=1), age)
    born_until = _years_before(month.first_day, age)
    with connection.cursor() as cursor:
        cursor.execute(_CANDIDATES, {"born_from": born_from, "born_until": born_until, "scheme": SCHEME})
        rows = cursor.fetchall()
    if not rows:
        return None
    ids = [row[0] for row in rows]
    careers = insured_careers(person_ids=ids, until=Period.of(today).previous())
    count = len(ids)
    years = sorted({year for career in careers.values() for year, _wage in career.wages_by_year})
    position = {person_id: index for index, person_id in enumerate(ids)}
    wages = {str(year): numpy.zeros(count) for year in years}
    months = numpy.zeros(count, dtype=numpy.int64)
    for person_id, career in careers.items():
        index = position[person_id]
        months[index] = career.insured_months
        for year, wage in career.wages_by_year:
            wages[str(year)][index] = float(wage)
    columns: dict[str, Any] = {
        "birth_date": numpy.array([row[1].isoformat() for row in rows], dtype="datetime64[D]"),
        "death_date": numpy.full(count, NEVER.isoformat(), dtype="datetime64[D]"),
        "marriage_date": numpy.full(count, NEVER.isoformat(), dtype="datetime64[D]"),
        "insured_months": months,
        "resident": numpy.array([row[2] == settings.COUNTRY_PROFILE for row in rows]),
    }
    if wages:
        columns["yearly_wage"] = wages
    evaluation = evaluate(SCHEME, Population(columns=columns), month)
    version = rules_version(SCHEME)
    return _Month(
        month=month,
        person_ids=numpy.array(ids, dtype=numpy.int64),
        cents=evaluation.cents,
        eligible=evaluation.eligible & (evaluation.cents > 0),
        conditions=dict(evaluation.conditions),
        fingerprint=version.fingerprint,
        openfisca_core=version.openfisca_core,
        persons_read=count,
    )


def _evaluations(today: datetime.date) -> Iterator[_Month]:
    for month in _months(today):
        evaluated = _evaluated(month, today)
        if evaluated is not None:
            yield evaluated


def _line(evaluated: _Month) -> ScanLine:
    """The month's proposals: those entitled, and their monthly amounts in total."""
    cents = evaluated.cents[evaluated.eligible]
    return ScanLine(SCHEME, evaluated.month, int(cents.size), Decimal(int(cents.sum())) / 100)


def pension_age_dry_run(*, now: datetime.datetime) -> ScanResult:
    """What the scan would propose today, per month: nothing is written."""
    today = timezone.localdate(now)
    lines, read = [], 0
    for evaluated in _evaluations(today):
        read += evaluated.persons_read
        lines.append(_line(evaluated))
    return ScanResult(persons_read=read, lines=tuple(lines), created=0)


def pension_age_scan(*, now: datetime.datetime) -> ScanResult:
    """Propose the old-age pension to every person reaching the pension age within the horizon
    (when staff switched the rule on). Safe to run twice: each right once."""
    rule = rule_of(trigger=ProposalTrigger.PENSION_AGE, scheme=SCHEME)
    if rule is None or not rule.enabled:
        return ScanResult(persons_read=0, lines=(), created=0)
    today = timezone.localdate(now)
    lines, read, created = [], 0, 0
    for evaluated in _evaluations(today):
        read += evaluated.persons_read
        chosen = numpy.flatnonzero(evaluated.eligible)
        names = list(evaluated.conditions)
        versions = data_versions(person_ids=[int(evaluated.person_ids[index]) for index in chosen], today=today)
        proposals = [
            NewProposal(
                person_id=int(evaluated.person_ids[index]),
                subject_id=None,
                scheme=SCHEME,
                periodicity="monthly",
                trigger=ProposalTrigger.PENSION_AGE,
                event_id=None,
                month=evaluated.month.first_day,
                amount=Decimal(int(evaluated.cents[index])) / 100,
                # The scan's result: the full computation, with its reasons, is made for the
                # person when the proposal is verified.
                computation=json.dumps(
                    {
                        "scheme": SCHEME,
                        "month": str(evaluated.month),
                        "amount": str(Decimal(int(evaluated.cents[index])) / 100),
                        "eligible": True,
                        "summary": True,
                        "conditions": {name: bool(evaluated.conditions[name][index]) for name in names},
                    }
                ),
                rules_fingerprint=evaluated.fingerprint,
                openfisca_core=evaluated.openfisca_core,
                data_version=versions[int(evaluated.person_ids[index])],
                status=ProposalStatus.TO_VERIFY,
                created_at=now,
            )
            for index in chosen
        ]
        created += len(proposals_write(proposals, today=today))
        lines.append(_line(evaluated))
    return ScanResult(persons_read=read, lines=tuple(lines), created=created)
