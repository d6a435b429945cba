"""Read-through caching of computed read models, keyed by what they were computed from."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Part of every key: bump it when a cached type changes shape, so that a deployment never reads
# the previous release's pickles.
FORMAT = "2"


def computed(key: str, compute: Callable[[], T], *, kind: type[T], seconds: int) -> T:
    """The cached value under ``key``, or ``compute()`` stored there. A value that cannot be
    read back (an older release's, a cache outage) is computed again, never served."""
    full_key = f"v{FORMAT}:{key}"
    try:
        found = cache.get(full_key)
    except (pickle.UnpicklingError, TypeError, ValueError, AttributeError, EOFError, ImportError, RedisError) as error:
        logger.warning("cached value unreadable, computed again", extra={"key": full_key, "error": str(error)})
        found = None
    if isinstance(found, kind):
        return found
    value = compute()
    try:
        cache.set(full_key, value, seconds)
    except RedisError as error:
        logger.warning("cache unavailable", extra={"key": full_key, "error": str(error)})
    return value
