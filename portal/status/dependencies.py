"""Whether the portal's dependencies answer: the database, the cache (Redis) and the Celery
broker, and how many messages wait in each Celery queue. Used by ``/readyz``, by the check
recorded every minute for the status page, and by the metrics endpoint."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

import redis
from celery import current_app
from django.conf import settings
from django.db import connection
from kombu.exceptions import ChannelError

logger = logging.getLogger(__name__)


def database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def cache_check() -> None:
    client = redis.Redis.from_url(settings.REDIS_CACHE_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def broker_check() -> None:
    with current_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=2)


CHECKS: dict[str, Callable[[], None]] = {"database": database_check, "cache": cache_check, "broker": broker_check}


def dependencies_check() -> dict[str, bool]:
    """Each dependency by name: True when it answered."""
    states = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # noqa: BLE001 — any failure makes the part unavailable
            logger.warning("dependency check failed", extra={"part": name, "error": repr(error)})
            states[name] = False
        else:
            states[name] = True
    return states


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
