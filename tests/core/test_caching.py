"""Read models computed again, never served wrong, when the cache cannot give them back."""

import pickle
from unittest import mock

import pytest
from django.core.cache import caches
from django.utils import translation
from django.utils.safestring import SafeString

from core import caching
from core.redis_cache import RedisCache
from tests.servers import RedisServer


@pytest.mark.parametrize("failure", [pickle.UnpicklingError("old"), TypeError("shape")])
def test_an_unreadable_cached_value_is_computed_again(failure):
    """(Without Redis, every read misses: tests/core/test_redis_cache.py.)"""
    with mock.patch.object(caching.cache, "get", side_effect=failure):
        assert caching.computed("k", lambda: [1, 2], kind=list, seconds=10) == [1, 2]


def test_a_value_of_another_type_is_not_served():
    caching.cache.set(f"v{caching.FORMAT}:k2", "not a list", 10)
    assert caching.computed("k2", lambda: [3], kind=list, seconds=10) == [3]
    assert caching.computed("k2", lambda: [4], kind=list, seconds=10) == [3]


def test_a_fragment_is_rendered_once_per_key_and_language():
    renders = []

    def render():
        renders.append(translation.get_language())
        return {"table": f"<table>{translation.get_language()}</table>"}

    with translation.override("fr"):
        first = caching.fragments("page", render, seconds=10)
        again = caching.fragments("page", render, seconds=10)
    with translation.override("en"):
        english = caching.fragments("page", render, seconds=10)
    assert (first["table"], again["table"], english["table"]) == ("<table>fr</table>",) * 2 + ("<table>en</table>",)
    assert isinstance(first["table"], SafeString)
    assert renders == ["fr", "en"]


def test_fragments_are_rendered_again_when_redis_is_down(tmp_path):
    server = RedisServer(tmp_path / "redis")
    stopped = RedisCache(server.url, {"OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}})
    server.stop()
    renders = []

    def render():
        renders.append(1)
        return {"p": "<p>x</p>"}

    with mock.patch.object(caching, "cache", stopped):
        assert caching.fragments("page", render, seconds=10) == {"p": "<p>x</p>"}
        assert caching.fragments("page", render, seconds=10) == {"p": "<p>x</p>"}
    assert renders == [1, 1]


def test_the_cache_client_is_built_once_and_still_talks_to_redis():
    backend = caches["default"]
    backend.set("reused", 1, 10)
    assert backend.get("reused") == 1
    assert backend._cache.get_client("reused") is backend._cache.get_client("other")
