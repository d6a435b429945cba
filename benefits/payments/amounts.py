"""The amounts of entitlements over time: the decision's, then each January's indexation by the
rate the rules engine holds for that day (``indexation.monthly_benefits``), recorded for each
entitlement with its rate and legal reference, in one statement for the whole population."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from benefits.models import AmountReason, Entitlement, EntitlementAmount, Periodicity
from benefits.rules import parameter_history

INDEXATION_PARAMETER = "indexation.monthly_benefits"


def indexation_rate(year: int) -> tuple[datetime.date, Decimal, str] | None:
    """The rate decreed for 1 January of ``year`` (its day, rate and reference), or None when
    no rate starts that day (a rate is applied once, on the day it starts)."""
    day = datetime.date(year, 1, 1)
    for value in parameter_history(INDEXATION_PARAMETER).values:
        if value.since == day and value.value is not None:
            return day, Decimal(value.value), value.reference
    return None


_INDEX = """
INSERT INTO benefits_entitlementamount (entitlement_id, since, amount, reason, rate, reference, recorded_at)
SELECT e.id, %(day)s, round(current.amount * (1 + %(rate)s), 2), %(reason)s, %(rate)s, %(reference)s, %(now)s
FROM benefits_entitlement e
CROSS JOIN LATERAL (
    SELECT a.amount FROM benefits_entitlementamount a
    WHERE a.entitlement_id = e.id AND a.since < %(day)s ORDER BY a.since DESC LIMIT 1
) AS current
WHERE e.periodicity = %(monthly)s AND e.state <> 'ended' AND e.ended_at IS NULL
  AND e.start_on < %(day)s AND (e.end_on IS NULL OR e.end_on >= %(day)s) {only}
ON CONFLICT (entitlement_id, since) DO NOTHING
"""


def indexation_apply(*, year: int, now: datetime.datetime, entitlement_ids: list[int] | None = None) -> int:
    """Index the monthly entitlements in payment on 1 January of ``year`` (all of them, or
    ``entitlement_ids``): each gets a new amount from that day, rounded half up to the cent.
    Safe to run twice (one amount per entitlement and day). Returns how many were indexed."""
    decreed = indexation_rate(year)
    if decreed is None:
        return 0
    day, rate, reference = decreed
    only = "AND e.id = ANY(%(ids)s)" if entitlement_ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            _INDEX.format(only=only),
            {
                "day": day,
                "rate": rate,
                "reason": AmountReason.INDEXATION,
                "reference": reference[:200],
                "now": now,
                "monthly": Periodicity.MONTHLY,
                "ids": entitlement_ids or [],
            },
        )
        return cursor.rowcount


def indexation_done(*, year: int) -> bool:
    return EntitlementAmount.objects.filter(since=datetime.date(year, 1, 1), reason=AmountReason.INDEXATION).exists()


def entitlement_amounts_open(entitlement: Entitlement, *, now: datetime.datetime) -> None:
    """An entitlement just opened: the decision's amount from its start, then the indexations
    decreed since (a decision that starts in an earlier year is paid indexed for the months of
    the later ones)."""
    EntitlementAmount.objects.create(
        entitlement=entitlement,
        since=entitlement.start_on,
        amount=entitlement.amount,
        reason=AmountReason.DECISION,
        recorded_at=now,
    )
    if entitlement.periodicity != Periodicity.MONTHLY:
        return
    for year in range(entitlement.start_on.year + 1, timezone.localdate(now).year + 1):
        indexation_apply(year=year, now=now, entitlement_ids=[entitlement.pk])
