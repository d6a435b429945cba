"""Counting requests per online service and minute, in Redis, with no write per request.

Each web process adds its requests to a small table in memory (a dictionary update under a
lock); a thread of the process adds that table to Redis every ``PUSH_EVERY_SECONDS`` in one
round trip (``HINCRBY`` on one hash per minute), and once more when the process exits. The hash
of a minute lives ``KEEP_SECONDS`` in Redis. Every minute, the flush
(``portal.status.services.service_minutes_flush``) copies the minutes of the last
``LOOKBACK_MINUTES`` that have ended into PostgreSQL — again at each run while their hash
lives, so counts pushed late are copied too, and a run repeated copies the same numbers.

What a process holds when it is killed outright (at most a few seconds of its requests) is lost.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import threading
import time
from collections import defaultdict

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# The published target: answered in under a second.
FAST_SECONDS = 1.0
PUSH_EVERY_SECONDS = 5.0
LOOKBACK_MINUTES = 60
KEEP_SECONDS = 2 * LOOKBACK_MINUTES * 60
# Fields of a minute's hash: "<service>:<part>".
TOTAL, FAST, SERVER_ERRORS = "requests", "fast", "errors"

_lock = threading.Lock()
# (minute as seconds since the epoch, service) -> [requests, fast, server errors]
_counts: defaultdict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
_pusher_pid: int | None = None


def minute_key(minute: int) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'guichet')}:status:minute:{minute}"


@functools.cache
def _client(url: str) -> redis.Redis:
    # redis-py's pool opens new connections in a forked child: one client per process is safe.
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def status_redis() -> redis.Redis:
    """The Redis of the cache, where the minutes are counted."""
    return _client(settings.REDIS_CACHE_URL)


def request_count(*, service: str, seconds: float, status: int, at: float) -> None:
    """Count one request of ``service`` that took ``seconds`` and ended at ``at`` (seconds since
    the epoch) with HTTP ``status``."""
    minute = int(at // 60 * 60)
    with _lock:
        counts = _counts[(minute, service)]
        counts[0] += 1
        if seconds < FAST_SECONDS:
            counts[1] += 1
        if status >= 500:
            counts[2] += 1
    if _pusher_pid != os.getpid():
        _pusher_start()


def _pusher_start() -> None:
    """One pushing thread per process, started by its first request (gunicorn forks its workers
    after loading the application: a thread started before would not exist in them)."""
    global _pusher_pid
    with _lock:
        if _pusher_pid == os.getpid():
            return
        _pusher_pid = os.getpid()
    threading.Thread(target=_push_forever, name="status-counts", daemon=True).start()
    atexit.register(counts_push)


def _push_forever() -> None:
    failing = False
    while True:
        time.sleep(PUSH_EVERY_SECONDS)
        try:
            counts_push()
        except Exception:
            # Once per outage, not every push: the counts wait in memory meanwhile.
            if not failing:
                logger.warning("request counts not pushed to Redis", exc_info=True)
            failing = True
        else:
            failing = False


def counts_push() -> None:
    """Add what this process counted since its last push to Redis. If Redis does not answer,
    the counts are kept for the next push (those older than the flush looks back are dropped:
    no flush would copy them)."""
    with _lock:
        if not _counts:
            return
        taken = dict(_counts)
        _counts.clear()
    pipeline = status_redis().pipeline(transaction=False)
    for (minute, service), (total, fast, errors) in taken.items():
        key = minute_key(minute)
        pipeline.hincrby(key, f"{service}:{TOTAL}", total)
        if fast:
            pipeline.hincrby(key, f"{service}:{FAST}", fast)
        if errors:
            pipeline.hincrby(key, f"{service}:{SERVER_ERRORS}", errors)
    for minute in {minute for minute, _service in taken}:
        pipeline.expire(minute_key(minute), KEEP_SECONDS)
    try:
        pipeline.execute()
    except redis.RedisError:
        oldest = int(time.time() // 60 * 60) - LOOKBACK_MINUTES * 60
        with _lock:
            for (minute, service), parts in taken.items():
                if minute >= oldest:
                    kept = _counts[(minute, service)]
                    for index, value in enumerate(parts):
                        kept[index] += value
        raise


def minutes_read(*, minutes: list[int]) -> dict[int, dict[str, tuple[int, int, int]]]:
    """The counts in Redis of these minutes: minute -> service -> (requests, fast, server
    errors); a minute nobody counted is absent. One round trip."""
    pipeline = status_redis().pipeline(transaction=False)
    for minute in minutes:
        pipeline.hgetall(minute_key(minute))
    found: dict[int, dict[str, tuple[int, int, int]]] = {}
    for minute, fields in zip(minutes, pipeline.execute(), strict=True):
        if not fields:
            continue
        parts: defaultdict[str, dict[str, int]] = defaultdict(dict)
        for field, value in fields.items():
            service, _colon, part = field.decode().rpartition(":")
            parts[service][part] = int(value)
        found[minute] = {
            service: (values.get(TOTAL, 0), values.get(FAST, 0), values.get(SERVER_ERRORS, 0))
            for service, values in parts.items()
        }
    return found
