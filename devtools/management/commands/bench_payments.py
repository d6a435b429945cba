"""Benchmark: the monthly benefit payment run over a million monthly entitlements.

Data (created once, kept for the next runs; marked by national numbers starting "BENCHPAY"):
``--count`` persons (1,000,000 by default), each with a bank account and an old-age pension
of 900.00 € to 1,899.00 € a month since last month, and last month's run, exported and paid
(so that this month's run finds, for each entitlement, what was already paid — as in a real
month). Written in SQL.

Measured (the run of the current month, deleted at the end; the data stays as it was):
- ``seconds_prepare``: the run prepared (one payment per entitlement, set-based);
- ``payments_created_second_run``: the same run prepared again at once (0 expected);
- ``seconds_export``: the run checked and approved by two users, and its pain.001 files written
  by two processes (as two workers would), each streaming its payments from the database.
It prints one JSON line: {"entitlements", "seconds_prepare", "seconds_export",
"payments_created_second_run", "files", "peak_rss_mb"} (peak of this process and the writers).
"""

from __future__ import annotations

import datetime
import json
import multiprocessing
import resource
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, connections, transaction
from django.utils import timezone

from benefits import services
from core.periods import Period

MARK = "BENCHPAY"


def _write(file_id: int) -> None:
    services.payment_file_write(file_id=file_id, now=timezone.now())


class Command(BaseCommand):
    help = "Time the monthly payment run over a million monthly entitlements, and its export."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=1_000_000)

    def handle(self, *args: Any, **options: Any) -> None:
        # As in production: no query log (DEBUG keeps every statement, a 3 MB file's included).
        settings.DEBUG = False
        count = options["count"]
        now = timezone.now()
        period = Period.of(timezone.localdate(now))
        started = time.monotonic()
        users = self._users()
        self._data(count, period, users[0], now)
        self.stderr.write(f"data ready in {time.monotonic() - started:.1f} s")
        self._forget(period)

        begun = time.monotonic()
        prepared = services.payment_run_prepare(period=period, user_id=None, now=now)
        seconds_prepare = time.monotonic() - begun
        again = services.payment_run_prepare(period=period, user_id=None, now=now)

        begun = time.monotonic()
        services.payment_run_submit(run_id=prepared.run_id, user_id=users[0], now=now)
        services.payment_run_approve(run_id=prepared.run_id, user_id=users[1], now=now)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM benefits_paymentfile WHERE run_id = %s ORDER BY id", [prepared.run_id])
            file_ids = [row[0] for row in cursor.fetchall()]
        connections.close_all()
        with multiprocessing.get_context("fork").Pool(2) as pool:
            pool.map(_write, file_ids, chunksize=1)
        seconds_export = time.monotonic() - begun
        with connection.cursor() as cursor:
            cursor.execute("SELECT status FROM benefits_paymentrun WHERE id = %s", [prepared.run_id])
            status = cursor.fetchone()[0]
        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_writers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        self._forget(period)
        self.stdout.write(
            json.dumps(
                {
                    "entitlements": count,
                    "seconds_prepare": round(seconds_prepare, 2),
                    "seconds_export": round(seconds_export, 2),
                    "payments_created": prepared.payments_created,
                    "payments_created_second_run": again.payments_created,
                    "files": len(file_ids),
                    "run_status": status,
                    "peak_rss_mb": round(max(peak_self, peak_writers) / 1024),
                    "peak_rss_mb_preparer": round(peak_self / 1024),
                    "peak_rss_mb_writers": round(peak_writers / 1024),
                }
            )
        )

    def _users(self) -> list[int]:
        model = get_user_model()
        ids = []
        for number in (1, 2):
            user, _created = model.objects.get_or_create(
                email=f"bench-payments-{number}@example.org", defaults={"first_name": "Bench", "last_name": str(number)}
            )
            ids.append(user.pk)
        return ids

    def _forget(self, period: Period) -> None:
        """The measured run, gone: the data is as it was before."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT id FROM benefits_paymentrun WHERE period = %s", [period.first_day])
            row = cursor.fetchone()
            if row is None:
                return
            for table in ("benefits_recoveryitem", "benefits_payment", "benefits_runskip", "benefits_paymentfile"):
                column = (
                    "payment_id IN (SELECT id FROM benefits_payment WHERE run_id = %s)"
                    if table == "benefits_recoveryitem"
                    else "run_id = %s"
                )
                cursor.execute(f"DELETE FROM {table} WHERE {column}", [row[0]])  # noqa: S608
            cursor.execute("DELETE FROM benefits_paymentrun WHERE id = %s", [row[0]])

    def _data(self, count: int, period: Period, user_id: int, now: datetime.datetime) -> None:
        previous = period.previous()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM identity_person WHERE national_number LIKE %s", [MARK + "%"])
            have = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(*) FROM benefits_paymentrun r JOIN benefits_payment p ON p.run_id = r.id"
                " WHERE r.period = %s AND p.end_to_end_id LIKE 'BENCH%%'",
                [previous.first_day],
            )
            paid = cursor.fetchone()[0]
        if have == count and paid == count:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            # The rows are consistent by construction: checking a million foreign keys at the
            # commit, one trigger each, would take longer than writing them (a superuser's setting).
            cursor.execute("SET LOCAL session_replication_role = replica")
            self._forget(previous)
            cursor.execute(
                "DELETE FROM benefits_entitlementamount WHERE entitlement_id IN (SELECT e.id FROM benefits_entitlement e"
                " JOIN identity_person p ON p.id = e.person_id WHERE p.national_number LIKE %s)",
                [MARK + "%"],
            )
            cursor.execute(
                "DELETE FROM benefits_entitlement WHERE person_id IN"
                " (SELECT id FROM identity_person WHERE national_number LIKE %s)",
                [MARK + "%"],
            )
            cursor.execute(
                "DELETE FROM identity_bankaccount WHERE person_id IN"
                " (SELECT id FROM identity_person WHERE national_number LIKE %s)",
                [MARK + "%"],
            )
            cursor.execute("DELETE FROM identity_person WHERE national_number LIKE %s", [MARK + "%"])
            cursor.execute(
                "INSERT INTO identity_person (national_number, first_name, last_name, birth_date, street, postal_code,"
                " city, country, preferred_language)"
                " SELECT %s || lpad(i::text, 8, '0'), 'Pensioner', 'Number ' || i, date '1950-01-01' + (i %% 3000),"
                " 'Rue ' || i, '1000', 'Bruxelles', 'BE', 'fr' FROM generate_series(1, %s) AS i",
                [MARK, count],
            )
            # A valid IBAN per person: FR76 + bank 30006 + branch 00001 + account + key; the key
            # and the check digits computed in SQL would be long: a handful of real IBANs, reused.
            cursor.execute(
                "INSERT INTO identity_bankaccount (person_id, iban, holder_name, created_at, created_by_id)"
                " SELECT id, (ARRAY['FR7630006000011234567890189', 'DE89370400440532013000',"
                " 'BE71096123456769', 'IT60X0542811101000000123456', 'ES9121000418450200051332'])[1 + id %% 5],"
                " first_name || ' ' || last_name, %s, %s FROM identity_person WHERE national_number LIKE %s",
                [now - datetime.timedelta(days=400), user_id, MARK + "%"],
            )
            cursor.execute(
                "INSERT INTO benefits_entitlement (person_id, scheme, periodicity, amount, start_on, iban, opened_at,"
                " state, suspension_reason, suspension_note)"
                " SELECT id, 'old_age_pension', 'monthly', 900 + id %% 1000, %s, '', %s, 'active', '', ''"
                " FROM identity_person WHERE national_number LIKE %s",
                [previous.first_day, now, MARK + "%"],
            )
            cursor.execute(
                "INSERT INTO benefits_entitlementamount (entitlement_id, since, amount, reason, reference, recorded_at)"
                " SELECT e.id, e.start_on, e.amount, 'decision', '', %s FROM benefits_entitlement e"
                " JOIN identity_person p ON p.id = e.person_id WHERE p.national_number LIKE %s",
                [now, MARK + "%"],
            )
            cursor.execute(
                "INSERT INTO benefits_paymentrun (period, pay_on, status, prepared_at, exported_at)"
                " VALUES (%s, %s, 'exported', %s, %s) RETURNING id",
                [previous.first_day, previous.first_day.replace(day=28), now, now],
            )
            run_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO benefits_payment (run_id, entitlement_id, person_id, scheme, months, gross, arrears,"
                " recovered, amount, iban, holder_name, end_to_end_id, status, answered_at, rejection_code)"
                " SELECT %s, e.id, e.person_id, e.scheme, daterange(%s, %s), e.amount, 0, 0, e.amount, b.iban,"
                " b.holder_name, 'BENCH' || e.id, 'paid', %s, '' FROM benefits_entitlement e"
                " JOIN identity_bankaccount b ON b.person_id = e.person_id AND b.ended_at IS NULL"
                " JOIN identity_person p ON p.id = e.person_id WHERE p.national_number LIKE %s",
                [run_id, previous.first_day, period.first_day, now, MARK + "%"],
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
