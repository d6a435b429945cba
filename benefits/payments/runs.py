"""The monthly payment run: prepared for a month by set-based SQL, checked by a finance
officer, approved by another, then exported as ``pain.001`` files (``benefits.payments.bank``).

Preparing is safe to repeat or to run twice at once (an advisory lock per month, one payment per
entitlement and run, never two paying payments from the same month: the database's constraints);
each run only adds
what a new entitlement, a resumption or a changed bank account made due since the last. Until
the run is checked nothing of it has left the institution.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from benefits.models import PAYING, PaymentRun, PaymentStatus, RunStatus
from benefits.payments import amounts, bank, deaths, iso
from benefits.types import PaymentRefused
from core.locks import LockNamespace, advisory_lock
from core.periods import Period
from core.tasks import enqueue
from identity.selectors import current_bank_accounts_sql


def pay_day(period: Period) -> datetime.date:
    """The day the run of ``period`` is paid: ``PAYMENT_DAY`` of the month (its last day in a
    shorter month)."""
    return period.first_day.replace(day=min(settings.PAYMENT_DAY, period.days))


# What is due for the run of a month: for every entitlement in payment, the months from its first
# month not yet paid (or being paid) to the run's month (a one-off grant: its month) — or, when a
# late rejection left months unpaid before a month paid, those months first — their gross
# amount — each month at the amount in force in it — and the part of it for earlier months. Then
# whether it is paid: not while suspended, without an account, or with the account the bank
# rejected for it (until the person records one again).
_DUE = """
CREATE TEMPORARY TABLE payment_due ON COMMIT DROP AS
WITH last_run AS MATERIALIZED (
    -- The months paid by the run before this one, up to its month's end: where most
    -- entitlements' next month starts (one that stopped short — a hole filled, an end — is
    -- looked up in full below).
    SELECT p.entitlement_id, upper(p.months) AS paid_until
    FROM benefits_payment p
    JOIN (SELECT id, period FROM benefits_paymentrun WHERE period < %(period)s ORDER BY period DESC LIMIT 1) AS run
      ON p.run_id = run.id
    WHERE p.status IN {paying} AND upper(p.months) = (run.period + interval '1 month')::date
), holes AS MATERIALIZED (
    -- Months a rejected or stopped payment left unpaid while a later month was paid (a bank's
    -- late rejection): the earliest, paid first, up to the next month paid.
    SELECT x.entitlement_id, min(lower(x.months)) AS hole_start
    FROM benefits_payment x
    WHERE x.status IN ('rejected', 'stopped')
      AND NOT EXISTS (SELECT 1 FROM benefits_payment p WHERE p.entitlement_id = x.entitlement_id
                      AND p.status IN {paying} AND p.months @> lower(x.months))
      AND EXISTS (SELECT 1 FROM benefits_payment q WHERE q.entitlement_id = x.entitlement_id
                  AND q.status IN {paying} AND lower(q.months) > lower(x.months))
    GROUP BY x.entitlement_id
), candidate AS MATERIALIZED (
    SELECT e.id AS entitlement_id, e.person_id, e.scheme, e.state, e.suspension_reason,
           GREATEST(
               date_trunc('month', e.start_on)::date,
               COALESCE(
                   holes.hole_start,
                   last_run.paid_until,
                   (SELECT max(upper(p.months)) FROM benefits_payment p
                    WHERE p.entitlement_id = e.id AND p.status IN {paying}),
                   '-infinity'::date
               )
           ) AS first_month,
           LEAST(
               CASE WHEN e.periodicity = 'once' THEN (date_trunc('month', e.start_on) + interval '1 month')::date
                    ELSE LEAST(%(period_end)s, COALESCE((date_trunc('month', e.end_on) + interval '1 month')::date,
                                                        %(period_end)s))
               END,
               CASE WHEN holes.hole_start IS NOT NULL THEN
                    (SELECT min(lower(q.months)) FROM benefits_payment q
                     WHERE q.entitlement_id = e.id AND q.status IN {paying} AND lower(q.months) > holes.hole_start)
               END
           ) AS end_month
    FROM benefits_entitlement e
    LEFT JOIN last_run ON last_run.entitlement_id = e.id
    LEFT JOIN holes ON holes.entitlement_id = e.id
    WHERE e.ended_at IS NULL AND e.state <> 'ended' AND e.start_on < %(period_end)s
      AND NOT EXISTS (SELECT 1 FROM benefits_payment p WHERE p.entitlement_id = e.id AND p.run_id = %(run)s)
), due AS MATERIALIZED (
    SELECT c.*,
           -- One month (most of them): the amount in force in it; several: each month's, added.
           CASE WHEN c.end_month = (c.first_month + interval '1 month')::date THEN
                (SELECT a.amount FROM benefits_entitlementamount a
                 WHERE a.entitlement_id = c.entitlement_id AND a.since < c.end_month
                 ORDER BY a.since DESC LIMIT 1)
           ELSE
                (SELECT sum(in_force.amount)
                 FROM generate_series(c.first_month, (c.end_month - interval '1 month')::date, interval '1 month')
                      AS month
                 CROSS JOIN LATERAL (
                     SELECT a.amount FROM benefits_entitlementamount a
                     WHERE a.entitlement_id = c.entitlement_id AND a.since < month + interval '1 month'
                     ORDER BY a.since DESC LIMIT 1
                 ) AS in_force)
           END AS gross,
           CASE WHEN c.first_month >= %(period)s THEN 0
           ELSE
                (SELECT coalesce(sum(in_force.amount), 0)
                 FROM generate_series(c.first_month, LEAST(c.end_month, %(period)s) - interval '1 month',
                                      interval '1 month') AS month
                 CROSS JOIN LATERAL (
                     SELECT a.amount FROM benefits_entitlementamount a
                     WHERE a.entitlement_id = c.entitlement_id AND a.since < month + interval '1 month'
                     ORDER BY a.since DESC LIMIT 1
                 ) AS in_force)
           END AS arrears
    FROM candidate c
    WHERE c.first_month < c.end_month
)
SELECT d.*, account.iban, account.holder_name,
       CASE WHEN d.state = 'suspended' THEN 'suspended'
            WHEN account.iban IS NULL THEN 'no_account'
            WHEN EXISTS (SELECT 1 FROM benefits_payment r
                         WHERE r.entitlement_id = d.entitlement_id AND r.status = 'rejected'
                           AND r.iban = account.iban AND r.answered_at >= account.since) THEN 'account_rejected'
       END AS skip
FROM due d
LEFT JOIN ({accounts}) AS account ON account.person_id = d.person_id
WHERE d.gross > 0
"""

_PAY = """
INSERT INTO benefits_payment (run_id, entitlement_id, person_id, scheme, months, gross, arrears, recovered, amount,
                              iban, holder_name, end_to_end_id, status, rejection_code)
SELECT %(run)s, entitlement_id, person_id, scheme, daterange(first_month, end_month), gross, arrears, 0, gross,
       iban, holder_name, %(prefix)s || entitlement_id, %(pending)s, ''
FROM payment_due WHERE skip IS NULL
"""

_SKIP = """
INSERT INTO benefits_runskip (run_id, entitlement_id, reason, detail)
SELECT %(run)s, entitlement_id, skip, CASE WHEN skip = 'suspended' THEN suspension_reason ELSE '' END
FROM payment_due WHERE skip IS NOT NULL
"""
# The skips are the run's picture of what it does not pay, drawn again at every preparation: an
# account recorded or a suspension lifted since the last one lets the entitlement in.
_UNSKIP = "DELETE FROM benefits_runskip WHERE run_id = %(run)s"

# The oldest sum to recover on each payment's entitlement is netted from it: at most
# RECOVERY_SHARE of the gross, at most what is outstanding.
_RECOVER = """
WITH take AS (
    SELECT DISTINCT ON (p.id) p.id AS payment_id, r.id AS recovery_id,
           LEAST(r.outstanding, round(p.gross * %(share)s, 2)) AS amount
    FROM benefits_payment p
    JOIN benefits_recovery r ON r.entitlement_id = p.entitlement_id AND r.outstanding > 0
    WHERE p.run_id = %(run)s AND p.recovered = 0
    ORDER BY p.id, r.created_at, r.id
), items AS (
    INSERT INTO benefits_recoveryitem (recovery_id, payment_id, amount)
    SELECT recovery_id, payment_id, amount FROM take WHERE amount > 0
    RETURNING recovery_id, payment_id, amount
), paid AS (
    UPDATE benefits_payment p SET recovered = i.amount, amount = p.gross - i.amount
    FROM items i WHERE p.id = i.payment_id
)
UPDATE benefits_recovery r SET outstanding = r.outstanding - i.amount FROM items i WHERE r.id = i.recovery_id
"""


@dataclass(frozen=True)
class Prepared:
    run_id: int
    payments_created: int
    # The entitlements due that the run does not pay, after this preparation.
    skips_created: int
    recoveries: int


def _month_key(period: Period) -> int:
    return period.year * 100 + period.month


def run_prepare(*, period: Period, user_id: int | None, now: datetime.datetime) -> Prepared:
    """Prepare (or complete) the run of ``period``: a payment for every entitlement with months
    due and paid, a skip with its reason for every other one due. Refused once the run is
    checked, and for a month other than the current one or the next."""
    today = timezone.localdate(now)
    if period not in (Period.of(today), Period.of(today).next()):
        raise PaymentRefused("period_too_far", params={"period": str(period)})
    with transaction.atomic():
        advisory_lock(LockNamespace.PAYMENT_RUN, _month_key(period))
        run, _created = PaymentRun.objects.get_or_create(
            period=period.first_day,
            defaults={"pay_on": pay_day(period), "prepared_at": now, "prepared_by_id": user_id},
        )
        if run.status != RunStatus.PREPARED:
            raise PaymentRefused("period_closed", params={"period": str(period)})
        # A death recorded since the nightly job is never paid for.
        deaths.deaths_apply(now=now)
        if not amounts.indexation_done(year=period.year):
            amounts.indexation_apply(year=period.year, now=now)
        parameters: dict[str, Any] = {
            "run": run.pk,
            "period": period.first_day,
            "period_end": period.next().first_day,
            "prefix": iso.end_to_end_prefix(period.first_day),
            "pending": PaymentStatus.PENDING,
            "share": settings.RECOVERY_SHARE,
        }
        with connection.cursor() as cursor:
            # JIT compiling this plan cost about half a second and saved nothing (measured).
            cursor.execute("SET LOCAL jit = off")
            # The month's joins and its temporary table, in memory rather than on disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            paying = "(" + ", ".join(f"'{status}'" for status in PAYING) + ")"  # the partial index's words
            cursor.execute(_UNSKIP, parameters)
            cursor.execute(_DUE.format(accounts=current_bank_accounts_sql(), paying=paying), parameters)
            cursor.execute(_PAY, parameters)
            created = cursor.rowcount
            cursor.execute(_SKIP, parameters)
            skipped = cursor.rowcount
            cursor.execute(_RECOVER, parameters)
            recovered = cursor.rowcount
            cursor.execute("DROP TABLE payment_due")
        if user_id is not None and (created or skipped):
            PaymentRun.objects.filter(pk=run.pk).update(prepared_by_id=user_id, prepared_at=now)
    return Prepared(run_id=run.pk, payments_created=created, skips_created=skipped, recoveries=recovered)


def _locked_run(run_id: int, seen_status: str) -> PaymentRun:
    run = PaymentRun.objects.select_for_update().get(pk=run_id)
    if run.status != seen_status:
        raise PaymentRefused("run_moved", params={"status": run.get_status_display()})
    return run


def run_submit(
    *,
    run_id: int,
    user_id: int,
    now: datetime.datetime,
    seen_payments: int | None = None,
    seen_amount: Decimal | None = None,
) -> None:
    """A finance officer checked the run's totals: it goes to a second one for approval. No run
    is prepared into once checked. Refused when the run holds other totals than those the
    officer saw (``seen_payments``, ``seen_amount``): a preparation added payments meanwhile."""
    with transaction.atomic():
        run = PaymentRun.objects.select_for_update().get(pk=run_id)
        advisory_lock(LockNamespace.PAYMENT_RUN, _month_key(Period.of(run.period)))
        run = _locked_run(run_id, RunStatus.PREPARED)
        held = run.payments.filter(status=PaymentStatus.PENDING).aggregate(count=Count("pk"), amount=Sum("amount"))
        if not held["count"]:
            raise PaymentRefused("empty_run")
        if (seen_payments is not None and seen_payments != held["count"]) or (
            seen_amount is not None and seen_amount != held["amount"]
        ):
            raise PaymentRefused("run_changed", params={"payments": held["count"], "amount": held["amount"]})
        run.status = RunStatus.SUBMITTED
        run.submitted_by_id, run.submitted_at = user_id, now
        run.save(update_fields=["status", "submitted_by", "submitted_at"])


def run_approve(*, run_id: int, user_id: int, now: datetime.datetime) -> int:
    """A second finance officer approves the run (never who prepared or checked it: also a
    database constraint): its payments are split into files of ``PAYMENT_FILE_TRANSACTIONS``,
    by their order, and each file is written by a task after the commit. Returns the files."""
    with transaction.atomic():
        run = _locked_run(run_id, RunStatus.SUBMITTED)
        if user_id in (run.submitted_by_id, run.prepared_by_id):
            raise PaymentRefused("own_run")
        run.status = RunStatus.APPROVED
        run.approved_by_id, run.approved_at = user_id, now
        run.save(update_fields=["status", "approved_by", "approved_at"])
        file_ids = bank.files_plan(run)
        for file_id in file_ids:
            enqueue("benefits.payment_file_write", file_id=file_id)
    return len(file_ids)


@dataclass(frozen=True)
class RunTotal:
    """A line of a run's totals: per benefit, or per bank."""

    key: str
    payments: int
    gross: Decimal
    arrears: Decimal
    recovered: Decimal
    amount: Decimal


def run_totals(*, run_id: int) -> tuple[list[RunTotal], list[RunTotal], list[tuple[str, str, int]]]:
    """The run's totals per benefit and per bank (the country and the bank's code in the IBAN),
    payments stopped since left out, and its skips counted per reason and detail: what finance
    checks before approving."""

    def grouped(key: str) -> list[RunTotal]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {key} AS key, count(*), sum(gross), sum(arrears), sum(recovered), sum(amount)"  # noqa: S608
                " FROM benefits_payment WHERE run_id = %s AND status <> %s GROUP BY 1 ORDER BY 1",
                [run_id, PaymentStatus.STOPPED],
            )
            return [RunTotal(str(row[0]), *row[1:]) for row in cursor.fetchall()]

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reason, detail, count(*) FROM benefits_runskip WHERE run_id = %s GROUP BY 1, 2 ORDER BY 1, 2",
            [run_id],
        )
        skips = [(str(row[0]), str(row[1]), int(row[2])) for row in cursor.fetchall()]
    return grouped("scheme"), grouped(bank.BANK_CODE_SQL), skips
