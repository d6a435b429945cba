"""Queueing work for the Celery workers: by the task's registered name, after commit.

Work is stored before it is queued: ``enqueue`` sends the message only once the transaction
that wrote the work commits (at once outside a transaction), so that a worker never looks for
a row that is not there yet, and a rolled-back request queues nothing. Tasks are named, not
imported: the domain never imports its ``tasks`` module, and the routes of
``CELERY_TASK_ROUTES`` choose the queue. A message lost on the way (the broker down, a worker
killed) is found again by the reconciler of its kind of work, which reads the database.

So a broker that does not answer never fails the request that stored the work: the message is
not sent, with a log line and ``guichet_degraded_operations_total{part="broker"}``, and the
work waits in the database for its reconciler. After a failure the process does not try the
broker again for ``RETRY_AFTER_SECONDS`` (a frozen broker would cost each request its timeout).
"""

from __future__ import annotations

import logging
import threading
import time

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from core.degraded import degraded_operation

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0

_lock = threading.Lock()
_broker_down_until = 0.0


def enqueue(task: str, /, **kwargs: int | str | list[int]) -> None:
    """Queue the task named ``task`` with these keyword arguments after the current
    transaction commits; without a broker, leave it to its reconciler."""

    def send() -> None:
        global _broker_down_until
        if time.monotonic() < _broker_down_until:
            degraded_operation("broker", task)
            return
        try:
            current_app.send_task(task, kwargs=kwargs)
        except (BrokerError, RedisError, OSError) as error:
            with _lock:
                _broker_down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning(
                "broker unavailable: the work waits for its reconciler",
                extra={"task": task, "error": repr(error), "retry_after": RETRY_AFTER_SECONDS},
            )
            degraded_operation("broker", task)

    transaction.on_commit(send)
