"""Reads of the employer's account: its balance, what each period owes and whether it is paid,
the entries with their running balance, and online payments. Every function runs a fixed
number of queries whatever the length of the history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Max, Min, Sum, Window

from contributions.models import Allocation, EntryKind, LedgerEntry, Payment
from contributions.types import PeriodPaymentStatus

_ZERO = Decimal("0.00")
_PERIOD_DEBITS = (EntryKind.DECLARATION, EntryKind.CORRECTION)


@dataclass(frozen=True)
class PeriodAccount:
    enterprise_id: int
    period: str
    owed: Decimal
    settled: Decimal
    due_on: datetime.date | None
    payment_reference: str
    status: str

    @property
    def outstanding(self) -> Decimal:
        return self.owed - self.settled


@dataclass(frozen=True)
class EntryRow:
    id: int
    booked_on: datetime.date
    kind: str
    period: str
    payment_reference: str
    amount: Decimal
    balance: Decimal


@dataclass(frozen=True)
class AccountSummary:
    balance: Decimal
    overdue: Decimal
    not_yet_due: Decimal


def period_status(*, owed: Decimal, settled: Decimal, due_on: datetime.date | None, today: datetime.date) -> str:
    if settled >= owed:
        return PeriodPaymentStatus.PAID
    if due_on is not None and due_on < today:
        return PeriodPaymentStatus.OVERDUE
    return PeriodPaymentStatus.NOT_YET_DUE


def periods_payment(*, enterprise_ids: list[int], today: datetime.date) -> dict[tuple[int, str], PeriodAccount]:
    """For every (enterprise, period) with declared contributions: what is owed, what is
    settled, the due date and the status (paid, not yet due, overdue) — two queries for any
    number of enterprises and periods."""
    owed = (
        LedgerEntry.objects.filter(enterprise_id__in=enterprise_ids, kind__in=_PERIOD_DEBITS, amount__gt=0)
        .values("enterprise_id", "period")
        .annotate(owed=Sum("amount"), due_on=Min("due_on"), reference=Max("payment_reference"))
        .values_list("enterprise_id", "period", "owed", "due_on", "reference")
    )
    settled = dict(
        ((enterprise_id, period), total)
        for enterprise_id, period, total in Allocation.objects.filter(
            debit__enterprise_id__in=enterprise_ids, debit__kind__in=_PERIOD_DEBITS
        )
        .values("debit__enterprise_id", "debit__period")
        .annotate(total=Sum("amount"))
        .values_list("debit__enterprise_id", "debit__period", "total")
    )
    result = {}
    for enterprise_id, period, total, due_on, reference in owed:
        paid = settled.get((enterprise_id, period), _ZERO)
        result[(enterprise_id, period)] = PeriodAccount(
            enterprise_id=enterprise_id,
            period=period,
            owed=total,
            settled=paid,
            due_on=due_on,
            payment_reference=reference,
            status=period_status(owed=total, settled=paid, due_on=due_on, today=today),
        )
    return result


def account_summary(*, enterprise_id: int, today: datetime.date) -> AccountSummary:
    """The balance (what the enterprise owes; negative when it paid ahead), and how much of it
    is overdue or not yet due — two queries."""
    balance = LedgerEntry.objects.filter(enterprise_id=enterprise_id).aggregate(total=Sum("amount"))["total"] or _ZERO
    debits = (
        LedgerEntry.objects.filter(enterprise_id=enterprise_id, amount__gt=0)
        .annotate(settled=Sum("allocations_received__amount", default=_ZERO))
        .values_list("amount", "settled", "due_on")
    )
    overdue = not_yet_due = _ZERO
    for amount, settled, due_on in debits.filter(settled__lt=F("amount")):
        if due_on is not None and due_on < today:
            overdue += amount - settled
        else:
            not_yet_due += amount - settled
    return AccountSummary(balance=balance, overdue=overdue, not_yet_due=not_yet_due)


def account_entries(*, enterprise_id: int, year: int | None = None) -> list[EntryRow]:
    """The entries (of one year, or all), oldest first, each with the balance after it,
    computed in SQL over the whole history — one query."""
    rows = LedgerEntry.objects.filter(enterprise_id=enterprise_id).annotate(
        balance=Window(Sum("amount"), order_by=[F("booked_on").asc(), F("id").asc()])
    )
    if year is not None:
        rows = rows.filter(booked_on__year=year)
    return [
        EntryRow(
            id=row.pk,
            booked_on=row.booked_on,
            kind=row.kind,
            period=row.period,
            payment_reference=row.payment_reference,
            amount=row.amount,
            balance=row.balance,
        )
        for row in rows.order_by("booked_on", "id")
    ]


def account_years(*, enterprise_id: int) -> list[int]:
    return sorted(
        {day.year for day in LedgerEntry.objects.filter(enterprise_id=enterprise_id).dates("booked_on", "year")},
        reverse=True,
    )


def payment_get(*, enterprise_id: int, payment_id: int) -> Payment:
    payment = Payment.objects.filter(pk=payment_id, enterprise_id=enterprise_id).first()
    if payment is None:
        raise LookupError(payment_id)
    return payment


def payment_list(*, enterprise_id: int, limit: int = 20) -> list[Payment]:
    return list(Payment.objects.filter(enterprise_id=enterprise_id).order_by("-created_at")[:limit])
