"""Django's Redis cache, keeping one client per connection pool, and serving without Redis.

One client per pool: Django's backend builds a new ``redis.Redis`` around the pool for every
operation; since redis-py 6 each construction also builds an event dispatcher and its
listeners, about half a millisecond of CPU — more than the GET itself on a signed-in page (the
session, the cached read models). A client holds no connection of its own (it borrows one from
the pool for each command) and is safe to share between threads, so one per pool is enough.

Without Redis: the cache is an accelerator, never a dependency. When Redis does not answer
(stopped, or frozen: the ``socket_timeout`` of ``OPTIONS`` bounds each command), every operation
answers as if the cache were empty and forgetful, with a log line and
``guichet_degraded_operations_total{part="cache"}``:

- reads miss (``get`` answers the default, ``has_key`` False): the session store reads the
  sessions table, read models are computed again;
- writes are dropped; ``add`` answers True and ``incr`` the increment, so that the rate limits and
  throttles built on them (allauth's, the API's, the verification page's) let the request through
  rather than refuse everyone.

After a failure the process does not call Redis again for ``RETRY_AFTER_SECONDS``, so that a
frozen server costs one timeout per process and interval, not one per operation. A write that was
dropped leaves what Redis held under its key out of date (a session signed out while Redis was
frozen would come back with it): the keys of dropped writes are remembered, and deleted first
when Redis answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.degraded import degraded_operation

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What an unreachable or frozen server raises (a BusyLoadingError is a ConnectionError).
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 5.0
# The keys of dropped writes kept for deletion at recovery; beyond, the oldest are forgotten.
STALE_KEYS_LIMIT = 100_000


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's private helpers, which its stubs do not declare.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))  # pools live as long as the backend: ids stay theirs
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class _Availability:
    """Whether this process calls Redis, and the keys whose writes were dropped (shared by the
    threads of the process: one per backend location)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.stale: dict[str, None] = {}  # ordered: the oldest are forgotten first


_availability: dict[str, _Availability] = {}
_availability_lock = threading.Lock()


def _availability_of(location: str) -> _Availability:
    with _availability_lock:
        return _availability.setdefault(location, _Availability())


class _Unavailable(Exception):
    """Redis is known to be down: the operation is not tried."""


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._state = _availability_of(str(server))

    @property
    def _client(self) -> Any:
        """Django's client (its stubs type it more narrowly than it is called here)."""
        return self._cache

    # --- the guard ------------------------------------------------------------------------
    def _guarded(self, operation: str, call: Callable[[], T], fallback: T, *, writes: Iterable[str] = ()) -> T:
        state = self._state
        try:
            if time.monotonic() < state.down_until:
                raise _Unavailable
            if state.stale:
                self._stale_delete()
            return call()
        except (_Unavailable, *UNAVAILABLE) as error:
            if not isinstance(error, _Unavailable):
                with state.lock:
                    state.down_until = time.monotonic() + RETRY_AFTER_SECONDS
                logger.warning(
                    "cache unavailable: served without it",
                    extra={"operation": operation, "error": repr(error), "retry_after": RETRY_AFTER_SECONDS},
                )
            degraded_operation("cache", operation)
            self._stale_remember(writes)
            return fallback

    def _stale_remember(self, keys: Iterable[str]) -> None:
        state = self._state
        with state.lock:
            for key in keys:
                state.stale[key] = None
            while len(state.stale) > STALE_KEYS_LIMIT:
                state.stale.pop(next(iter(state.stale)))

    def _stale_delete(self) -> None:
        """Delete what dropped writes left out of date, before anything is read again."""
        state = self._state
        with state.lock:
            keys = list(state.stale)
        for start in range(0, len(keys), 1000):
            self._client.delete_many(keys[start : start + 1000])
        with state.lock:
            for key in keys:
                state.stale.pop(key, None)
        logger.info("cache available again: out-of-date keys deleted", extra={"keys": len(keys)})

    def _key(self, key: Any, version: int | None) -> str:
        return str(self.make_and_validate_key(key, version=version))

    # --- Django's operations --------------------------------------------------------------
    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        full = self._key(key, version)
        return self._guarded(
            "add",
            lambda: bool(self._client.add(full, value, self.get_backend_timeout(timeout))),
            True,
            writes=[full],
        )

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        full = self._key(key, version)
        return self._guarded("get", lambda: self._client.get(full, default), default)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        full = self._key(key, version)
        self._guarded(
            "set", lambda: self._client.set(full, value, self.get_backend_timeout(timeout)), None, writes=[full]
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        full = self._key(key, version)
        return self._guarded("touch", lambda: bool(self._client.touch(full, self.get_backend_timeout(timeout))), False)

    def delete(self, key: Any, version: int | None = None) -> bool:
        full = self._key(key, version)
        return self._guarded("delete", lambda: bool(self._client.delete(full)), False, writes=[full])

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        key_map = {self._key(key, version): key for key in keys}
        found: dict[str, Any] = self._guarded("get_many", lambda: self._client.get_many(key_map.keys()), {})
        return {key_map[k]: v for k, v in found.items()}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        full = self._key(key, version)
        return self._guarded("has_key", lambda: bool(self._client.has_key(full)), False)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        full = self._key(key, version)
        # A missing key still raises ValueError (Redis answered); only an outage answers delta.
        return self._guarded("incr", lambda: int(self._client.incr(full, delta)), delta, writes=[full])

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        if not data:
            return []
        safe = {self._key(key, version): value for key, value in data.items()}
        self._guarded(
            "set_many", lambda: self._client.set_many(safe, self.get_backend_timeout(timeout)), None, writes=list(safe)
        )
        return []

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        safe = [self._key(key, version) for key in keys]
        if safe:
            self._guarded("delete_many", lambda: self._client.delete_many(safe), None, writes=safe)

    def clear(self) -> None:
        self._guarded("clear", self._own_keys_delete, None)

    def _own_keys_delete(self) -> None:
        """Delete this cache's keys (those under its ``KEY_PREFIX``), not the whole database: the
        Celery broker may share it (a ``REDIS_URL`` naming one database, see the settings)."""
        client = self._client.get_client(None, write=True)
        if not self.key_prefix:
            client.flushdb()
            return
        pattern = "".join(f"\\{char}" if char in "[]*?\\" else char for char in self.key_prefix) + ":*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == 1000:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)
