"""Demo payments: the monthly runs of the last months, each prepared, checked by
one finance officer, approved by another, exported as pain.001 files and answered by the bank
(pain.002, all accepted) — the real path, with the dates of those months. This month's run is
prepared when its day has come, and waits for finance to check it."""

from __future__ import annotations

import calendar
import contextlib
import datetime
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from benefits import services
from benefits.models import PaymentFile, PaymentRun
from benefits.types import PaymentRefused
from core.periods import Period
from devtools.life import life_events
from identity.models import User

# The months paid before the seeding: the pension was granted some six months ago.
PAID_MONTHS = 5


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, hour, 0))


def _run_day(period: Period) -> datetime.date:
    """The month's run day (PAYMENT_RUN_DAY, or the month's last day when shorter)."""
    last = calendar.monthrange(period.first_day.year, period.first_day.month)[1]
    return period.first_day.replace(day=min(settings.PAYMENT_RUN_DAY, last))


def bank_answer_accepting(payment_file: PaymentFile, *, answered_on: datetime.date) -> bytes:
    """The bank's pain.002 accepting a whole file, as a bank sends it."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>ANS-{payment_file.message_id}</MsgId>"
        f"<CreDtTm>{answered_on.isoformat()}T10:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{payment_file.message_id}</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId><GrpSts>ACSC</GrpSts></OrgnlGrpInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def _paid_run(period: Period, checker: User, approver: User) -> None:
    prepared_at = _at(_run_day(period), 5)
    prepared = services.payment_run_prepare(period=period, user_id=None, now=prepared_at)
    if not PaymentRun.objects.filter(pk=prepared.run_id, payments__isnull=False).exists():
        # Nothing to pay: a run that skipped someone (a pension suspended) stays prepared, with
        # its skips to read; an empty one goes.
        if not PaymentRun.objects.filter(pk=prepared.run_id, skips__isnull=False).exists():
            PaymentRun.objects.filter(pk=prepared.run_id).delete()
        return
    checked_at = prepared_at + datetime.timedelta(hours=4)
    services.payment_run_submit(run_id=prepared.run_id, user_id=checker.pk, now=checked_at)
    services.payment_run_approve(
        run_id=prepared.run_id, user_id=approver.pk, now=checked_at + datetime.timedelta(hours=1)
    )
    for payment_file in PaymentFile.objects.filter(run_id=prepared.run_id):
        services.payment_file_write(file_id=payment_file.pk, now=checked_at + datetime.timedelta(hours=2))
    run = PaymentRun.objects.get(pk=prepared.run_id)
    for payment_file in PaymentFile.objects.filter(run_id=run.pk):
        services.bank_answer_import(
            content=bank_answer_accepting(payment_file, answered_on=run.pay_on),
            user_id=checker.pk,
            now=_at(run.pay_on, 18),
        )


def demo_payments_seed(*, users: dict[str, User], now: datetime.datetime) -> None:
    """Once: the runs of the last months, paid, with Jean's life certificate year among them (his
    pension suspended from the day after it was due: the later runs skip it); then this month's,
    prepared."""
    if PaymentRun.objects.exists():
        return
    checker, approver = users["finance"], users["finance2"]
    today = timezone.localdate(now)
    current = Period.of(today)
    steps = life_events(users=users, now=now)
    for months_back in range(PAID_MONTHS, 0, -1):
        period = current.shifted(-months_back)
        steps.append((_at(_run_day(period), 5), _paid(period, checker, approver)))
    for _at_time, step in sorted(steps, key=lambda timed: timed[0]):
        with transaction.atomic():
            step()
    if today.day >= settings.PAYMENT_RUN_DAY:
        with contextlib.suppress(PaymentRefused):
            services.payment_run_prepare(period=current, user_id=None, now=now)


def _paid(period: Period, checker: User, approver: User) -> Callable[[], None]:
    def step() -> None:
        _paid_run(period, checker, approver)

    return step
