"""The status page's figures, from the rows of ``ServiceMinute`` and ``DependencyCheck``, in
three queries whatever the volume.

Definitions (also written on the page):

- **Answered in under a second**: of the requests of a service that the portal's web processes
  measured over the window (from the moment a request reached the application to the moment
  its answer left it; the network is not counted), the share that took less than 1 s.
- **Availability**: of the minutes of the window since the measurements began, the share in
  which the service was available: the check run every minute reached everything the service
  needs (the database — the check is written there —, the cache, and for the services that queue
  work, the broker), and less than 5 % of the service's requests in that minute ended in a
  server error. A minute with no check (the check could not run or could not be written) counts
  as unavailable.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection

from portal.models import DependencyCheck
from portal.status.catalogue import BROKER, SERVICES
from portal.status.services import minute_start
from portal.status.types import DependencyState, ServiceFigures, Share, StatusReport, WindowFigures

WINDOWS = (
    ("day", datetime.timedelta(days=1)),
    ("week", datetime.timedelta(days=7)),
    ("month", datetime.timedelta(days=30)),
)
# A minute in which this share of a service's requests (or more) failed on the server is not
# available: 1 in 20.
SERVER_ERROR_SHARE_DENOMINATOR = 20
# The last check is "current" this long after its minute; older, the checks have stopped.
RECENT_CHECK = datetime.timedelta(minutes=3)

_CHECKS_SQL = """
SELECT (SELECT MIN(minute) FROM portal_dependencycheck),
       {columns}
FROM portal_dependencycheck
WHERE minute >= %(start)s AND minute < %(end)s
"""
_CHECK_COLUMNS = (
    "COUNT(*) FILTER (WHERE minute >= %({window})s AND cache_up), "
    "COUNT(*) FILTER (WHERE minute >= %({window})s AND cache_up AND broker_up)"
)

# Minutes in which the check found the service's dependencies up but its requests failed: they
# are taken off the minutes the checks count as available.
_SERVICES_SQL = """
SELECT m.service, {columns}
FROM portal_serviceminute m
LEFT JOIN portal_dependencycheck c ON c.minute = m.minute
WHERE m.minute >= %(start)s AND m.minute < %(end)s
GROUP BY m.service
"""
_SERVICE_COLUMNS = (
    "COALESCE(SUM(m.requests) FILTER (WHERE m.minute >= %({window})s), 0), "
    "COALESCE(SUM(m.fast) FILTER (WHERE m.minute >= %({window})s), 0), "
    "COUNT(*) FILTER (WHERE m.minute >= %({window})s AND m.server_errors > 0"
    " AND m.server_errors * %(denominator)s >= m.requests"
    " AND c.cache_up AND (c.broker_up OR NOT m.service = ANY(%(queueing)s)))"
)


def status_report(*, now: datetime.datetime) -> StatusReport:
    """The figures of every online service over the last 24 hours, 7 days and 30 days that
    ended at the start of ``now``'s minute, and the state of the last check."""
    end = minute_start(now)
    starts = {key: end - length for key, length in WINDOWS}
    parameters: dict[str, Any] = {
        "start": min(starts.values()),
        "end": end,
        "denominator": SERVER_ERROR_SHARE_DENOMINATOR,
        "queueing": [service.key for service in SERVICES if BROKER in service.needs],
        **starts,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            _CHECKS_SQL.format(columns=", ".join(_CHECK_COLUMNS.format(window=key) for key, _length in WINDOWS)),
            parameters,
        )
        first_check, *check_counts = cursor.fetchone()
        cursor.execute(
            _SERVICES_SQL.format(columns=", ".join(_SERVICE_COLUMNS.format(window=key) for key, _length in WINDOWS)),
            parameters,
        )
        by_service = {service: counts for service, *counts in cursor.fetchall()}
    latest = DependencyCheck.objects.order_by("-minute").first()

    windows = []
    for index, (key, _length) in enumerate(WINDOWS):
        start = starts[key]
        observed = 0 if first_check is None else max(0, int((end - max(start, first_check)).total_seconds() // 60))
        up_without_broker, up_with_broker = check_counts[2 * index], check_counts[2 * index + 1]
        figures = []
        for service in SERVICES:
            counts = by_service.get(service.key, [0] * (3 * len(WINDOWS)))
            requests, fast, failed_minutes = counts[3 * index : 3 * index + 3]
            up = up_with_broker if BROKER in service.needs else up_without_broker
            figures.append(
                ServiceFigures(
                    service=service.key,
                    fast=Share(part=int(fast), whole=int(requests)),
                    available=Share(part=max(0, up - failed_minutes), whole=observed),
                )
            )
        windows.append(WindowFigures(key=key, start=start, end=end, services=tuple(figures)))
    return StatusReport(
        computed_at=now,
        measured_since=first_check,
        windows=tuple(windows),
        state=_state(latest, now=now),
    )


def _state(latest: DependencyCheck | None, *, now: datetime.datetime) -> DependencyState:
    if latest is None:
        return DependencyState(None, False, None, None, None, None, None)
    if now - latest.minute >= RECENT_CHECK:
        return DependencyState(latest.checked_at, False, None, None, None, None, None)
    return DependencyState(
        checked_at=latest.checked_at,
        is_recent=True,
        cache_up=latest.cache_up,
        broker_up=latest.broker_up,
        work_on_time=latest.work_on_time,
        work_waiting=latest.work_waiting,
        oldest_work_seconds=latest.oldest_work_seconds,
    )
