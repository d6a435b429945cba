"""Queueing work for the Celery workers, and the base class of every task.

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

Every task of the project is a ``Task`` (the Celery app's task class, portal/celery.py): a
transient database error (TRANSIENT_DATABASE_ERRORS: the database restarting, a connection cut)
closes the process's connections and retries the task, with the same id and arguments, after a
short backoff (TRANSIENT_BACKOFF_SECONDS, doubling up to TRANSIENT_BACKOFF_MAX_SECONDS, with
jitter), TRANSIENT_RETRIES times: work resumes seconds after the database is back, by itself.
Tasks are safe to run twice, so a retry never does the work twice.

A task that takes work (a chunk of a file, a statement) records that it took it, then holds
the work's row lock until it is done. Killed, its connection dies and PostgreSQL drops the lock
at once: a reconciler that finds the work taken but not locked knows that nobody is on it, and
queues it again without waiting for a lease. CLAIM_GRACE covers the moment between recording
the claim and taking the lock.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import random
import threading
import time
from typing import Any

import psycopg
from celery import Task as CeleryTask
from celery import current_app
from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from core.degraded import degraded_operation

logger = logging.getLogger(__name__)

# After a publish that failed, the broker is not tried again by this process for this long.
RETRY_AFTER_SECONDS = 5.0
_lock = threading.Lock()
_broker_down_until = 0.0

# Errors that say nothing about the work: the connection or the server, not the data. psycopg's
# own reach the task when code works on the raw connection (COPY).
TRANSIENT_DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
TRANSIENT_BACKOFF_SECONDS = 1.0
TRANSIENT_BACKOFF_MAX_SECONDS = 5.0
# At least 0.5 + 1 + 2 + 2.5 × 9 = 26 s of outage covered (up to twice that with the jitter);
# past it, the task fails and the reconciler of its work takes over.
TRANSIENT_RETRIES = 12
# Work taken this long ago and not locked is not being done (see the module's docstring).
CLAIM_GRACE = datetime.timedelta(seconds=5)


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


def transient_backoff(retries: int) -> float:
    """Seconds before retry number ``retries + 1``: doubling from TRANSIENT_BACKOFF_SECONDS up
    to TRANSIENT_BACKOFF_MAX_SECONDS, between half and all of it (workers that failed together
    do not all come back in the same instant)."""
    ceiling = min(TRANSIENT_BACKOFF_MAX_SECONDS, TRANSIENT_BACKOFF_SECONDS * 2 ** min(retries, 16))
    return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - a delay, not a secret


def connections_reset() -> None:
    """Close every database connection of this process: the next query opens a fresh one."""
    for connection in connections.all(initialized_only=True):
        # Closed all the same when closing fails: Django forgets the connection.
        with contextlib.suppress(DatabaseError):
            connection.close()


class Task(CeleryTask):
    """The task class of the project's Celery app: transient database errors are retried (see
    the module's docstring)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except TRANSIENT_DATABASE_ERRORS as error:
            connections_reset()
            request = self.request
            if request.called_directly or request.is_eager or request.retries >= TRANSIENT_RETRIES:
                raise
            countdown = transient_backoff(request.retries)
            logger.warning(
                "task retried after a transient database error",
                extra={"task": self.name, "retries": request.retries, "countdown": round(countdown, 2)},
            )
            raise self.retry(exc=error, countdown=countdown, max_retries=TRANSIENT_RETRIES) from error
