"""The Celery app: Redis broker, JSON only, late acknowledgement, one queue per kind of work, every
task retrying transient database errors (core.tasks.Task)."""

from __future__ import annotations

import functools
import gc
import os
import time
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, task_failure, task_postrun, task_prerun, task_retry, worker_init
from celery.worker.consumer import Consumer as CeleryConsumer
from kombu import Queue

from portal.metrics import task_failure_count, task_observe, task_retry_count

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# Every task retries transient database errors with a short backoff (core.tasks.Task).
app = Celery("portal", task_cls="core.tasks:Task")
app.config_from_object("django.conf:settings", namespace="CELERY")
QUEUES = ("control", "default", "bulk", "attribution", "documents", "notifications")
# "control" (the reconcilers, the status page's minute, nightly purges) gets a worker of its own,
# so that slow work on the others never delays them (README, "Operations").
CONTROL_QUEUES = ("control",)
WORK_QUEUES = tuple(queue for queue in QUEUES if queue not in CONTROL_QUEUES)
app.conf.task_queues = [Queue(name) for name in QUEUES]
app.autodiscover_tasks()


class Consumer(CeleryConsumer):
    """The worker's consumer of the broker, reconnecting after a broker outage at the pace of
    the broker's transport options (``interval_start``, ``interval_step``, ``interval_max``).

    Celery's consumer asks kombu to reconnect with kombu's defaults — 2 s, then 2 s more after
    each failed attempt, up to 30 s — and no setting reaches that call
    (``Consumer.ensure_connected``): after a minute of Redis outage the worker would wait up to
    16 s more once Redis is back. The options the publishing side already uses apply here too."""

    def ensure_connected(self, conn: Any) -> Any:
        options = self.app.conf.broker_transport_options or {}
        intervals = {key: options[key] for key in ("interval_start", "interval_step", "interval_max") if key in options}
        conn.ensure_connection = functools.partial(conn.ensure_connection, **intervals)
        return super().ensure_connected(conn)


def worker_command(*, queues: tuple[str, ...], concurrency: int, name: str = "", beat: bool = False) -> list[str]:
    """The command line of a Celery worker of this project (for ``serve``, benchmarks and the
    tests that run a real worker in its own process)."""
    import sys

    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", ",".join(queues)]
    command += ["--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "INFO"]
    if name:  # a worker beside others: no gossip nor mingle with them
        command += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle"]
    if beat:
        command += ["--beat", "--schedule", "var/celerybeat-schedule"]
    return command


@worker_init.connect
def _load_before_fork(**_kwargs: Any) -> None:
    """Tasks build links to pages (notifications): build the URL resolver — importing every view
    module with it — in the worker's main process, before it forks its pool, so that each pool
    process inherits it instead of paying it on its first such task (over a second here)."""
    from django.urls import reverse

    reverse("portal:home")
    _collect_less()


# A batch task makes hundreds of thousands of objects (5,000 births: 40,000 family members, 10,000
# proposals): with Python's default thresholds (a collection every 700 allocations, a full one
# every 100 of those), the collector ran through every object the process holds over and over, 13 %
# of proposing a batch here. What is loaded before the fork is frozen (never scanned again, and
# left shared with the pool's processes), and collections come every 50,000 allocations.
GC_THRESHOLDS = (50_000, 20, 100)


def _collect_less() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@before_task_publish.connect
def _carry_request_id(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    from core.logging import request_id_var

    if headers is not None and "request_id" not in headers:
        headers["request_id"] = request_id_var.get()


_tokens: dict[str, Any] = {}


@task_prerun.connect
def _adopt_request_id(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    from core.logging import request_id_var

    request_id = getattr(task.request, "request_id", None) if task is not None else None
    if task_id is not None:
        _tokens[task_id] = request_id_var.set(request_id or f"task-{task_id}")


@task_postrun.connect
def _drop_request_id(task_id: str | None = None, **_kwargs: Any) -> None:
    from core.logging import request_id_var

    token = _tokens.pop(task_id or "", None)
    if token is not None:
        request_id_var.reset(token)


# --- Metrics: each task's duration, failures and retries, by task and queue (portal/metrics.py)

_started: dict[str, float] = {}


def _queue_of(task: Any) -> str:
    """The queue the task was taken from ("eager" when it ran in the caller, as tests do)."""
    request = getattr(task, "request", None)
    if request is None or getattr(request, "is_eager", False):
        return "eager"
    delivery = getattr(request, "delivery_info", None) or {}
    return str(delivery.get("routing_key") or delivery.get("exchange") or "unknown")


@task_prerun.connect
def _time_task(task_id: str | None = None, **_kwargs: Any) -> None:
    if task_id is not None:
        _started[task_id] = time.perf_counter()


@task_postrun.connect
def _observe_task(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    started = _started.pop(task_id or "", None)
    if started is not None and task is not None:
        task_observe(task=task.name, queue=_queue_of(task), seconds=time.perf_counter() - started)


@task_failure.connect
def _count_failure(sender: Any = None, **_kwargs: Any) -> None:
    if sender is not None:
        task_failure_count(task=sender.name, queue=_queue_of(sender))


@task_retry.connect
def _count_retry(sender: Any = None, **_kwargs: Any) -> None:
    if sender is not None:
        task_retry_count(task=sender.name, queue=_queue_of(sender))
