"""Insured careers, read from the insured years the database keeps (``InsuredYear``): a row a
person and year, not a line a month.

The rows are kept by triggers (migration ``0020_insured_years``) on every write of the
declarations and their lines, whatever the channel (form, API, bulk file, the tests' and the
benchmarks' SQL): a line in force with a gross wage above zero adds one to its person's month
and its wage to the month's wages; a line, or a declaration, going out of force takes them away.
Writes made with the triggers off (``session_replication_role = replica``, as the benchmarks
load forty-year records) call ``insured_years_rebuild`` for the persons they wrote.
"""

from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from core.db import int_array
from core.periods import Period

MONTHS = range(1, 13)
_COUNTS = [f"m{month:02}" for month in MONTHS]
_WAGES = [f"w{month:02}" for month in MONTHS]


def years_upsert_sql(source: str) -> str:
    """Add to the insured years what ``source`` brings: rows of (person id, period ``YYYY-MM``,
    gross wage, sign), +1 for a line coming into force, -1 for one going out."""
    sums = [f"SUM(CASE WHEN s.month = {month} THEN s.sign ELSE 0 END)" for month in MONTHS] + [
        f"SUM(CASE WHEN s.month = {month} THEN s.sign * s.wage ELSE 0 END)" for month in MONTHS
    ]
    columns = _COUNTS + _WAGES
    return f"""
INSERT INTO contributions_insuredyear AS y (person_id, year, {", ".join(columns)})
SELECT s.person_id, s.year, {", ".join(sums)}
FROM (SELECT t.person_id, substr(t.period, 1, 4)::smallint AS year, substr(t.period, 6, 2)::int AS month,
             t.wage, t.sign
      FROM ({source}) AS t(person_id, period, wage, sign)) AS s
GROUP BY s.person_id, s.year
ON CONFLICT (person_id, year) DO UPDATE SET {", ".join(f"{column} = y.{column} + EXCLUDED.{column}" for column in columns)}
"""  # noqa: S608 — the columns are constants, the source a caller's constant query


_IN_FORCE_LINES = """
SELECT l.person_id, d.period, l.gross_wage, 1
FROM contributions_declarationline l JOIN contributions_declaration d ON d.id = l.declaration_id
WHERE d.status = 'in_force' AND l.gross_wage > 0 AND l.person_id = ANY(%(persons)s::bigint[])
"""


def insured_years_rebuild(*, person_ids: list[int]) -> None:
    """The insured years of these persons made again from their lines in force (after writes
    made with the triggers off), in the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM contributions_insuredyear WHERE person_id = ANY(%(persons)s::bigint[])",
            {"persons": int_array(person_ids)},
        )
        cursor.execute(years_upsert_sql(_IN_FORCE_LINES), {"persons": int_array(person_ids)})


@dataclass(frozen=True)
class InsuredCareer:
    """What a person's declared career counts for benefits, up to a period.

    ``insured_months``: the calendar months for which a declaration in force names the person
    with a gross wage above zero (two employers in one month count one month);
    ``wages_by_year``: the gross wages declared in force, per calendar year, oldest first (every
    employer together, as declared: not revalued, not capped); ``first_period`` and
    ``last_period``: the first and last such months."""

    person_id: int
    insured_months: int
    wages_by_year: tuple[tuple[int, Decimal], ...]
    first_period: Period
    last_period: Period


def _year_sql(last_month: int) -> str:
    """A year's months, wages, first and last month, counting its months up to ``last_month``."""
    months = MONTHS[:last_month]
    counted = " + ".join(f"({_COUNTS[month - 1]} > 0)::int" for month in months)
    wages = " + ".join(_WAGES[month - 1] for month in months)
    first = ", ".join(f"CASE WHEN {_COUNTS[month - 1]} > 0 THEN {month} END" for month in months)
    return f"{counted}, {wages}, LEAST({first}), GREATEST({first})"


def _careers_sql(until: Period) -> str:
    whole, part = _year_sql(12), _year_sql(until.month)
    return f"""
SELECT person_id, year, {whole} FROM contributions_insuredyear
WHERE person_id = ANY(%(persons)s::bigint[]) AND year < %(year)s
UNION ALL
SELECT person_id, year, {part} FROM contributions_insuredyear
WHERE person_id = ANY(%(persons)s::bigint[]) AND year = %(year)s
"""  # noqa: S608 — built of constants


def insured_careers(*, person_ids: list[int], until: Period) -> dict[int, InsuredCareer]:
    """The insured careers of these persons up to ``until`` included, in one query whatever
    their number (a row a person and year); a person never declared with a wage is absent."""
    with connection.cursor() as cursor:
        cursor.execute(_careers_sql(until), {"persons": int_array(person_ids), "year": until.year})
        rows = sorted(row for row in cursor.fetchall() if row[2])
    careers: dict[int, InsuredCareer] = {}
    for person_id, group in itertools.groupby(rows, key=operator.itemgetter(0)):
        years = list(group)  # oldest first: the first year's first month, the last year's last
        careers[person_id] = InsuredCareer(
            person_id=person_id,
            insured_months=sum(row[2] for row in years),
            wages_by_year=tuple((row[1], row[3]) for row in years),
            first_period=Period(years[0][1], years[0][4]),
            last_period=Period(years[-1][1], years[-1][5]),
        )
    return careers
