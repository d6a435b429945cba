"""Reads of the employer's account: its balance, what each period owes and whether it is paid,
the entries with their running balance, and online payments. Every function runs a fixed
number of queries whatever the length of the history."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F, Q, Sum, Window
from stdnum import iban as iban_module

from contributions.ledger import payment_due_date
from contributions.models import EntryKind, LedgerEntry, Payment, PaymentStatus, RefundRequest, RefundStatus
from contributions.types import PeriodPaymentStatus
from core.caching import Versioned
from core.db import prepared_cursor
from core.periods import Period

_ZERO = Decimal("0.00")


class DebtKind:
    """What a debt of the account is: the contributions of a period (its declarations and their
    corrections), a late-filing penalty or a month's late-payment interest (with its catch-ups)."""

    CONTRIBUTIONS = "contributions"
    PENALTY = "penalty"
    INTEREST = "interest"
    REFUND = "refund"


@dataclass(frozen=True)
class PeriodAccount:
    """A debt of the account: the entries that share a payment reference. ``owed`` is what they
    add up to (corrections, up or down, included); ``settled`` is the money received for it
    only (a correction is not a payment)."""

    enterprise_id: int
    period: str
    owed: Decimal
    settled: Decimal
    due_on: datetime.date | None
    payment_reference: str
    status: str
    kind: str = DebtKind.CONTRIBUTIONS

    @property
    def outstanding(self) -> Decimal:
        return max(self.owed - self.settled, _ZERO)


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
    """``overdue`` + ``not_yet_due`` is what the debts still open add up to; ``credit`` is the
    money received that no debt took (paid ahead, or released by a correction): it settles the
    next debts, or is refunded on request. ``balance`` (all the entries) is the first less the
    second."""

    balance: Decimal
    overdue: Decimal
    not_yet_due: Decimal
    credit: Decimal = _ZERO
    # The payment reference of the debt due first among those still open ("" when none): a
    # transfer of the whole balance names it, and settles it first, then the oldest.
    first_due_reference: str = ""


def period_status(*, owed: Decimal, settled: Decimal, due_on: datetime.date | None, today: datetime.date) -> str:
    if settled >= owed:
        return PeriodPaymentStatus.PAID
    if due_on is not None and due_on < today:
        return PeriodPaymentStatus.OVERDUE
    return PeriodPaymentStatus.NOT_YET_DUE


# The debts (entries sharing a payment reference, payments aside) with what they owe together and
# the money allocated to them. Only groups with a debit are debts.
_DEBTS_SQL = """
SELECT d.enterprise_id, d.payment_reference,
       MIN(CASE WHEN d.kind IN ('declaration', 'correction') THEN 'contributions' ELSE d.kind END),
       MIN(d.period), SUM(d.amount), MIN(d.due_on) FILTER (WHERE d.amount > 0), COALESCE(SUM(settled.total), 0)
FROM contributions_ledgerentry d
LEFT JOIN LATERAL (
    SELECT SUM(a.amount) AS total FROM contributions_allocation a WHERE a.debit_id = d.id
) AS settled ON TRUE
WHERE d.enterprise_id = ANY(%(enterprises)s) AND d.kind <> 'payment'
  AND (%(contributions)s = FALSE OR d.kind IN ('declaration', 'correction'))
GROUP BY d.enterprise_id, d.payment_reference
HAVING MAX(d.amount) > 0
"""


def _debts(*, enterprise_ids: list[int], today: datetime.date, contributions_only: bool) -> list[PeriodAccount]:
    with connection.cursor() as cursor:
        cursor.execute(_DEBTS_SQL, {"enterprises": list(enterprise_ids), "contributions": contributions_only})
        rows = cursor.fetchall()
    return [
        PeriodAccount(
            enterprise_id=enterprise_id,
            period=period,
            owed=owed,
            settled=paid,
            due_on=due_on,
            payment_reference=reference,
            status=period_status(owed=owed, settled=paid, due_on=due_on, today=today),
            kind=kind,
        )
        for enterprise_id, reference, kind, period, owed, due_on, paid in rows
    ]


def periods_payment(*, enterprise_ids: list[int], today: datetime.date) -> dict[tuple[int, str], PeriodAccount]:
    """For every (enterprise, period) with declared contributions: what is owed (corrections
    included), the money received for it, the due date and the status (paid, not yet due,
    overdue) — one query for any number of enterprises and periods."""
    if not enterprise_ids:
        return {}
    return {
        (row.enterprise_id, row.period): row
        for row in _debts(enterprise_ids=enterprise_ids, today=today, contributions_only=True)
    }


def account_debts(*, enterprise_id: int, today: datetime.date) -> list[PeriodAccount]:
    """Every debt of the account — contributions, penalties, interest — due first first."""
    return sorted(
        _debts(enterprise_ids=[enterprise_id], today=today, contributions_only=False),
        key=lambda row: (row.due_on or datetime.date.max, row.period, row.payment_reference),
    )


def account_summary(*, enterprise_id: int, today: datetime.date) -> AccountSummary:
    """The balance (what the enterprise owes; negative when it has credit), how much of the open
    debts is overdue or not yet due, and the money no debt took — three queries."""
    return _summary(
        enterprise_id=enterprise_id, debts=account_debts(enterprise_id=enterprise_id, today=today), today=today
    )


def _summary(*, enterprise_id: int, debts: list[PeriodAccount], today: datetime.date) -> AccountSummary:
    totals = LedgerEntry.objects.filter(enterprise_id=enterprise_id).aggregate(
        balance=Sum("amount", default=_ZERO), paid=Sum("amount", filter=Q(kind=EntryKind.PAYMENT), default=_ZERO)
    )
    balance, received = totals["balance"], -totals["paid"]
    overdue = not_yet_due = _ZERO
    first_due_reference = ""
    for debt in debts:
        if debt.outstanding <= 0:
            continue
        first_due_reference = first_due_reference or debt.payment_reference
        if debt.status == PeriodPaymentStatus.OVERDUE:
            overdue += debt.outstanding
        else:
            not_yet_due += debt.outstanding
    allocated = sum((debt.settled for debt in debts), _ZERO)
    return AccountSummary(
        balance=balance,
        overdue=overdue,
        not_yet_due=not_yet_due,
        credit=max(received - allocated, _ZERO),
        first_due_reference=first_due_reference,
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
class RefundRow:
    id: int
    amount: Decimal
    iban: str
    status: str
    requested_at: datetime.datetime
    decided_at: datetime.datetime | None
    reason: str

    @property
    def status_label(self) -> str:
        return str(RefundStatus(self.status).label)

    @property
    def iban_display(self) -> str:
        return iban_module.format(self.iban)


def refund_list(*, enterprise_id: int, limit: int = 10) -> list[RefundRow]:
    """The latest refund requests of the enterprise, newest first — one query."""
    return [
        RefundRow(*row)
        for row in RefundRequest.objects.filter(enterprise_id=enterprise_id)
        .order_by("-requested_at", "-pk")
        .values_list("pk", "amount", "iban", "status", "requested_at", "decided_at", "reason")[:limit]
    ]


@dataclass(frozen=True)
class AccountOverview:
    summary: AccountSummary
    periods: list[PeriodAccount]  # every debt, due first first
    entries: list[EntryRow]
    years: list[int]
    refunds: list[RefundRow]  # the latest refund requests, newest first


_ACCOUNT_VERSION_SQL = """
SELECT
    (SELECT COALESCE(MAX(g.id), 0) || '.' || COUNT(*) FROM contributions_ledgerentry g
        WHERE g.enterprise_id = %(enterprise)s),
    (SELECT COALESCE(MAX(a.id), 0) || '.' || COUNT(*) FROM contributions_allocation a
        JOIN contributions_ledgerentry g ON g.id = a.debit_id WHERE g.enterprise_id = %(enterprise)s),
    (SELECT COALESCE(MAX(r.id), 0) || '.' || COUNT(*) || '.' || COUNT(r.decided_at)
        FROM contributions_refundrequest r WHERE r.enterprise_id = %(enterprise)s)
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
        entry_id, allocation_id, refund_id = cursor.fetchone()
    return Versioned(
        key=f"contributions:account:{enterprise_id}:{today.isoformat()}:{year}:{entry_id}:{allocation_id}:{refund_id}",
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
    debts = account_debts(enterprise_id=enterprise_id, today=today)
    return AccountOverview(
        summary=_summary(enterprise_id=enterprise_id, debts=debts, today=today),
        periods=debts,
        entries=account_entries(
            enterprise_id=enterprise_id, year=year if year is not None else (years[0] if years else today.year)
        ),
        years=years,
        refunds=refund_list(enterprise_id=enterprise_id),
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
