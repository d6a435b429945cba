"""Two database sessions at once, for the tests of locks: work run in a thread of its own (its own
connection), held inside its transaction until the test lets it commit, and a look at what a
session is waiting for (``pg_locks``). Tests that use them run with
``django_db(transaction=True)``: the other session must see committed rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

_SECONDS = 10


class InAnotherSession:
    """``work()`` in a thread with its own connection, inside a transaction. With ``hold``, the
    transaction stays open once the work is done, until ``release()`` (its locks held)."""

    def __init__(self, work: Callable[[], Any], *, hold: bool = False) -> None:
        self.result: Any = None
        self.error: Exception | None = None
        self.pid: int | None = None
        self._work, self._hold = work, hold
        self._started, self._done, self._release = threading.Event(), threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self._started.set()
            with transaction.atomic():
                self.result = self._work()
                self._done.set()
                if self._hold:
                    self._release.wait(_SECONDS)
        except Exception as error:  # noqa: BLE001 (raised again in the test's thread by join())
            self.error = error
        finally:
            self._started.set()
            self._done.set()
            connection.close()

    def start(self) -> InAnotherSession:
        self._thread.start()
        assert self._started.wait(_SECONDS)
        return self

    def wait_done(self) -> InAnotherSession:
        """Until the work is done (its transaction still open when held)."""
        assert self._done.wait(_SECONDS), "the other session's work did not end"
        return self

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def release(self) -> None:
        self._release.set()

    def join(self) -> Any:
        """Let the transaction commit and end the thread; the work's result (its error raised)."""
        self._release.set()
        self._thread.join(_SECONDS)
        assert not self._thread.is_alive(), "the other session did not end"
        if self.error is not None:
            raise self.error
        return self.result


def advisory_locks_of(pid: int | None) -> list[tuple[int, int, bool]]:
    """The advisory locks (two-key form) a session holds or waits for: (namespace, key, granted),
    the key as PostgreSQL stores it (an unsigned 32-bit number)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT classid::int, objid::bigint, granted FROM pg_locks"
            " WHERE locktype = 'advisory' AND objsubid = 2 AND pid = %s ORDER BY granted, objid",
            [pid],
        )
        return [(namespace, key, granted) for namespace, key, granted in cursor.fetchall()]


def hashtext(text: str) -> int:
    """The key a text stands for (signed, as the locks are sorted)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT hashtext(%s)", [text])
        return cursor.fetchone()[0]


def stored_key(key: int | str) -> int:
    """A lock's key as ``pg_locks`` shows it: an integer, or the ``hashtext`` of a text, unsigned."""
    with connection.cursor() as cursor:
        if isinstance(key, str):
            cursor.execute("SELECT hashtext(%s)::bigint & 4294967295", [key])
        else:
            cursor.execute("SELECT %s::int4::bigint & 4294967295", [key])
        return cursor.fetchone()[0]


def wait_until_waiting(session: InAnotherSession) -> tuple[int, int]:
    """Until the session waits for an advisory lock: which one, (namespace, key)."""
    deadline = time.monotonic() + _SECONDS
    while time.monotonic() < deadline:
        waiting = [(namespace, key) for namespace, key, granted in advisory_locks_of(session.pid) if not granted]
        if waiting:
            assert not session.done
            return waiting[0]
        assert not session.done, "the other session did not wait"
        time.sleep(0.01)
    raise AssertionError(f"the other session was not waiting for a lock after {_SECONDS} s")
