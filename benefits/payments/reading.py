"""What a person reads of their benefits in payment ("My payments"): each benefit with its
amounts over time (the decision's, each indexation with its rate and legal basis), the next
payment (from the run prepared, else foreseen from the entitlements), and the payments made,
each explained — months, gross, arrears, what was recovered, the account."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from benefits.models import (
    PAYING,
    AmountReason,
    Entitlement,
    EntitlementAmount,
    EntitlementState,
    Payment,
    PaymentRun,
    PaymentStatus,
    Periodicity,
    RunStatus,
    SuspensionReason,
)
from benefits.payments.runs import pay_day
from benefits.payments.statements import statement_years
from benefits.payments.wording import day_text as _day
from benefits.payments.wording import masked, months_label, scheme_titles
from benefits.policies import can_view_entitlements
from core.actor import Actor
from core.audit import file_view_record
from core.periods import Period
from identity.selectors import bank_account_on_file
from identity.types import BankAccountOnFile

# The payments listed on the page, newest first (a monthly pension: three years).
PAYMENTS_SHOWN = 36


@dataclass(frozen=True)
class AmountStep:
    since: datetime.date
    amount: Decimal
    is_indexation: bool
    rate_percent: Decimal | None
    reference: str


@dataclass(frozen=True)
class EntitlementLine:
    entitlement_id: int
    title: str
    is_monthly: bool
    state: str
    state_label: str
    suspension_label: str
    start_on: datetime.date
    end_on: datetime.date | None
    amount_now: Decimal
    history: tuple[AmountStep, ...]


@dataclass(frozen=True)
class PaymentLine:
    payment_id: int
    title: str
    pay_on: datetime.date
    months: str
    gross: Decimal
    arrears: Decimal
    recovered: Decimal
    amount: Decimal
    account: str
    status: str
    status_label: str


@dataclass(frozen=True)
class NextPayment:
    pay_on: datetime.date
    amount: Decimal
    account: str
    lines: tuple[PaymentLine, ...]
    # From a run already prepared (else foreseen from the entitlements in force today).
    prepared: bool
    # The account on file now, when the run prepared before it changed pays the earlier one.
    new_account: str


@dataclass(frozen=True)
class PaymentsPage:
    entitlements: tuple[EntitlementLine, ...]
    next_payment: NextPayment | None
    payments: tuple[PaymentLine, ...]
    account: str
    # The years with payments made: a yearly statement for each.
    statement_years: tuple[int, ...]


def _status_label(status: str, run_status: str, pay_on: datetime.date, today: datetime.date) -> str:
    if status == PaymentStatus.PENDING:
        if run_status == RunStatus.EXPORTED:
            return (
                _("sent to the bank, for the %(day)s") % {"day": _day(pay_on)}
                if pay_on >= today
                else _("sent to the bank")
            )
        return _("being prepared")
    if status == PaymentStatus.PAID:
        return _("paid")
    if status == PaymentStatus.REJECTED:
        return _("returned by the bank: check your bank account")
    return _("stopped before the transfer")


def _entitlements(person_id: int, titles: dict[str, str], today: datetime.date) -> list[EntitlementLine]:
    rows = list(
        Entitlement.objects.filter(person_id=person_id).exclude(state=EntitlementState.ENDED).order_by("start_on", "pk")
    )
    history: dict[int, list[AmountStep]] = {row.pk: [] for row in rows}
    for amount in EntitlementAmount.objects.filter(entitlement__in=rows).order_by("since"):
        history[amount.entitlement_id].append(
            AmountStep(
                since=amount.since,
                amount=amount.amount,
                is_indexation=amount.reason == AmountReason.INDEXATION,
                rate_percent=(amount.rate * 100).normalize() if amount.rate is not None else None,
                reference=amount.reference,
            )
        )
    lines = []
    for row in rows:
        steps = history[row.pk]
        in_force = [step for step in steps if step.since <= max(today, row.start_on)]
        lines.append(
            EntitlementLine(
                entitlement_id=row.pk,
                title=titles.get(row.scheme, row.scheme),
                is_monthly=row.periodicity == Periodicity.MONTHLY,
                state=row.state,
                state_label=str(EntitlementState(row.state).label),
                suspension_label=str(SuspensionReason(row.suspension_reason).label) if row.suspension_reason else "",
                start_on=row.start_on,
                end_on=row.end_on,
                amount_now=in_force[-1].amount if in_force else row.amount,
                history=tuple(steps),
            )
        )
    return lines


def _line(payment: Payment, titles: dict[str, str], today: datetime.date) -> PaymentLine:
    return PaymentLine(
        payment_id=payment.pk,
        title=titles.get(payment.scheme, payment.scheme),
        pay_on=payment.run.pay_on,
        months=months_label(payment.months.lower, payment.months.upper),
        gross=payment.gross,
        arrears=payment.arrears,
        recovered=payment.recovered,
        amount=payment.amount,
        account=masked(payment.iban),
        status=payment.status,
        status_label=_status_label(payment.status, payment.run.status, payment.run.pay_on, today),
    )


def _amount_in(steps: tuple[AmountStep, ...], month: Period) -> Decimal:
    found = [step.amount for step in steps if step.since < month.next().first_day]
    return found[-1] if found else Decimal(0)


def _foreseen(
    person_id: int,
    lines: list[EntitlementLine],
    titles: dict[str, str],
    account: BankAccountOnFile | None,
    today: datetime.date,
) -> NextPayment | None:
    """The next run's payment, as the run would compute it from today's entitlements (the same
    rules as ``runs._DUE``, for one person's few entitlements)."""
    if account is None:
        return None
    current = Period.of(today)
    period = current if not PaymentRun.objects.filter(period=current.first_day).exists() else current.next()
    paid_until = dict(
        Payment.objects.filter(person_id=person_id, status__in=PAYING)
        .values("entitlement_id")
        .annotate(last=Max("months__endswith"))
        .values_list("entitlement_id", "last")
    )
    found = []
    for line in lines:
        if line.state != EntitlementState.ACTIVE:
            continue
        first = Period.of(max(line.start_on.replace(day=1), paid_until.get(line.entitlement_id) or datetime.date.min))
        if line.is_monthly:
            last = period if line.end_on is None else min(period, Period.of(line.end_on))
        else:
            last = Period.of(line.start_on) if Period.of(line.start_on) <= period else first.previous()
        if first > last:
            continue
        months = []
        month = first
        while month <= last:
            months.append(month)
            month = month.next()
        gross = sum((_amount_in(line.history, month) for month in months), Decimal(0))
        arrears = sum((_amount_in(line.history, month) for month in months if month < period), Decimal(0))
        found.append(
            PaymentLine(
                payment_id=0,
                title=line.title,
                pay_on=pay_day(period),
                months=months_label(first.first_day, last.next().first_day),
                gross=gross,
                arrears=arrears,
                recovered=Decimal(0),
                amount=gross,
                account=account.masked,
                status="",
                status_label="",
            )
        )
    if not found:
        return None
    return NextPayment(
        pay_on=pay_day(period),
        amount=sum((line.amount for line in found), Decimal(0)),
        account=account.masked,
        lines=tuple(found),
        prepared=False,
        new_account="",
    )


def payments_page(*, actor: Actor, person_id: int, now: datetime.datetime) -> PaymentsPage | None:
    """The person's benefits in payment, their next payment and their payments; None when the
    actor may not read them (the person, a proxy allowed to view the file, staff at the counter).
    Reading someone else's is recorded in their trail."""
    if not can_view_entitlements(actor=actor, person_id=person_id):
        return None
    file_view_record(actor=actor, subject_person_id=person_id, what="payments", now=now)
    today = timezone.localdate(now)
    titles = scheme_titles()
    account = bank_account_on_file(person_id=person_id)
    lines = _entitlements(person_id, titles, today)
    payments = list(
        Payment.objects.filter(person_id=person_id)
        .select_related("run")
        .order_by("-run__period", "-pk")[:PAYMENTS_SHOWN]
    )
    upcoming = [
        payment for payment in payments if payment.status == PaymentStatus.PENDING and payment.run.pay_on >= today
    ]
    next_payment: NextPayment | None
    if upcoming:
        run = min((payment.run for payment in upcoming), key=lambda run: run.period)
        chosen = [_line(payment, titles, today) for payment in upcoming if payment.run_id == run.pk]
        paid_to = {payment.iban for payment in upcoming if payment.run_id == run.pk}
        next_payment = NextPayment(
            pay_on=run.pay_on,
            amount=sum((line.amount for line in chosen), Decimal(0)),
            account=chosen[0].account,
            lines=tuple(chosen),
            prepared=True,
            new_account=account.masked if account is not None and account.iban not in paid_to else "",
        )
    else:
        next_payment = _foreseen(person_id, lines, titles, account, today)
    shown = {line.payment_id for line in next_payment.lines} if next_payment is not None else set()
    return PaymentsPage(
        entitlements=tuple(lines),
        next_payment=next_payment,
        payments=tuple(_line(payment, titles, today) for payment in payments if payment.pk not in shown),
        account=account.masked if account is not None else "",
        statement_years=tuple(statement_years(person_id=person_id)),
    )
