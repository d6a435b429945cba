"""What the beat tasks of the status page do: copy the counted minutes from Redis to PostgreSQL,
record the check of the dependencies, forget old minutes. Each is safe to run twice."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.db import connection

from contributions.selectors import work_backlog
from notifications.selectors import delivery_backlog
from portal.models import DependencyCheck, ServiceMinute
from portal.status.counting import LOOKBACK_MINUTES, minutes_read
from portal.status.dependencies import broker_check, cache_check

# A minute's counts only grow while its hash lives in Redis, so the larger of the two numbers is
# the right one: copying again changes nothing, and a hash lost with a restarted Redis (then
# counted again from zero by late requests) never lowers what was copied. Rows that would not
# change are not written.
_UPSERT_SQL = """
INSERT INTO portal_serviceminute (service, minute, requests, fast, server_errors)
SELECT * FROM unnest(%(services)s::text[], %(minutes)s::timestamptz[], %(requests)s::int[], %(fast)s::int[],
                     %(errors)s::int[])
ON CONFLICT (minute, service) DO UPDATE SET
    requests = GREATEST(portal_serviceminute.requests, EXCLUDED.requests),
    fast = GREATEST(portal_serviceminute.fast, EXCLUDED.fast),
    server_errors = GREATEST(portal_serviceminute.server_errors, EXCLUDED.server_errors)
WHERE (portal_serviceminute.requests, portal_serviceminute.fast, portal_serviceminute.server_errors)
      IS DISTINCT FROM (GREATEST(portal_serviceminute.requests, EXCLUDED.requests),
                        GREATEST(portal_serviceminute.fast, EXCLUDED.fast),
                        GREATEST(portal_serviceminute.server_errors, EXCLUDED.server_errors))
"""


def minute_start(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(second=0, microsecond=0)


def service_minutes_flush(*, now: datetime.datetime) -> int:
    """Copy the counts of the minutes that ended in the last ``LOOKBACK_MINUTES`` from Redis to
    ``ServiceMinute`` rows (one statement); returns how many rows were written or changed."""
    current = int(minute_start(now).timestamp())
    found = minutes_read(minutes=[current - 60 * back for back in range(LOOKBACK_MINUTES, 0, -1)])
    rows = [
        (service, datetime.datetime.fromtimestamp(minute, tz=datetime.UTC), total, min(fast, total), min(errors, total))
        for minute, services in found.items()
        for service, (total, fast, errors) in services.items()
    ]
    if not rows:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT_SQL,
            {
                "services": [row[0] for row in rows],
                "minutes": [row[1] for row in rows],
                "requests": [row[2] for row in rows],
                "fast": [row[3] for row in rows],
                "errors": [row[4] for row in rows],
            },
        )
        return cursor.rowcount


def _answers(check: Callable[[], None]) -> bool:
    try:
        check()
    except Exception:  # noqa: BLE001 — any failure is "not reachable"
        return False
    return True


def dependency_check_record(*, now: datetime.datetime) -> DependencyCheck:
    """Check the cache, the broker and the background work, and record it as the check of the
    minute of ``now`` (written once: the database is up if it could be). A second run in the
    same minute replaces the first's result."""
    work = work_backlog()
    outbox = delivery_backlog(now=now)
    waiting_since = [
        moment
        for moment in (work.bulk_oldest_queued_at, work.statements_oldest_queued_at, outbox.oldest_due_at)
        if moment is not None
    ]
    oldest = int(max(0.0, (now - min(waiting_since)).total_seconds())) if waiting_since else None
    check = DependencyCheck(
        minute=minute_start(now),
        checked_at=now,
        cache_up=_answers(cache_check),
        broker_up=_answers(broker_check),
        work_waiting=work.bulk_chunks_pending + work.statements_pending + outbox.due,
        oldest_work_seconds=oldest,
        work_on_time=oldest is None or oldest <= settings.STATUS_WORK_LATE_AFTER_SECONDS,
    )
    DependencyCheck.objects.bulk_create(
        [check],
        update_conflicts=True,
        unique_fields=["minute"],
        update_fields=["checked_at", "cache_up", "broker_up", "work_waiting", "oldest_work_seconds", "work_on_time"],
    )
    return check


def status_purge(*, now: datetime.datetime) -> int:
    """Forget the minutes older than ``STATUS_KEEP_DAYS``; returns how many rows went."""
    oldest = minute_start(now) - datetime.timedelta(days=settings.STATUS_KEEP_DAYS)
    minutes, _by_model = ServiceMinute.objects.filter(minute__lt=oldest).delete()
    checks, _by_model = DependencyCheck.objects.filter(minute__lt=oldest).delete()
    return minutes + checks
