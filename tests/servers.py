"""Real servers that a test stops, freezes and starts again (devtools/servers.py), the address
of the test database for the processes a test starts, and the mark of the tests that time them."""

import pytest
from django.db import connection

from devtools.servers import Gunicorn, RedisServer, SilentSmtp, Visitor, free_port

__all__ = ["TIMED_PROCESSES", "Gunicorn", "RedisServer", "SilentSmtp", "Visitor", "free_port", "test_database_url"]

# The tests that time real processes — Celery workers riding out an outage within 15 or 30 s, a
# worker back within 4 s of Redis, no page over 2 s behind gunicorn, workers killed and replaced:
# under pytest-xdist (`make pytest`, `--dist loadgroup`) they all run on one worker, one after the
# other, so that no two of them compete for the machine's cores; the rest of the suite runs
# beside them on the other workers.
TIMED_PROCESSES = pytest.mark.xdist_group("timed-processes")


def test_database_url() -> str:
    """The test database as a ``DATABASE_URL``, for a process the test starts: the machine's
    default database may not exist (a fresh CI machine has only the test one)."""
    database = connection.settings_dict
    host = database["HOST"] or "127.0.0.1"
    return f"postgres://{database['USER']}@{host}:{database['PORT'] or 5432}/{database['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]
