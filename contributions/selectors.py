"""Reads of the contributions app: the rates in force."""

from __future__ import annotations

import datetime

from django.db.models import Q

from contributions.models import ContributionRate
from contributions.types import Rate
from portal.core.periods import Period


def rates_in_force(*, on: datetime.date) -> list[Rate]:
    """Every rate in force on a day, ordered by category then branch, in one query."""
    rows = ContributionRate.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on), valid_from__lte=on
    ).order_by("worker_category", "branch")
    return [
        Rate(
            branch=row.branch,
            worker_category=row.worker_category,
            employee_rate=row.employee_rate,
            employer_rate=row.employer_rate,
            monthly_ceiling=row.monthly_ceiling,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
        )
        for row in rows
    ]


def rates_for_period(*, period: Period) -> list[Rate]:
    """The rates of a declaration period: those in force on its first day (rates change on the
    first of a month)."""
    return rates_in_force(on=period.first_day)
