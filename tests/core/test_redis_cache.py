"""The cache without Redis (core/redis_cache.py), against a real server stopped and frozen: every
operation answers at once as an empty, forgetful cache, the outage is counted, and what a
dropped write left out of date is deleted when Redis answers again."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from prometheus_client import REGISTRY

from core import redis_cache
from core.redis_cache import RedisCache
from tests.servers import RedisServer

TIMEOUT = 0.25


@pytest.fixture
def server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    yield server
    server.stop()


def _cache(server: RedisServer) -> RedisCache:
    return RedisCache(
        server.url,
        {"KEY_PREFIX": "t", "OPTIONS": {"socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT}},
    )


def _degraded(operation: str) -> float:
    return (
        REGISTRY.get_sample_value("guichet_degraded_operations_total", {"part": "cache", "operation": operation}) or 0.0
    )


def test_a_stopped_redis_makes_an_empty_forgetful_cache_that_lets_rate_limits_through(server, monkeypatch):
    monkeypatch.setattr(redis_cache, "RETRY_AFTER_SECONDS", 0.2)
    cache = _cache(server)
    cache.set("session", "signed in", 60)
    assert cache.get("session") == "signed in"
    before = _degraded("get")

    server.stop()
    assert cache.get("session", "missing") == "missing"
    cache.set("other", 1, 60)  # dropped, no error
    assert cache.add("lock", True, 10) is True  # a lock or a first attempt goes through
    assert cache.incr("attempts", 1) == 1  # a counter never refuses
    assert cache.has_key("session") is False
    assert cache.get_many(["session", "other"]) == {}
    cache.delete("session")  # the person signs out while Redis is down
    assert _degraded("get") == before + 1

    server.start()  # empty: a restart without persistence
    time.sleep(0.25)
    cache.set("again", "yes", 60)
    assert cache.get("again") == "yes"


def test_a_frozen_redis_costs_one_timeout_then_nothing_until_it_is_tried_again(server, monkeypatch):
    monkeypatch.setattr(redis_cache, "RETRY_AFTER_SECONDS", 1.0)
    cache = _cache(server)
    cache.set("k", "v", 60)
    server.freeze()
    try:
        started = time.monotonic()
        assert cache.get("k") is None
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(50):
            assert cache.get("k") is None
        rest = time.monotonic() - started
    finally:
        server.thaw()
    assert first < TIMEOUT * 4, first
    assert rest < TIMEOUT, "operations after a timeout do not wait for Redis again"
    time.sleep(1.05)
    assert cache.get("k") == "v"


def test_a_write_dropped_while_redis_was_frozen_does_not_bring_back_an_old_value(server, monkeypatch):
    """A session signed out while Redis was frozen: the sessions table forgot it, Redis did not.
    When Redis answers again, the key is deleted before anything is read."""
    monkeypatch.setattr(redis_cache, "RETRY_AFTER_SECONDS", 0.2)
    cache = _cache(server)
    cache.set("session", "signed in", 60)
    server.freeze()
    try:
        cache.delete("session")
        cache.set("profile", "new", 60)
    finally:
        server.thaw()
    time.sleep(0.25)
    assert cache.get("session") is None
    assert cache.get("profile") is None  # never the value Redis held before the dropped write


def test_clear_deletes_only_the_cache_keys_so_a_broker_sharing_the_database_keeps_its_queue(server):
    cache = _cache(server)
    cache.set("session", "a")
    cache.set_many({f"read-model-{number}": number for number in range(2500)})
    other = redis.Redis.from_url(server.url)
    other.lpush("documents", "a task")  # what Celery's Redis transport keeps: a list per queue
    other.set("t-other:1:key", "another prefix")

    cache.clear()

    assert cache.get("session") is None
    assert cache.get("read-model-7") is None
    assert other.lrange("documents", 0, -1) == [b"a task"]
    assert other.get("t-other:1:key") == b"another prefix"
    assert other.dbsize() == 2
