"""Reads of the employer's account: its balance, what each period owes and whether it is paid,
the entries with their running balance, and online payments. Every function runs a fixed
number of queries whatever the length of the history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F, Sum, Window

from contributions.ledger import payment_due_date
from contributions.models import EntryKind, LedgerEntry, Payment, PaymentStatus
from contributions.types import PeriodPaymentStatus
from core.caching import Versioned
from core.db import prepared_cursor
from core.periods import Period

_ZERO = Decimal("0.00")


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
    # An interest entry that corrects the interest of its period (see ledger.interest_post).
    is_interest_correction: bool = False

    @property
    def debit(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


@dataclass(frozen=True)
class AccountSummary:
    balance: Decimal
    overdue: Decimal
    not_yet_due: Decimal
    # The payment reference of the debit due first among those not fully paid ("" when none):
    # a transfer of the whole balance names it, and settles it first, then the oldest.
    first_due_reference: str = ""


def period_status(*, owed: Decimal, settled: Decimal, due_on: datetime.date | None, today: datetime.date) -> str:
    if settled >= owed:
        return PeriodPaymentStatus.PAID
    if due_on is not None and due_on < today:
        return PeriodPaymentStatus.OVERDUE
    return PeriodPaymentStatus.NOT_YET_DUE


_PERIODS_SQL = """
SELECT d.enterprise_id, d.period, SUM(d.amount), MIN(d.due_on), MAX(d.payment_reference),
       COALESCE(SUM(settled.total), 0)
FROM contributions_ledgerentry d
LEFT JOIN LATERAL (
    SELECT SUM(a.amount) AS total FROM contributions_allocation a WHERE a.debit_id = d.id
) AS settled ON TRUE
WHERE d.enterprise_id = ANY(%s) AND d.kind IN ('declaration', 'correction') AND d.amount > 0
GROUP BY d.enterprise_id, d.period
"""


def periods_payment(*, enterprise_ids: list[int], today: datetime.date) -> dict[tuple[int, str], PeriodAccount]:
    """For every (enterprise, period) with declared contributions: what is owed, what is
    settled, the due date and the status (paid, not yet due, overdue) — one query for any
    number of enterprises and periods."""
    if not enterprise_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_PERIODS_SQL, [list(enterprise_ids)])
        rows = cursor.fetchall()
    result = {}
    for enterprise_id, period, total, due_on, reference, paid in rows:
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
        .order_by(F("due_on").asc(nulls_last=True), "booked_on", "pk")
        .values_list("amount", "settled", "due_on", "payment_reference")
    )
    overdue = not_yet_due = _ZERO
    first_due_reference = ""
    for amount, settled, due_on, reference in debits.filter(settled__lt=F("amount")):
        first_due_reference = first_due_reference or reference
        if due_on is not None and due_on < today:
            overdue += amount - settled
        else:
            not_yet_due += amount - settled
    return AccountSummary(
        balance=balance, overdue=overdue, not_yet_due=not_yet_due, first_due_reference=first_due_reference
    )


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
            is_interest_correction=row.is_interest_correction,
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


@dataclass(frozen=True)
class PaymentRow:
    id: int
    created_at: datetime.datetime
    amount: Decimal
    status: str

    @property
    def status_label(self) -> str:
        return str(PaymentStatus(self.status).label)


def payment_list(*, enterprise_id: int, limit: int = 20) -> list[PaymentRow]:
    """The latest online payments, newest first, in one prepared query (on every view of the
    account; payments change status, so they are read each time)."""
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT id, created_at, amount, status FROM contributions_payment WHERE enterprise_id = %s"
            " ORDER BY created_at DESC, id DESC LIMIT %s",
            [enterprise_id, limit],
        )
        return [PaymentRow(*row) for row in cursor.fetchall()]


@dataclass(frozen=True)
class AccountOverview:
    summary: AccountSummary
    periods: list[PeriodAccount]  # newest first
    entries: list[EntryRow]
    years: list[int]


_ACCOUNT_VERSION_SQL = """
SELECT
    (SELECT COALESCE(MAX(g.id), 0) || '.' || COUNT(*) FROM contributions_ledgerentry g
        WHERE g.enterprise_id = %(enterprise)s),
    (SELECT COALESCE(MAX(a.id), 0) || '.' || COUNT(*) FROM contributions_allocation a
        JOIN contributions_ledgerentry g ON g.id = a.debit_id WHERE g.enterprise_id = %(enterprise)s)
"""
_ACCOUNT_CACHE_SECONDS = 3600


def account_overview_source(
    *, enterprise_id: int, today: datetime.date, year: int | None
) -> Versioned[AccountOverview]:
    """What the account page shows, named by what it is computed from (one query, prepared: its
    planning cost more than running it). Every change of an account is a new entry or allocation
    (rows only ever inserted): the ``key`` is made of their last ids and counts (and the day), so
    it changes whenever the overview would — a row committed after one with a higher id still
    changes the count; ``load()`` reads it."""
    with prepared_cursor() as cursor:
        cursor.execute(_ACCOUNT_VERSION_SQL, {"enterprise": enterprise_id})
        entry_id, allocation_id = cursor.fetchone()
    return Versioned(
        key=f"contributions:account:{enterprise_id}:{today.isoformat()}:{year}:{entry_id}:{allocation_id}",
        compute=lambda: _overview_compute(enterprise_id=enterprise_id, today=today, year=year),
        kind=AccountOverview,
        seconds=_ACCOUNT_CACHE_SECONDS,
    )


def account_overview(*, enterprise_id: int, today: datetime.date, year: int | None) -> AccountOverview:
    """What the account page shows, read through the cache: checking it costs one query instead
    of five, and it is never stale (see ``account_overview_source``)."""
    return account_overview_source(enterprise_id=enterprise_id, today=today, year=year).load()


def _overview_compute(*, enterprise_id: int, today: datetime.date, year: int | None) -> AccountOverview:
    years = account_years(enterprise_id=enterprise_id)
    return AccountOverview(
        summary=account_summary(enterprise_id=enterprise_id, today=today),
        periods=sorted(
            periods_payment(enterprise_ids=[enterprise_id], today=today).values(),
            key=lambda row: row.period,
            reverse=True,
        ),
        entries=account_entries(
            enterprise_id=enterprise_id, year=year if year is not None else (years[0] if years else today.year)
        ),
        years=years,
    )


@dataclass(frozen=True)
class DeclarationPayment:
    """What a declaration's receipt says about paying it: what it posted to the account (its
    debit; for a replacement the difference with the version it replaced, negative when credited;
    None when nothing was posted), the period's payment reference and its due date."""

    posted: Decimal | None
    payment_reference: str
    due_on: datetime.date


def declaration_payment(*, enterprise_id: int, declaration_id: int, period: str) -> DeclarationPayment:
    """One query: the entries the declarations of the period posted (every version carries the
    period's reference; a replacement that changes nothing posts no entry)."""
    rows = list(
        LedgerEntry.objects.filter(
            enterprise_id=enterprise_id, period=period, kind__in=[EntryKind.DECLARATION, EntryKind.CORRECTION]
        ).values_list("declaration_id", "amount", "payment_reference")
    )
    return DeclarationPayment(
        posted=next((amount for declared, amount, _reference in rows if declared == declaration_id), None),
        payment_reference=next((reference for _declared, _amount, reference in rows if reference), ""),
        due_on=payment_due_date(Period.parse(period)),
    )
