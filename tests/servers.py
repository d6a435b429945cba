"""Real servers that a test stops, freezes and starts again (devtools/servers.py), and the
address of the test database for the processes a test starts."""

from django.db import connection

from devtools.servers import Gunicorn, RedisServer, SilentSmtp, Visitor, free_port

__all__ = ["Gunicorn", "RedisServer", "SilentSmtp", "Visitor", "free_port", "test_database_url"]


def test_database_url() -> str:
    """The test database as a ``DATABASE_URL``, for a process the test starts: the machine's
    default database may not exist (a fresh CI machine has only the test one)."""
    database = connection.settings_dict
    host = database["HOST"] or "127.0.0.1"
    return f"postgres://{database['USER']}@{host}:{database['PORT'] or 5432}/{database['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]
