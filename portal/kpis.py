"""The back office's performance indicators (for supervisors: the ``portal.view_kpis``
permission): declarations filed on time per channel, money received per month, reported
problems by age, notifications delivered and failed, bulk files processed and their time, and
the outcomes of proactive attribution per benefit (``ATTRIBUTION_DAYS``).

Aggregates only, read through the apps' selectors — a fixed number of queries whatever the
volume, naming no one, so reading them records nothing in anyone's trail.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils import timezone

from benefits.selectors import attribution_outcomes
from benefits.types import AttributionOutcome
from contributions.selectors import (
    bulk_processing,
    declaration_timeliness,
    discrepancy_ages,
    receipts_by_month,
)
from contributions.types import BulkProcessing, DiscrepancyAges, MonthlyReceipts
from core.periods import Period
from notifications.selectors import delivery_backlog, delivery_figures
from notifications.types import DeliveryBacklog, DeliveryFigures

DECLARATION_PERIODS = 6
RECEIPT_MONTHS = 12
SPANS_IN_DAYS = (7, 30)
ATTRIBUTION_DAYS = 90


def share_percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, rounded down to one decimal; None when ``whole`` is 0."""
    if whole == 0:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


@dataclass(frozen=True)
class Filings:
    """Declarations filed (first versions) and those on time, through one channel or all."""

    channel: str
    filed: int
    on_time: int

    @property
    def on_time_percent(self) -> Decimal | None:
        return share_percent(self.on_time, self.filed)


@dataclass(frozen=True)
class PeriodTimeliness:
    period: str
    due_on: datetime.date
    is_due: bool  # the due day has passed: what comes now is late
    channels: tuple[Filings, ...]  # form, API, file
    total: Filings


@dataclass(frozen=True)
class SpanFigures:
    """The last ``days`` days."""

    days: int
    deliveries: tuple[DeliveryFigures, ...]
    bulk: BulkProcessing


@dataclass(frozen=True)
class KpiFigures:
    computed_at: datetime.datetime
    declarations: tuple[PeriodTimeliness, ...]  # newest period first
    receipts: tuple[MonthlyReceipts, ...]  # newest month first
    discrepancies: DiscrepancyAges
    spans: tuple[SpanFigures, ...]
    outbox: DeliveryBacklog
    attribution: tuple[AttributionOutcome, ...]  # per benefit, over ATTRIBUTION_DAYS


def _months_back(latest: Period, count: int) -> list[Period]:
    """``count`` periods ending with ``latest``, newest first."""
    periods = [latest]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods


def kpi_figures(*, now: datetime.datetime) -> KpiFigures:
    """Every figure of the page, in eleven queries whatever the volume."""
    today = timezone.localdate(now)
    this_month = Period.of(today)
    declarations = []
    # The periods that ended, newest first: the latest one is being declared this month.
    for period in declaration_timeliness(periods=_months_back(this_month.previous(), DECLARATION_PERIODS)):
        channels = tuple(Filings(row.channel, row.filed, row.on_time) for row in period.channels)
        declarations.append(
            PeriodTimeliness(
                period=period.period,
                due_on=period.due_on,
                is_due=today > period.due_on,
                channels=channels,
                total=Filings("all", sum(row.filed for row in channels), sum(row.on_time for row in channels)),
            )
        )
    months = list(reversed(_months_back(this_month, RECEIPT_MONTHS)))
    return KpiFigures(
        computed_at=now,
        declarations=tuple(declarations),
        receipts=tuple(reversed(receipts_by_month(months=months))),
        discrepancies=discrepancy_ages(now=now),
        spans=tuple(
            SpanFigures(
                days=days,
                deliveries=tuple(delivery_figures(since=now - datetime.timedelta(days=days), until=now)),
                bulk=bulk_processing(since=now - datetime.timedelta(days=days), until=now),
            )
            for days in SPANS_IN_DAYS
        ),
        outbox=delivery_backlog(now=now),
        attribution=tuple(attribution_outcomes(since=now - datetime.timedelta(days=ATTRIBUTION_DAYS))),
    )
