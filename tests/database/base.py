"""The tests' database backend: Django's PostgreSQL backend, with a flush that deletes rows
instead of truncating tables.

Each transactional test (``transaction=True``, ``live_server``: every browser test) ends with a
flush of every table. ``TRUNCATE`` of the portal's 66 tables gives each table, index and TOAST
table a new file: 2 s of a nearly empty database on this machine. ``DELETE`` of the same rows
takes 0.04 s. Deleted with the triggers off (``session_replication_role``, as ``pg_restore``
does): neither the history triggers nor the foreign keys' checks run, the rows are gone as after
``TRUNCATE``. That setting needs a superuser (the tests' usual role, and the embedded server's);
otherwise, or when sequences are to be reset or the truncation cascade (a test of a few apps),
the flush truncates as Django does.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self, style: Any, tables: list[str], *, reset_sequences: bool = False, allow_cascade: bool = False
    ) -> list[str]:
        if not tables or reset_sequences or allow_cascade or not self._superuser():
            return super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        # The flush runs these statements in one transaction: SET LOCAL ends with it.
        return [
            "SET LOCAL session_replication_role = replica",
            *(f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))}" for table in tables),
        ]

    def _superuser(self) -> bool:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser')")
            return cursor.fetchone()[0] == "on"


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
