"""Reads of a person's contribution record: month by month and per employer, the declared wage
and days, the employee's contributions, and whether the employer paid the period — with the
months the register says the person worked but no declaration names them. A fixed number of
queries whatever the length of the history (forty years, several employers)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

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
