"""Figures of contributions for the back office's performance indicators and the operators'
metrics: counts and sums over whole tables, each in one statement whatever the volume, naming
no one. ``selectors`` offers them to the portal."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from contributions.ledger import declaration_due_date
from contributions.models import Channel
from contributions.types import (
    BulkProcessing,
    ChannelFilings,
    DiscrepancyAges,
    MonthlyReceipts,
    PeriodFilings,
    WorkBacklog,
)
from core.periods import Period

_ZERO = Decimal("0.00")

# The first version of an (enterprise, period) is its filing; replacements come later by nature.
# A bulk file's declarations take their version (and their date) when the whole file is accepted.
_TIMELINESS_SQL = """
SELECT d.period, d.channel, COUNT(*),
       COUNT(*) FILTER (WHERE (d.submitted_at AT TIME ZONE %(tz)s)::date <= p.due_on)
FROM contributions_declaration d
JOIN unnest(%(periods)s::text[], %(due)s::date[]) AS p(period, due_on) ON p.period = d.period
WHERE d.version = 1 AND d.status <> 'pending'
GROUP BY d.period, d.channel
"""


def declaration_timeliness(*, periods: list[Period]) -> list[PeriodFilings]:
    """For each of these periods (in their order), the first declarations filed per channel and
    those filed by the due day, in one statement."""
    due_day = settings.DECLARATION_DUE_DAY
    due = {str(period): declaration_due_date(period=period, due_day=due_day) for period in periods}
    with connection.cursor() as cursor:
        cursor.execute(_TIMELINESS_SQL, {"tz": settings.TIME_ZONE, "periods": list(due), "due": list(due.values())})
        found = {(period, channel): (filed, on_time) for period, channel, filed, on_time in cursor.fetchall()}
    return [
        PeriodFilings(
            period=period,
            due_on=due_on,
            channels=tuple(
                ChannelFilings(
                    channel=channel,
                    filed=found.get((period, channel), (0, 0))[0],
                    on_time=found.get((period, channel), (0, 0))[1],
                )
                for channel in Channel.values
            ),
        )
        for period, due_on in due.items()
    ]


_RECEIPTS_SQL = """
SELECT month, kind, COUNT(*), SUM(amount) FROM (
    SELECT to_char(settled_at AT TIME ZONE %(tz)s, 'YYYY-MM') AS month, 'online' AS kind, amount
    FROM contributions_payment
    WHERE status = 'succeeded' AND settled_at >= %(since)s AND settled_at < %(until)s
    UNION ALL
    SELECT to_char(booking_date, 'YYYY-MM'), 'transfer', amount
    FROM contributions_banktransaction
    WHERE status IN ('matched', 'resolved') AND booking_date >= %(first_day)s AND booking_date < %(end_day)s
) received
GROUP BY month, kind
"""


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def receipts_by_month(*, months: list[Period]) -> list[MonthlyReceipts]:
    """Money received in each of these consecutive months (oldest first): online payments by the
    day they succeeded, bank transfers by their booking date, both credited to an account."""
    if not months:
        return []
    first_day, end_day = months[0].first_day, months[-1].next().first_day
    with connection.cursor() as cursor:
        cursor.execute(
            _RECEIPTS_SQL,
            {
                "tz": settings.TIME_ZONE,
                "since": _local_midnight(first_day),
                "until": _local_midnight(end_day),
                "first_day": first_day,
                "end_day": end_day,
            },
        )
        found = {(month, kind): (count, amount) for month, kind, count, amount in cursor.fetchall()}
    rows = []
    for period in months:
        online_count, online_amount = found.get((str(period), "online"), (0, _ZERO))
        transfer_count, transfer_amount = found.get((str(period), "transfer"), (0, _ZERO))
        rows.append(
            MonthlyReceipts(
                month=str(period),
                online_count=online_count,
                online_amount=online_amount,
                transfer_count=transfer_count,
                transfer_amount=transfer_amount,
            )
        )
    return rows


_DISCREPANCY_SQL = """
SELECT COUNT(*) FILTER (WHERE status <> 'closed' AND reported_at > %(week)s),
       COUNT(*) FILTER (WHERE status <> 'closed' AND reported_at <= %(week)s AND reported_at >= %(month)s),
       COUNT(*) FILTER (WHERE status <> 'closed' AND reported_at < %(month)s),
       COUNT(*) FILTER (WHERE status = 'closed' AND closed_at > %(month)s AND closed_at <= %(now)s)
FROM contributions_discrepancyreport
WHERE status <> 'closed' OR closed_at > %(month)s
"""


def discrepancy_ages(*, now: datetime.datetime) -> DiscrepancyAges:
    """Reported problems open for less than 7 days, 7 to 30 days, more than 30 days; and those
    handled in the 30 days before ``now``."""
    with connection.cursor() as cursor:
        cursor.execute(
            _DISCREPANCY_SQL,
            {"now": now, "week": now - datetime.timedelta(days=7), "month": now - datetime.timedelta(days=30)},
        )
        under_7, from_7_to_30, over_30, handled = cursor.fetchone()
    return DiscrepancyAges(
        open_under_7_days=under_7,
        open_7_to_30_days=from_7_to_30,
        open_over_30_days=over_30,
        handled_last_30_days=handled,
    )


_BULK_SQL = """
SELECT COUNT(*) FILTER (WHERE status = 'accepted'), COUNT(*) FILTER (WHERE status = 'rejected'),
       COALESCE(SUM(lines_total), 0),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM finished_at - created_at)),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM finished_at - created_at)),
       MAX(EXTRACT(EPOCH FROM finished_at - created_at))
FROM contributions_bulkupload
WHERE status IN ('accepted', 'rejected') AND finished_at >= %(since)s AND finished_at < %(until)s
"""


def bulk_processing(*, since: datetime.datetime, until: datetime.datetime) -> BulkProcessing:
    """Declaration files finished in [since, until), and how long each took from its receipt
    to its report."""
    with connection.cursor() as cursor:
        cursor.execute(_BULK_SQL, {"since": since, "until": until})
        accepted, rejected, lines, median, p95, longest = cursor.fetchone()
    return BulkProcessing(
        accepted=accepted,
        rejected=rejected,
        lines=int(lines),
        median_seconds=None if median is None else float(median),
        p95_seconds=None if p95 is None else float(p95),
        longest_seconds=None if longest is None else float(longest),
    )


# Each count reads a partial index of the unfinished rows (bulk_upload_unfinished_idx,
# bulk_chunk_pending_idx, statement_pending_idx, payment_pending_idx…), not the tables.
_BACKLOG_SQL = """
SELECT
  (SELECT COUNT(*) FROM contributions_bulkupload WHERE status IN ('received', 'processing')),
  (SELECT COUNT(*) FROM contributions_bulkchunk WHERE status = 'pending'),
  LEAST(
    (SELECT MIN(queued_at) FROM contributions_bulkchunk WHERE status = 'pending'),
    (SELECT MIN(queued_at) FROM contributions_bulkupload WHERE status = 'received')
  ),
  (SELECT COUNT(*) FROM contributions_statementrequest WHERE status = 'pending'),
  (SELECT MIN(queued_at) FROM contributions_statementrequest WHERE status = 'pending'),
  (SELECT COUNT(*) FROM contributions_payment WHERE status = 'pending'),
  (SELECT COUNT(*) FROM contributions_banktransaction WHERE status = 'unmatched'),
  (SELECT COUNT(*) FROM contributions_discrepancyreport WHERE status IN ('open', 'correction_received'))
"""


def work_backlog() -> WorkBacklog:
    """What contributions has not finished yet, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(_BACKLOG_SQL)
        uploads, chunks, bulk_oldest, statements, statements_oldest, payments, transfers, discrepancies = (
            cursor.fetchone()
        )
    return WorkBacklog(
        bulk_uploads_unfinished=uploads,
        bulk_chunks_pending=chunks,
        bulk_oldest_queued_at=bulk_oldest,
        statements_pending=statements,
        statements_oldest_queued_at=statements_oldest,
        payments_pending=payments,
        bank_transfers_to_handle=transfers,
        discrepancies_open=discrepancies,
    )
