"""Prepared statements for the few fixed queries that every page runs.

Django binds parameters on the client and never prepares (its cursors are psycopg
``ClientCursor``\\ s): each query is parsed and planned again on every request. For the small
queries a signed-in page runs each time (the session's user, the actor's facts, the version
keys of the cached read models, the unread count), planning costs more than running them
(figures in the README's benchmarks section). ``prepared_cursor``
gives a Django cursor whose statements are bound on the server and prepared once per
connection (psycopg keeps them by text and parameter types); Django's query log, the debug
toolbar and ``django_assert_num_queries`` see them as any other.

Use it for fixed reads with parameters only (never SQL assembled per call: each distinct text
is a statement kept by the connection), written with ``%s``/``%(name)s`` placeholders as for
Django's cursors. A statement must begin with SELECT: django-pghistory puts its context in
front of any other statement of a writing request, as a second statement, which cannot be
prepared (nor bound on the server). Prepared statements need the database's ``prepare_threshold`` option (see
``DATABASE_PREPARED_STATEMENTS`` in the settings); without it, the same cursor binds on the
server without preparing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models.expressions import RawSQL
from django.utils.asyncio import async_unsafe
from psycopg.pq import Format

_TIMESTAMPTZ_OID = 1184


class _PreparingCursor(psycopg.Cursor[Any]):
    """Server-side binding; every statement prepared (on its first run on the connection)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


def _read_only(sql: str) -> str:
    if not sql.lstrip()[:6].lower() == "select":
        raise ValueError("a prepared statement is a read that begins with SELECT (see core.db)")
    return sql


class _Cursor(CursorWrapper):
    def execute(self, sql: Any, params: Any = None) -> Any:
        return super().execute(_read_only(sql), params)


class _LoggedCursor(CursorDebugWrapper):
    """Django's debug wrapper (DEBUG, ``assertNumQueries``), logging the statement with its
    parameters: Django reads the text back from the cursor, which psycopg does not keep for a
    prepared statement."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        _read_only(sql)
        logged = sql if params is None else self.db.ops.compose_sql(sql, params)
        with self.debug_sql(logged, params):
            return CursorWrapper.execute(self, sql, params)


@async_unsafe
def prepared_cursor(using: str = DEFAULT_DB_ALIAS) -> CursorWrapper:
    """A cursor of Django's connection whose statements are prepared (use it as ``with
    prepared_cursor() as cursor``)."""
    connection = connections[using]
    # What BaseDatabaseWrapper.cursor() does, with our cursor class instead of Django's.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = _PreparingCursor(connection.connection)
    # As Django's own cursors: timestamps in the connection's time zone when a test overrides it.
    loader = connection.connection.adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)
    if getattr(loader, "timezone", None) != connection.timezone:
        register_tzloader(connection.timezone, cursor)
    return (_LoggedCursor if connection.queries_logged else _Cursor)(cursor, connection)


# The text of a PostgreSQL array, for a ``%s::bigint[]`` (``text[]``, ``date[]``) parameter:
# psycopg's own adaptation of a list converts it an element at a time through its adapters
# (20 ms for 40,000 ids; a batch of births binds a dozen such lists).


def int_array(ids: Iterable[int]) -> str:
    return "{" + ",".join(map(str, ids)) + "}"


def nullable_int_array(ids: Iterable[int | None]) -> str:
    return "{" + ",".join("NULL" if value is None else str(value) for value in ids) + "}"


def text_array(texts: Iterable[str | None]) -> str:
    return (
        "{"
        + ",".join(
            "NULL" if text is None else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"' for text in texts
        )
        + "}"
    )


def date_array(dates: Iterable[datetime.date | None]) -> str:
    return "{" + ",".join("NULL" if day is None else day.isoformat() for day in dates) + "}"


def any_of(ids: Iterable[int]) -> RawSQL:
    """For ``field__in=any_of(ids)`` over thousands of ids: one array parameter, where a list
    would bind (and the client would quote) one parameter each."""
    return RawSQL("SELECT unnest(%s::bigint[])", [int_array(ids)])


def any_text_of(texts: Iterable[str]) -> RawSQL:
    """``any_of`` for texts (national numbers)."""
    return RawSQL("SELECT unnest(%s::text[])", [text_array(texts)])
