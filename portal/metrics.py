"""Metrics in the Prometheus format, for the operators: served on ``/internal/metrics`` to a
bearer of ``METRICS_TOKEN`` (see ``portal.views.internal_metrics``).

- Requests: ``guichet_http_request_duration_seconds{route, method, status}``, a histogram by the
  URL pattern's name (never the path, which carries identifiers), observed by
  ``portal.middleware.RequestMeasureMiddleware``.
- Celery: ``guichet_celery_task_duration_seconds{task, queue}`` and
  ``guichet_celery_task_failures_total{task, queue}`` (and retries), observed in the workers by
  the signal receivers of ``portal.celery``.
- Read when scraped, from Redis and PostgreSQL: the length of each Celery queue, the notification
  outbox, bulk chunks and statements waiting, payments pending, transfers and reported problems
  waiting for staff, and whether the database, the cache and the broker answer.

Several processes (gunicorn's workers, Celery's prefork pool) each count their own: with
``PROMETHEUS_MULTIPROC_DIR`` set, every process writes its counters and histograms to files in
that directory and the endpoint adds them up (prometheus-client's multiprocess mode). The files
are named by host and process id, so that containers sharing the directory (docker-compose's
``metrics`` volume) never write the same file. Empty the directory before the processes start
(``manage.py serve`` does; so does ``manage.py metrics_reset``, docker-compose's ``migrate``
step): the files of processes that ended stay counted until then, as Prometheus counters
should. Without the variable (tests, a
single process), each process counts in memory.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from contributions.types import WorkBacklog
    from notifications.types import DeliveryBacklog

logger = logging.getLogger(__name__)

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# File names are <kind>_<identifier>.db and the library splits them on "_".
_HOST = socket.gethostname().replace("_", "-")

# The published target is an answer in under a second: 1 is a bucket boundary.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
# Anything else a client sends is one label value, so that it cannot make series without end.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUEST_SECONDS = Histogram(
    "guichet_http_request_duration_seconds",
    "Time to answer a request, by route (URL pattern name), method and status.",
    ["route", "method", "status"],
    buckets=REQUEST_BUCKETS,
)
TASK_SECONDS = Histogram(
    "guichet_celery_task_duration_seconds",
    "Time a Celery task ran, by task name and queue.",
    ["task", "queue"],
    buckets=TASK_BUCKETS,
)
TASK_FAILURES = Counter(
    "guichet_celery_task_failures_total",
    "Celery tasks that raised, by task name and queue.",
    ["task", "queue"],
)
TASK_RETRIES = Counter(
    "guichet_celery_task_retries_total",
    "Celery tasks that asked to be retried, by task name and queue.",
    ["task", "queue"],
)


def _process_identifier() -> str:
    return f"{_HOST}-{os.getpid()}"


def _files_if_configured() -> None:
    directory = os.environ.get(MULTIPROCESS_VARIABLE)
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        # Values created from now on (a label set's first use) live in this process's files.
        values.ValueClass = values.MultiProcessValue(process_identifier=_process_identifier)


_files_if_configured()


def multiprocess_start(directory: Path) -> None:
    """Count in files under ``directory`` from now on, in this process and the processes it
    starts, after removing the files of earlier runs (for ``manage.py serve`` and a fresh
    stack: call it before any other process of the run writes there)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_VARIABLE] = str(directory)
    _files_if_configured()


def request_observe(*, route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUEST_SECONDS.labels(route, method if method in _METHODS else "other", str(status)).observe(seconds)


def task_observe(*, task: str, queue: str, seconds: float) -> None:
    TASK_SECONDS.labels(task, queue).observe(seconds)


def task_failure_count(*, task: str, queue: str) -> None:
    TASK_FAILURES.labels(task, queue).inc()


def task_retry_count(*, task: str, queue: str) -> None:
    TASK_RETRIES.labels(task, queue).inc()


class _ReadWhenScraped(Collector):
    """Gauges read from Redis and PostgreSQL at each scrape: the same answer whichever process
    is asked, so they are never written to files."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        # Imported here: portal.celery imports this module while the Celery app is made, before
        # Django's apps (and their models) are loaded.
        from contributions.selectors import work_backlog
        from notifications.selectors import delivery_backlog
        from portal.status.dependencies import dependencies_check, queue_lengths

        up = GaugeMetricFamily(
            "guichet_dependency_up", "Whether a dependency answers (1) or not (0).", labels=["dependency"]
        )
        states = dependencies_check()
        for name, state in states.items():
            up.add_metric([name], 1.0 if state else 0.0)
        yield up
        if states["broker"]:
            try:
                lengths = queue_lengths()
            except Exception:
                logger.warning("queue lengths unreadable", exc_info=True)
            else:
                queues = GaugeMetricFamily(
                    "guichet_celery_queue_length", "Messages waiting in a Celery queue (Redis list).", labels=["queue"]
                )
                for queue, length in lengths.items():
                    queues.add_metric([queue], length)
                yield queues
        if not states["database"]:
            return
        yield from self._backlogs(work_backlog(), delivery_backlog(now=self.now))

    def _backlogs(self, work: WorkBacklog, outbox: DeliveryBacklog) -> Iterator[Metric]:
        deliveries = GaugeMetricFamily(
            "guichet_notification_deliveries",
            "Deliveries of the notification outbox not sent yet, by status (failed: for good, until staff send them again).",
            labels=["status"],
        )
        for status, count in (
            ("pending", outbox.pending),
            ("retry", outbox.retrying),
            ("sending", outbox.sending),
            ("failed", outbox.failed),
        ):
            deliveries.add_metric([status], count)
        yield deliveries
        yield GaugeMetricFamily(
            "guichet_notification_deliveries_due", "Deliveries whose attempt is due now.", value=outbox.due
        )
        yield _age(
            "guichet_notification_oldest_due_seconds",
            "Since when the oldest due delivery is due.",
            outbox.oldest_due_at,
            self.now,
        )
        yield GaugeMetricFamily(
            "guichet_bulk_uploads_unfinished",
            "Declaration files received and not finished.",
            value=work.bulk_uploads_unfinished,
        )
        yield GaugeMetricFamily(
            "guichet_bulk_chunks_pending",
            "Chunks of declaration files not processed yet.",
            value=work.bulk_chunks_pending,
        )
        yield _age(
            "guichet_bulk_oldest_queued_seconds",
            "Since when the oldest waiting bulk work is queued.",
            work.bulk_oldest_queued_at,
            self.now,
        )
        yield GaugeMetricFamily(
            "guichet_statements_pending",
            "Contribution statements asked for and not rendered yet.",
            value=work.statements_pending,
        )
        yield _age(
            "guichet_statements_oldest_queued_seconds",
            "Since when the oldest statement to render is queued.",
            work.statements_oldest_queued_at,
            self.now,
        )
        yield GaugeMetricFamily(
            "guichet_payments_pending", "Online payments waiting for their provider.", value=work.payments_pending
        )
        yield GaugeMetricFamily(
            "guichet_bank_transfers_to_handle",
            "Bank transfers waiting for staff to assign or refund them.",
            value=work.bank_transfers_to_handle,
        )
        yield GaugeMetricFamily(
            "guichet_discrepancy_reports_open",
            "Problems reported on contribution records waiting for staff (new, or the employer's correction to check).",
            value=work.discrepancies_open,
        )


def _age(name: str, documentation: str, since: datetime.datetime | None, now: datetime.datetime) -> Metric:
    """Seconds since ``since`` (0 when nothing waits)."""
    return GaugeMetricFamily(name, documentation, value=max(0.0, (now - since).total_seconds()) if since else 0.0)


def metrics_exposition(*, now: datetime.datetime) -> bytes:
    """Every metric in the text format: those counted by the processes (from the files of all of
    them in multiprocess mode, else this process's), then those read now."""
    if os.environ.get(MULTIPROCESS_VARIABLE):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    read_now = CollectorRegistry()
    read_now.register(_ReadWhenScraped(now))
    return generate_latest(counted) + generate_latest(read_now)
