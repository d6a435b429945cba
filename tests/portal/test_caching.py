"""Read models computed again, never served wrong, when the cache cannot give them back."""

import pickle
from unittest import mock

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from portal.core import caching


@pytest.mark.parametrize("failure", [RedisConnectionError("down"), pickle.UnpicklingError("old"), TypeError("shape")])
def test_an_unreadable_or_unreachable_cache_computes_the_value_again(failure):
    with (
        mock.patch.object(caching.cache, "get", side_effect=failure),
        mock.patch.object(caching.cache, "set", side_effect=RedisConnectionError("down")),
    ):
        assert caching.computed("k", lambda: [1, 2], kind=list, seconds=10) == [1, 2]


def test_a_value_of_another_type_is_not_served():
    caching.cache.set(f"v{caching.FORMAT}:k2", "not a list", 10)
    assert caching.computed("k2", lambda: [3], kind=list, seconds=10) == [3]
    assert caching.computed("k2", lambda: [4], kind=list, seconds=10) == [3]
