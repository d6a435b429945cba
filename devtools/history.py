"""A paid contribution history written in SQL: employments, one declaration in force per month
with one line per person (3,000.00 gross, employee category, 2026 demo rates), the debits, and the
payments with their allocations. The benchmarks' 40-year records and the demo's past careers."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from django.db import connection

from contributions.ledger import payment_due_date, structured_reference
from core.periods import Period
from identity.models import Enterprise, User

# One employee line of 3,000.00 (employee category, 2026 demo rates): 339.60 + 633.30.
LINE_EMPLOYEE, LINE_TOTAL = Decimal("339.60"), Decimal("972.90")


def paid_history(
    enterprise: Enterprise,
    person_ids: list[int],
    periods: list[Period],
    author: User,
    now: datetime.datetime,
    *,
    unpaid: int,
) -> None:
    """Employments, one declaration per period with one line per person, the debits, and
    credits with their allocations for all but the last ``unpaid`` periods — in SQL."""
    first_day, last_day = periods[0].first_day, periods[-1].last_day
    lines = len(person_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contributions_employment (enterprise_id, person_id, worker_category, start_date,"
            " end_date, declared_at) SELECT %s, p, 'employee', %s, %s, %s FROM unnest(%s::bigint[]) AS p",
            [enterprise.pk, first_day, last_day if lines == 1 else None, now, person_ids],
        )
        totals = json.dumps(
            {
                "pension": [str(Decimal("207.00") * lines), str(Decimal("256.50") * lines)],
                "health": [str(Decimal("106.50") * lines), str(Decimal("114.00") * lines)],
                "unemployment": [str(Decimal("26.10") * lines), str(Decimal("43.80") * lines)],
                "family": ["0.00", str(Decimal("210.00") * lines)],
                "work_injury": ["0.00", str(Decimal("9.00") * lines)],
            }
        )
        for period in periods:
            cursor.execute(
                "INSERT INTO contributions_declaration (enterprise_id, period, version, status, reference,"
                " channel, submitted_at, submitted_by_id, line_count, total_wages, totals)"
                " VALUES (%s, %s, 1, 'in_force', %s, 'file', %s, %s, %s, %s, %s) RETURNING id",
                [
                    enterprise.pk,
                    str(period),
                    f"B{enterprise.pk}-{period}",
                    now,
                    author.pk,
                    lines,
                    Decimal("3000.00") * lines,
                    totals,
                ],
            )
            (declaration_id,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO contributions_declarationline (declaration_id, line_number, person_id,"
                " worker_category, gross_wage, days_worked, employee_amount, employer_amount)"
                " SELECT %s, n, p, 'employee', 3000.00, 20, %s, %s"
                " FROM unnest(%s::bigint[]) WITH ORDINALITY AS t(p, n)",
                [declaration_id, LINE_EMPLOYEE, LINE_TOTAL - LINE_EMPLOYEE, person_ids],
            )
            reference = structured_reference(enterprise_number=enterprise.enterprise_number, letter="D", period=period)
            amount = LINE_TOTAL * lines
            cursor.execute(
                "INSERT INTO contributions_ledgerentry (enterprise_id, kind, amount, booked_on, due_on, period,"
                " payment_reference, declaration_id, source, created_at)"
                " VALUES (%s, 'declaration', %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                [
                    enterprise.pk,
                    amount,
                    period.next().first_day,
                    payment_due_date(period),
                    str(period),
                    reference,
                    declaration_id,
                    f"declaration:{declaration_id}",
                    now,
                ],
            )
            (debit_id,) = cursor.fetchone()
            if period in periods[len(periods) - unpaid :]:
                continue
            cursor.execute(
                "INSERT INTO contributions_ledgerentry (enterprise_id, kind, amount, booked_on, period,"
                " payment_reference, source, created_at)"
                " VALUES (%s, 'payment', %s, %s, '', %s, %s, %s) RETURNING id",
                [enterprise.pk, -amount, payment_due_date(period), reference, f"bench:{debit_id}", now],
            )
            (credit_id,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO contributions_allocation (credit_id, debit_id, amount, created_at)"
                " VALUES (%s, %s, %s, %s)",
                [credit_id, debit_id, amount, now],
            )
