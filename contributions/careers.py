"""Insured careers, read from the insured years (``InsuredYear``: a row a person and year, not a
line a month) and the lines of the declarations they do not count yet.

A declaration's lines are **counted** in the insured years by the fold (``insured_years_fold``),
queued when declarations come into force (``contributions.in_force``), whatever the channel, and
every minute by the beat: it adds the lines of a declaration come into force and takes away
those of one no longer in force (replaced), in one transaction that marks them counted or not
(``Declaration.counted``). A bulk file's million lines are folded after its report, not while
it is being accepted. Until then, careers read the lines of those declarations as they are
(``TO_COUNT``): a career is the same before and after the fold.

The lines of a declaration in force are never changed (a correction is a new version, which
replaces it).
"""

from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from contributions.models import TO_COUNT, Declaration
from core.db import int_array
from core.periods import Period

MONTHS = range(1, 13)
_COUNTS = [f"m{month:02}" for month in MONTHS]
_WAGES = [f"w{month:02}" for month in MONTHS]
# ``TO_COUNT`` in SQL, of the declaration ``d`` (the careers' statement reads their lines).
_TO_COUNT = "((NOT d.counted AND d.status = 'in_force') OR (NOT (d.status = 'in_force') AND d.counted))"
# A line's place in a year's columns: +1 and its wage in its month, for a declaration in force
# (to count); -1 and minus its wage for one no longer in force (to take away).
_SIGN = "CASE WHEN d.status = 'in_force' THEN 1 ELSE -1 END"
_LINE_COLUMNS = ", ".join(
    [f"CASE WHEN substr(d.period, 6, 2)::int = {month} THEN {_SIGN} ELSE 0 END" for month in MONTHS]
    + [f"CASE WHEN substr(d.period, 6, 2)::int = {month} THEN {_SIGN} * l.gross_wage ELSE 0 END" for month in MONTHS]
)
_YEAR_COLUMNS = ", ".join(_COUNTS + _WAGES)
_FOLD = f"""
INSERT INTO contributions_insuredyear AS y (person_id, year, {_YEAR_COLUMNS})
SELECT s.person_id, s.year, {", ".join(f"SUM(s.{column})" for column in _COUNTS + _WAGES)}
FROM (SELECT l.person_id, substr(d.period, 1, 4)::smallint, {_LINE_COLUMNS}
      FROM contributions_declaration d JOIN contributions_declarationline l ON l.declaration_id = d.id
      WHERE d.id = ANY(%(declarations)s::bigint[]) AND l.gross_wage > 0) AS s(person_id, year, {_YEAR_COLUMNS})
GROUP BY s.person_id, s.year
ON CONFLICT (person_id, year) DO UPDATE
SET {", ".join(f"{column} = y.{column} + EXCLUDED.{column}" for column in _COUNTS + _WAGES)}
"""  # noqa: S608 — built of constants


def insured_years_fold() -> int:
    """Count the lines of the declarations come into force, and take away those of the ones no
    longer in force, in the insured years, in one transaction (two at once: the second waits for
    the first, then finds nothing left). Returns the declarations folded. Safe to run twice."""
    with transaction.atomic(), connection.cursor() as cursor:
        declarations = list(
            Declaration.objects.select_for_update().filter(TO_COUNT).order_by("pk").values_list("pk", flat=True)
        )
        if declarations:
            cursor.execute(_FOLD, {"declarations": int_array(declarations)})
            cursor.execute(
                "UPDATE contributions_declaration SET counted = (status = 'in_force')"
                " WHERE id = ANY(%(declarations)s::bigint[])",
                {"declarations": int_array(declarations)},
            )
    return len(declarations)


def insured_years_to_fold() -> bool:
    """Whether a declaration's lines wait to be counted or taken away."""
    return Declaration.objects.filter(TO_COUNT).exists()


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


def _careers_sql(until: Period, *, with_lines: bool) -> str:
    """The insured years of the persons, each year's months counted up to ``until``; with the
    lines of the declarations not counted yet, added up per year, when there are some."""
    whole, part = _year_sql(12), _year_sql(until.month)
    years = f"""
    SELECT person_id, year, {_YEAR_COLUMNS} FROM contributions_insuredyear
    WHERE person_id = ANY(%(persons)s::bigint[]) AND year <= %(year)s"""  # noqa: S608 — constants
    if with_lines:
        years = f"""
    SELECT person_id, year, {", ".join(f"SUM({column}) AS {column}" for column in _COUNTS + _WAGES)}
    FROM ({years}
        UNION ALL
        SELECT l.person_id, substr(d.period, 1, 4)::smallint, {_LINE_COLUMNS}
        FROM contributions_declaration d JOIN contributions_declarationline l ON l.declaration_id = d.id
        WHERE {_TO_COUNT} AND l.gross_wage > 0 AND l.person_id = ANY(%(persons)s::bigint[])
          AND d.period <= %(until)s
    ) AS both_parts
    GROUP BY person_id, year"""  # noqa: S608 — constants
    return f"""
WITH years AS ({years})
SELECT person_id, year, {whole} FROM years WHERE year < %(year)s
UNION ALL
SELECT person_id, year, {part} FROM years WHERE year = %(year)s
"""  # noqa: S608 — built of constants


def insured_careers(*, person_ids: list[int], until: Period) -> dict[int, InsuredCareer]:
    """The insured careers of these persons up to ``until`` included, in the queries of one
    whatever their number (a row a person and year, with the lines of the declarations not
    counted yet, if any); a person never declared with a wage is absent."""
    with transaction.atomic(), connection.cursor() as cursor:
        with_lines = insured_years_to_fold()
        if with_lines:
            # The planner's guess of the lines' part is far above what it reads (a few
            # declarations): compiling the statement would cost seconds.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            _careers_sql(until, with_lines=with_lines),
            {"persons": int_array(person_ids), "year": until.year, "until": str(until)},
        )
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
