"""The prepared cursor answers as Django's own cursors, prepares its statements once, and its
queries are counted and logged like any other."""

import datetime

import pghistory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.db import date_array, int_array, nullable_int_array, prepared_cursor, text_array

pytestmark = pytest.mark.django_db

_SQL = "SELECT %(number)s::bigint + 1, %(text)s::text, %(day)s::date, %(ids)s::bigint[], now()"
_PARAMS = {"number": 41, "text": "été", "day": datetime.date(2026, 3, 1), "ids": [1, 2]}


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_answers_as_a_django_cursor():
    with connection.cursor() as cursor:
        cursor.execute(_SQL, _PARAMS)
        expected = cursor.fetchone()
    with prepared_cursor() as cursor:
        cursor.execute(_SQL, _PARAMS)
        found = cursor.fetchone()
    assert found[:4] == expected[:4] == (42, "été", datetime.date(2026, 3, 1), [1, 2])
    assert found[4] == expected[4]  # the same transaction's now(), aware, in the same zone
    assert found[4].tzinfo == expected[4].tzinfo


def test_prepares_a_statement_once_per_connection_unless_prepared_statements_are_off():
    sql = "SELECT %s::int * 2 /* test_prepares_a_statement_once */"
    for number in (1, 2, 3):
        with prepared_cursor() as cursor:
            cursor.execute(sql, [number])
            assert cursor.fetchone() == (number * 2,)
    enabled = connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None  # DATABASE_PREPARED_STATEMENTS
    assert len([s for s in _prepared_statements() if "test_prepares_a_statement_once" in s]) == (1 if enabled else 0)


def test_its_queries_are_counted_and_logged(django_assert_num_queries):
    with django_assert_num_queries(1), prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int", [7])
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int /* logged */", [8])
    assert "8" in queries.captured_queries[0]["sql"]
    assert "logged" in queries.captured_queries[0]["sql"]


def test_a_read_is_prepared_in_a_writing_request_too():
    """django-pghistory puts its context in front of a writing request's statements, but not of
    reads."""
    with pghistory.context(user=1), prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 1 /* history */", [1])
        assert cursor.fetchone() == (2,)


@pytest.mark.parametrize("sql", ["WITH t AS (SELECT 1) SELECT * FROM t", "UPDATE identity_user SET first_name = ''"])
def test_refuses_what_does_not_begin_with_select(sql, django_assert_num_queries):
    with django_assert_num_queries(0), prepared_cursor() as cursor, pytest.raises(ValueError):
        cursor.execute(sql)


def test_arrays_bound_as_text_come_back_as_they_were():
    """Lists bound as the text of an array (``int_array`` and its kin) read back unchanged:
    quotes, backslashes, braces, commas, the word NULL and empty texts included."""
    texts = ['a "quoted" name', "C:\\dir", "{1,2}", "NULL", "", "é, ü", None, "l'été"]
    days = [datetime.date(2026, 1, 2), None, datetime.date(9999, 12, 31)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::text[], %s::date[], %s::bigint[], %s::bigint[], %s::bigint[]",
            [text_array(texts), date_array(days), nullable_int_array([1, None, 3]), int_array([]), int_array(range(3))],
        )
        assert cursor.fetchone() == (texts, days, [1, None, 3], [], [0, 1, 2])
