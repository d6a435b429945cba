"""Which Redis database the cache and the broker use (portal/settings.py): the override, else the
one ``REDIS_URL`` names, else the defaults — so that two portals given two URLs share nothing."""

from __future__ import annotations

import pytest

from portal.settings import redis_url_with_db


@pytest.mark.parametrize(
    ("url", "override", "expected"),
    [
        # The URL names a database: it is honoured.
        ("redis://127.0.0.1:6379/5", None, "redis://127.0.0.1:6379/5"),
        ("redis://:secret@redis.internal:6379/12", None, "redis://:secret@redis.internal:6379/12"),
        (
            "rediss://redis.internal:6380/3?ssl_cert_reqs=required",
            None,
            "rediss://redis.internal:6380/3?ssl_cert_reqs=required",
        ),
        ("redis://127.0.0.1:6379?db=4", None, "redis://127.0.0.1:6379/4"),
        ("unix:///run/redis.sock?db=6", None, "unix:///run/redis.sock?db=6"),
        # It does not: the default.
        ("redis://127.0.0.1:6379", None, "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379/", None, "redis://127.0.0.1:6379/1"),
        ("unix:///run/redis.sock", None, "unix:///run/redis.sock?db=1"),
        # An override wins over both.
        ("redis://127.0.0.1:6379/5", 14, "redis://127.0.0.1:6379/14"),
        ("redis://127.0.0.1:6379", 0, "redis://127.0.0.1:6379/0"),
        ("unix:///run/redis.sock?db=6", 2, "unix:///run/redis.sock?db=2"),
        ("redis+socket:///run/redis.sock", 3, "redis+socket:///run/redis.sock?db=3"),
    ],
)
def test_database_is_the_override_else_the_urls_else_the_default(url, override, expected):
    assert redis_url_with_db(url, override=override, default=1) == expected


def test_two_portals_with_two_urls_get_two_brokers_and_two_caches():
    first = "redis://127.0.0.1:6379/2"
    second = "redis://127.0.0.1:6379/4"
    assert redis_url_with_db(first, override=None, default=0) != redis_url_with_db(second, override=None, default=0)
    assert redis_url_with_db(first, override=None, default=1) != redis_url_with_db(second, override=None, default=1)
