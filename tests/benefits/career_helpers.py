"""A person's insured career written straight into the declarations tables (one declaration in
force per month, one line each): forty years of record in one statement per employer."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from core.periods import Period
from tests.identity.factories import EnterpriseFactory, UserFactory


def career(person, first: str, last: str, monthly_wage: str = "3000.00", *, enterprise=None) -> None:
    """``person`` declared with ``monthly_wage`` every month from ``first`` to ``last`` included."""
    enterprise = enterprise or EnterpriseFactory()
    author = UserFactory()
    periods = [str(period) for period in Period.parse(first).through(Period.parse(last))]
    wage = Decimal(monthly_wage)
    now = timezone.now() - datetime.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH declarations AS (
                INSERT INTO contributions_declaration (enterprise_id, period, version, status, reference, channel,
                    submitted_at, submitted_by_id, line_count, total_wages, totals)
                SELECT %(enterprise)s, p, 1, 'in_force', 'T' || %(enterprise)s || '-' || p, 'form', %(now)s,
                    %(author)s, 1, %(wage)s, '{}'::jsonb
                FROM unnest(%(periods)s::text[]) AS p
                RETURNING id
            )
            INSERT INTO contributions_declarationline (declaration_id, line_number, person_id, worker_category,
                gross_wage, days_worked, employee_amount, employer_amount)
            SELECT id, 1, %(person)s, 'employee', %(wage)s, 20, 0, 0 FROM declarations
            """,
            {
                "enterprise": enterprise.pk,
                "now": now,
                "author": author.pk,
                "wage": wage,
                "periods": periods,
                "person": person.pk,
            },
        )
