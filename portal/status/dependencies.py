"""Whether the portal's dependencies answer: the database, the cache (Redis) and the Celery
broker, and how many messages wait in each Celery queue. Used by ``/readyz``, by the check
recorded every minute for the status page, and by the metrics endpoint."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, cast

import redis
from celery import current_app
from django.conf import settings
from django.db import connection
from kombu.exceptions import ChannelError

logger = logging.getLogger(__name__)


def database_check() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # the check runs in a thread of its own: its connection ends with it


def cache_check() -> None:
    timeout = settings.REDIS_TIMEOUT_SECONDS
    client = redis.Redis.from_url(settings.REDIS_CACHE_URL, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def broker_check() -> None:
    with current_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=settings.REDIS_TIMEOUT_SECONDS)


CHECKS: dict[str, Callable[[], None]] = {"database": database_check, "cache": cache_check, "broker": broker_check}

# What is known of each part, whatever the caller: a check that has not ended (a frozen server
# holds it) is not started again, and the part stays unavailable until it ends.
_running: dict[str, threading.Thread] = {}
_running_lock = threading.Lock()


def dependencies_check(*, seconds: float = 0.8) -> dict[str, bool]:
    """Each dependency by name: True when it answered within ``seconds``. The checks run at the
    same time, each in a thread of its own, so that the answer comes within ``seconds`` whatever
    is down or frozen."""
    results: dict[str, bool] = {}
    started: dict[str, threading.Thread] = {}
    for name, check in CHECKS.items():
        with _running_lock:
            previous = _running.get(name)
            if previous is not None and previous.is_alive():
                logger.warning("dependency check still waiting for an answer", extra={"part": name})
                results[name] = False
                continue
            thread = threading.Thread(target=_check, args=(name, check, results), name=f"check-{name}", daemon=True)
            _running[name] = started[name] = thread
        thread.start()
    deadline = time.monotonic() + seconds
    for name, thread in started.items():
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            logger.warning("dependency check took too long", extra={"part": name, "seconds": seconds})
    return {name: results.get(name, False) for name in CHECKS}


def _check(name: str, check: Callable[[], None], results: dict[str, bool]) -> None:
    try:
        check()
    except Exception as error:  # noqa: BLE001 — any failure makes the part unavailable
        logger.warning("dependency check failed", extra={"part": name, "error": repr(error)})
        results[name] = False
    else:
        results[name] = True


def queue_lengths() -> dict[str, int]:
    """Messages waiting in each Celery queue (not those a worker has taken)."""
    with current_app.connection_for_read() as broker:
        # Every transport's channel has queue_declare (the Redis one counts the queue's lists,
        # priorities included); kombu's stubs leave it out of StdChannel.
        channel = cast(Any, broker.default_channel)
        lengths = {}
        for queue in current_app.conf.task_queues:
            try:
                lengths[queue.name] = int(channel.queue_declare(queue=queue.name, passive=True).message_count)
            except ChannelError:  # never declared: no worker has consumed it, no one has sent to it
                lengths[queue.name] = 0
        return lengths
