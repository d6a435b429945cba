"""Reads of a person's contribution record: month by month and per employer, the declared wage
and days, the employee's contributions, and whether the employer paid the period — with the
months the register says the person worked but no declaration names them. A fixed number of
queries whatever the length of the history (forty years, several employers)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from contributions.account import periods_payment
from contributions.discrepancies import reports_of_person
from contributions.ledger import payment_due_date
from contributions.models import DeclarationLine, DeclarationStatus, Employment
from contributions.policies import can_view_record
from contributions.types import ContributionRecord, RecordMonth, RecordStatus, RecordYear
from core.actor import Actor
from core.audit import file_view_record
from core.caching import Versioned
from core.db import prepared_cursor
from core.periods import Period
from identity.selectors import enterprise_names


def _months_between(start: datetime.date, end: datetime.date) -> list[str]:
    """The periods (YYYY-MM) from the month of ``start`` to that of ``end``, included."""
    first, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    return [f"{index // 12:04d}-{index % 12 + 1:02d}" for index in range(first, last + 1)]


# Everything a record is computed from leaves a new row: a declaration (a replacement too), an
# employment event, a ledger entry, an allocation, a discrepancy report or a step of its case (a
# staff decision, the employer's correction) — tables that are only
# inserted into. The record is cached under their last ids and counts (and the day: statuses
# change with due dates): a row committed after one with a higher id still changes the count, so
# a cached record is never stale, and checking it costs one query instead of the five that
# compute it. Two changes are updates, counted apart: a bulk file's declarations come into force
# together (pending, then in force: the count of those in force), and a report moves on (each
# move leaves a step).
# The person's employers are those of their lines and of their hires, gathered once (OFFSET 0
# keeps the planner from copying that subquery into each count); the query is prepared (its
# planning cost more than running it).
_RECORD_VERSION_SQL = """
SELECT
    (SELECT COALESCE(MAX(d.id), 0) || '.' || COUNT(*) || '.' || COUNT(*) FILTER (WHERE d.status = 'in_force')
        FROM contributions_declaration d WHERE d.enterprise_id = ANY(employers.ids)),
    (SELECT COALESCE(MAX(v.id), 0) || '.' || COUNT(*) FROM contributions_employment e
        JOIN contributions_employmentevent v ON v.employment_id = e.id WHERE e.person_id = %(person)s),
    (SELECT COALESCE(MAX(g.id), 0) || '.' || COUNT(*) FROM contributions_ledgerentry g
        WHERE g.enterprise_id = ANY(employers.ids)),
    (SELECT COALESCE(MAX(a.id), 0) || '.' || COUNT(*) FROM contributions_ledgerentry g
        JOIN contributions_allocation a ON a.debit_id = g.id WHERE g.enterprise_id = ANY(employers.ids)),
    (SELECT COALESCE(MAX(r.id), 0) || '.' || COUNT(*)
        FROM contributions_discrepancyreport r WHERE r.person_id = %(person)s),
    (SELECT COALESCE(MAX(s.id), 0) || '.' || COUNT(*) FROM contributions_discrepancyreport r
        JOIN contributions_discrepancystep s ON s.report_id = r.id WHERE r.person_id = %(person)s)
FROM (
    SELECT ARRAY(
        SELECT d.enterprise_id FROM contributions_declarationline l
        JOIN contributions_declaration d ON d.id = l.declaration_id WHERE l.person_id = %(person)s
        UNION
        SELECT e.enterprise_id FROM contributions_employment e WHERE e.person_id = %(person)s
    ) AS ids
    OFFSET 0
) AS employers
"""
_RECORD_CACHE_SECONDS = 3600

# The same keys for many persons at once, in two queries whatever their number, each part
# counted and written as _RECORD_VERSION_SQL counts and writes it. The employer-level parts are
# counted once per employer, then summed over each distinct set of employers (the MAX of the
# maxima, the SUM of the counts): a declaration, an entry or an allocation belongs to one
# employer and a set names each employer once, so these are the counts over the set's union.
# The person-level parts are grouped by person. The persons' lines are the one large read: the
# first query finds who has any (one index probe each), so that the planner, given only them,
# reads a few persons' lines by the index and many persons' by one scan of the table (the
# benchmark's 15,000 forty-year records: 2 to 3 s; 100,000 persons without lines: 0.4 s). The
# two statements see the database a moment apart: a person's very first line committed between
# them shows in the next call's key.
_DECLARED_SQL = """
SELECT p.id FROM unnest(%(persons)s::bigint[]) AS p(id)
CROSS JOIN LATERAL (SELECT FROM contributions_declarationline l WHERE l.person_id = p.id LIMIT 1) AS declared
"""
_RECORD_VERSIONS_SQL = """
WITH person_employer AS (
    SELECT l.person_id, d.enterprise_id
    FROM contributions_declarationline l JOIN contributions_declaration d ON d.id = l.declaration_id
    WHERE l.person_id = ANY(%(declared)s::bigint[])
    GROUP BY l.person_id, d.enterprise_id
    UNION
    SELECT e.person_id, e.enterprise_id FROM contributions_employment e WHERE e.person_id = ANY(%(persons)s::bigint[])
),
person_set AS (
    SELECT person_id, array_agg(enterprise_id ORDER BY enterprise_id) AS ids FROM person_employer GROUP BY person_id
),
employer AS (
    SELECT DISTINCT enterprise_id AS id FROM person_employer
),
declarations AS (
    SELECT d.enterprise_id, MAX(d.id) AS last, COUNT(*) AS counted,
           COUNT(*) FILTER (WHERE d.status = 'in_force') AS in_force
    FROM contributions_declaration d WHERE d.enterprise_id IN (SELECT id FROM employer)
    GROUP BY d.enterprise_id
),
entries AS (
    SELECT g.enterprise_id, MAX(g.id) AS last, COUNT(*) AS counted
    FROM contributions_ledgerentry g WHERE g.enterprise_id IN (SELECT id FROM employer)
    GROUP BY g.enterprise_id
),
allocations AS (
    SELECT g.enterprise_id, MAX(a.id) AS last, COUNT(*) AS counted
    FROM contributions_ledgerentry g JOIN contributions_allocation a ON a.debit_id = g.id
    WHERE g.enterprise_id IN (SELECT id FROM employer)
    GROUP BY g.enterprise_id
),
employer_set AS (
    SELECT s.ids,
        COALESCE(MAX(d.last), 0) || '.' || COALESCE(SUM(d.counted), 0)::bigint
            || '.' || COALESCE(SUM(d.in_force), 0)::bigint AS declarations,
        COALESCE(MAX(g.last), 0) || '.' || COALESCE(SUM(g.counted), 0)::bigint AS entries,
        COALESCE(MAX(a.last), 0) || '.' || COALESCE(SUM(a.counted), 0)::bigint AS allocations
    FROM (SELECT DISTINCT ids FROM person_set) AS s
    CROSS JOIN LATERAL unnest(s.ids) AS member(id)
    LEFT JOIN declarations d ON d.enterprise_id = member.id
    LEFT JOIN entries g ON g.enterprise_id = member.id
    LEFT JOIN allocations a ON a.enterprise_id = member.id
    GROUP BY s.ids
),
events AS (
    SELECT e.person_id, MAX(v.id) || '.' || COUNT(*) AS part
    FROM contributions_employment e JOIN contributions_employmentevent v ON v.employment_id = e.id
    WHERE e.person_id = ANY(%(persons)s::bigint[])
    GROUP BY e.person_id
),
reports AS (
    SELECT r.person_id, MAX(r.id) || '.' || COUNT(*) AS part
    FROM contributions_discrepancyreport r WHERE r.person_id = ANY(%(persons)s::bigint[])
    GROUP BY r.person_id
),
steps AS (
    SELECT r.person_id, MAX(s.id) || '.' || COUNT(*) AS part
    FROM contributions_discrepancyreport r JOIN contributions_discrepancystep s ON s.report_id = r.id
    WHERE r.person_id = ANY(%(persons)s::bigint[])
    GROUP BY r.person_id
)
SELECT p.id, 'contributions:record:' || p.id || ':' || %(today)s::text
    || ':' || COALESCE(es.declarations, '0.0.0') || ':' || COALESCE(v.part, '0.0')
    || ':' || COALESCE(es.entries, '0.0') || ':' || COALESCE(es.allocations, '0.0')
    || ':' || COALESCE(r.part, '0.0') || ':' || COALESCE(s.part, '0.0')
FROM unnest(%(persons)s::bigint[]) AS p(id)
LEFT JOIN person_set ps ON ps.person_id = p.id
LEFT JOIN employer_set es ON es.ids = ps.ids
LEFT JOIN events v ON v.person_id = p.id
LEFT JOIN reports r ON r.person_id = p.id
LEFT JOIN steps s ON s.person_id = p.id
"""


def contribution_record_source(*, person_id: int, today: datetime.date) -> Versioned[ContributionRecord]:
    """The person's record as of ``today``, named by what it is computed from (one query): its
    ``key`` changes whenever the record would; ``load()`` reads it."""
    with prepared_cursor() as cursor:
        cursor.execute(_RECORD_VERSION_SQL, {"person": person_id})
        version = cursor.fetchone()
    return Versioned(
        key="contributions:record:{}:{}:{}".format(person_id, today.isoformat(), ":".join(str(v) for v in version)),
        compute=lambda: _record_compute(person_id=person_id, today=today),
        kind=ContributionRecord,
        seconds=_RECORD_CACHE_SECONDS,
    )


def contribution_record_keys(*, person_ids: Sequence[int], today: datetime.date) -> dict[int, str]:
    """For each of these persons, the ``key`` of ``contribution_record_source`` — the same
    string — in two queries whatever their number."""
    # Each person once (the planner counts them by the array's length), the array written as
    # text once rather than by psycopg for each placeholder.
    persons = "{" + ",".join(str(int(person_id)) for person_id in dict.fromkeys(person_ids)) + "}"
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # JIT compiling the plan cost 1.3 s and saved nothing on the benchmark (measured).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(_DECLARED_SQL, {"persons": persons})
        declared = "{" + ",".join(str(person_id) for (person_id,) in cursor.fetchall()) + "}"
        cursor.execute(_RECORD_VERSIONS_SQL, {"persons": persons, "declared": declared, "today": today.isoformat()})
        return dict(cursor.fetchall())


def contribution_record(*, person_id: int, today: datetime.date) -> ContributionRecord:
    """The person's record, newest month first, with the months they reported wrong (the
    caller has checked who may read it and recorded the access)."""
    return contribution_record_source(person_id=person_id, today=today).load()


def _record_compute(*, person_id: int, today: datetime.date) -> ContributionRecord:
    lines = list(
        DeclarationLine.objects.filter(person_id=person_id, declaration__status=DeclarationStatus.IN_FORCE).values_list(
            "declaration__enterprise_id", "declaration__period", "gross_wage", "days_worked", "employee_amount"
        )
    )
    employments = list(
        Employment.objects.filter(person_id=person_id, cancelled_at__isnull=True)
        .filter(Q(start_date__lte=today))
        .values_list("enterprise_id", "start_date", "end_date")
    )
    declared = {(enterprise_id, period): (wage, days, amount) for enterprise_id, period, wage, days, amount in lines}
    # Months the register says the person worked, up to the last month that has ended.
    last_ended = Period.of(today).previous().last_day
    worked = {
        (enterprise_id, period)
        for enterprise_id, start, end in employments
        for period in _months_between(start, min(end or last_ended, last_ended))
    }
    enterprise_ids = sorted({key[0] for key in declared} | {key[0] for key in worked})
    payment = periods_payment(enterprise_ids=enterprise_ids, today=today)
    names = enterprise_names(enterprise_ids=enterprise_ids)
    months = []
    for key in declared.keys() | worked:
        enterprise_id, period = key
        if key in declared:
            wage, days, amount = declared[key]
            account = payment.get(key)
            if account is None:  # nothing owed for the period (its contributions total zero)
                status = RecordStatus.NOTHING_DUE
            else:
                status = {
                    "paid": RecordStatus.PAID,
                    "not_yet_due": RecordStatus.NOT_YET_DUE,
                    "overdue": RecordStatus.DECLARED_NOT_PAID,
                }[account.status]
            months.append(RecordMonth(period, enterprise_id, names.get(enterprise_id, ""), wage, days, amount, status))
        else:
            due = payment_due_date(Period.parse(period))
            status = RecordStatus.NOT_DECLARED if due < today else RecordStatus.NOT_YET_DUE
            months.append(RecordMonth(period, enterprise_id, names.get(enterprise_id, ""), None, None, None, status))
    months.sort(key=lambda month: (month.period, month.enterprise_name), reverse=True)
    return ContributionRecord(months=months, years=_years(months), reports=reports_of_person(person_id=person_id))


def _years(months: list[RecordMonth]) -> list[RecordYear]:
    by_year: dict[int, list[RecordMonth]] = defaultdict(list)
    for month in months:
        by_year[int(month.period[:4])].append(month)
    years = []
    for year, rows in sorted(by_year.items(), reverse=True):
        declared = {row.period for row in rows if row.gross_wage is not None}
        # A month is paid when every employer's row of it is settled — paid, or declared with
        # nothing due — and at least one was paid: one employer of two paying is not enough,
        # and a month worked but not declared by one of them is not paid.
        statuses: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            statuses[row.period].add(row.status)
        paid = {
            period
            for period, found in statuses.items()
            if RecordStatus.PAID in found and found <= {RecordStatus.PAID, RecordStatus.NOTHING_DUE}
        }
        years.append(
            RecordYear(
                year=year,
                months_declared=len(declared),
                months_paid=len(paid),
                gaps=sum(1 for row in rows if row.is_gap),
                total_wages=sum((row.gross_wage or Decimal(0) for row in rows), Decimal("0.00")),
                employee_contributions=sum((row.employee_contributions or Decimal(0) for row in rows), Decimal("0.00")),
            )
        )
    return years


def contribution_record_source_get(
    *, actor: Actor, person_id: int, now: datetime.datetime
) -> Versioned[ContributionRecord] | None:
    """The record of the open file, if the actor may view it (the person, a proxy whose mandate
    allows viewing the file, staff at the counter); None otherwise. A read by anyone but the
    person is written in their trail."""
    if not can_view_record(actor=actor, person_id=person_id):
        return None
    file_view_record(actor=actor, subject_person_id=person_id, what="contribution record", now=now)
    return contribution_record_source(person_id=person_id, today=timezone.localdate(now))


def contribution_record_get(*, actor: Actor, person_id: int, now: datetime.datetime) -> ContributionRecord | None:
    """As ``contribution_record_source_get``, the record itself."""
    source = contribution_record_source_get(actor=actor, person_id=person_id, now=now)
    return None if source is None else source.load()
