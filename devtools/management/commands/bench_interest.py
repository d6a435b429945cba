"""Benchmark: the monthly late-payment interest run over a population of enterprises, and its
catch-up after many declarations filed late.

Data (created once, kept for the next runs; marked by the enterprise numbers of serials from
970000): ``--enterprises`` enterprises (20,000 by default), each with 24 months of contributions
(2024-01 to 2025-12, 972.90 € a month, each recorded when it was booked), every month paid on
its due date but for one enterprise in ten, whose last three months are unpaid — about 960,000 ledger entries and 470,000
allocations, written in SQL.

Two measures, each inside a transaction rolled back at the end (the data stays as it was):
- the interest of December 2025 for every enterprise (the run of 1 January 2026);
- the same run after one enterprise in ten filed June 2024 late, in December 2025: the
  interest of December and the catch-up of the 17 months from July 2024 to November 2025 for
  those enterprises.
It prints one JSON line: {"month": {"seconds", "posted"}, "catch_up": {"seconds", "posted",
"late_filers"}, "peak_rss_mb"}.
"""

from __future__ import annotations

import datetime
import json
import resource
import time
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from contributions import ledger
from core.periods import Period
from identity.country_profiles import country_profile
from identity.models import Enterprise

FIRST_SERIAL = 970000
MONTHS = 24
FIRST_PERIOD = Period(2024, 1)
RUN_MONTH = Period(2025, 12)
RUN_AT = datetime.datetime(2026, 1, 1, 3, 0, tzinfo=datetime.UTC)
LATE_PERIOD = Period(2024, 6)
LATE_FILED_AT = datetime.datetime(2025, 12, 10, 9, 0, tzinfo=datetime.UTC)
AMOUNT = Decimal("972.90")


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time the monthly interest run over a population of enterprises, and its catch-up after late filings."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--enterprises", type=int, default=20000)

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["enterprises"]
        started = time.monotonic()
        enterprise_ids = self._data(count)
        self.stderr.write(f"data ready in {time.monotonic() - started:.1f} s ({len(enterprise_ids)} enterprises)")
        month = self._measure(lambda: None)
        late = enterprise_ids[::10]
        catch_up = self._measure(lambda: self._file_late(late))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            json.dumps(
                {
                    "month": month,
                    "catch_up": {**catch_up, "late_filers": len(late)},
                    "peak_rss_mb": round(peak),
                }
            )
        )

    def _measure(self, before: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        try:
            with transaction.atomic():
                before()
                begun = time.monotonic()
                result["posted"] = ledger.interest_post(month=RUN_MONTH, now=RUN_AT)
                result["seconds"] = round(time.monotonic() - begun, 2)
                raise _Rollback
        except _Rollback:
            pass
        return result

    def _file_late(self, enterprise_ids: list[int]) -> None:
        """June 2024 declared in December 2025 by these enterprises (its debit only: what the
        interest reads), in one statement."""
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO contributions_ledgerentry (enterprise_id, kind, amount, booked_on, due_on, period,"
                " payment_reference, source, created_at)"
                " SELECT e.id, 'declaration', %(amount)s, %(booked)s, %(due)s, %(period)s,"
                " 'RF00' || e.enterprise_number || 'D' || %(compact)s, 'bench-late:' || e.id, %(at)s"
                " FROM identity_enterprise e WHERE e.id = ANY(%(ids)s)",
                {
                    "amount": AMOUNT,
                    "booked": LATE_FILED_AT.date(),
                    "due": ledger.payment_due_date(LATE_PERIOD),
                    "period": str(LATE_PERIOD),
                    "compact": f"{LATE_PERIOD.year:04d}{LATE_PERIOD.month:02d}",
                    "at": LATE_FILED_AT,
                    "ids": enterprise_ids,
                },
            )

    def _data(self, count: int) -> list[int]:
        profile = country_profile()
        numbers = [profile.synthetic_enterprise_number(FIRST_SERIAL + index) for index in range(count)]
        existing = dict(Enterprise.objects.filter(enterprise_number__in=numbers).values_list("enterprise_number", "pk"))
        if len(existing) == count:
            return [existing[number] for number in numbers]
        self.stderr.write("creating the benchmark data (once)…")
        with transaction.atomic():
            Enterprise.objects.bulk_create(
                [
                    Enterprise(enterprise_number=number, name=f"Bench interest {index}")
                    for index, number in enumerate(numbers)
                    if number not in existing
                ],
                batch_size=5000,
            )
            ids = dict(Enterprise.objects.filter(enterprise_number__in=numbers).values_list("enterprise_number", "pk"))
            new = [ids[number] for number in numbers if number not in existing]
            with connection.cursor() as cursor:
                # The debits: one a month, due on the 15th of the next month.
                cursor.execute(
                    "INSERT INTO contributions_ledgerentry (enterprise_id, kind, amount, booked_on, due_on, period,"
                    " payment_reference, source, created_at)"
                    " SELECT e.id, 'declaration', %(amount)s, (m + interval '1 month')::date,"
                    " (m + interval '1 month' + interval '14 days')::date, to_char(m, 'YYYY-MM'),"
                    " 'RF00' || e.enterprise_number || 'D' || to_char(m, 'YYYYMM'),"
                    " 'bench-interest:' || e.id || ':' || to_char(m, 'YYYY-MM'), m + interval '1 month'"
                    " FROM identity_enterprise e,"
                    " generate_series(%(first)s::date, %(last)s::date, interval '1 month') AS m"
                    " WHERE e.id = ANY(%(ids)s)",
                    {
                        "amount": AMOUNT,
                        "first": FIRST_PERIOD.first_day,
                        "last": RUN_MONTH.first_day,
                        "ids": new,
                    },
                )
                # Paid on the due date, but the last three months of one enterprise in ten.
                cursor.execute(
                    "INSERT INTO contributions_ledgerentry (enterprise_id, kind, amount, booked_on, period,"
                    " payment_reference, source, created_at)"
                    " SELECT d.enterprise_id, 'payment', -d.amount, d.due_on, '', d.payment_reference,"
                    " 'bench-paid:' || d.id, d.due_on"
                    " FROM contributions_ledgerentry d"
                    " WHERE d.enterprise_id = ANY(%(ids)s) AND d.source LIKE 'bench-interest:%%'"
                    " AND NOT (d.enterprise_id %% 10 = 0 AND d.period > %(paid_until)s)",
                    {"ids": new, "paid_until": str(Period(2025, 9))},
                )
                cursor.execute(
                    "INSERT INTO contributions_allocation (credit_id, debit_id, amount, created_at)"
                    " SELECT c.id, d.id, -c.amount, c.created_at"
                    " FROM contributions_ledgerentry c"
                    " JOIN contributions_ledgerentry d ON d.id = substr(c.source, 12)::bigint"
                    " WHERE c.enterprise_id = ANY(%(ids)s) AND c.source LIKE 'bench-paid:%%'",
                    {"ids": new},
                )
        with connection.cursor() as cursor:
            for table in ("identity_enterprise", "contributions_ledgerentry", "contributions_allocation"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        return [ids[number] for number in numbers]
