"""Writes of the employer's account: debits posted by declarations, penalties and interest,
credits posted by payments, interest corrected when a credit booked in the past arrives after
its month was charged, and their allocation.

Every posting names its source under a unique constraint: posting the same thing twice (a task
run twice, a repeated callback) posts once. Allocation runs under a per-enterprise lock, in the
transaction of the posting: a credit settles first the debits that carry its payment reference,
then the oldest ones; a debit posted while credit is left over is settled at once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from stdnum.iso7064 import mod_97_10

from contributions import notices
from contributions.models import INTEREST_CORRECTION_SOURCE, Allocation, Declaration, EntryKind, LedgerEntry
from core.locks import LockNamespace, advisory_lock
from core.money import round_half_up
from core.periods import Period
from identity.selectors import enterprise_summaries

_ZERO = Decimal("0.00")


def structured_reference(*, enterprise_number: str, letter: str, period: Period) -> str:
    """An ISO 11649 creditor reference (RF, two check digits, then the enterprise number, a
    letter for the kind of debt and the period), the same for every debit of one period, so that
    a bank transfer carrying it settles that period first."""
    body = f"{enterprise_number}{letter}{period.year:04d}{period.month:02d}".upper()
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def declaration_due_date(*, period: Period, due_day: int) -> datetime.date:
    """A period is declared by ``due_day`` of the next month."""
    return period.next().first_day.replace(day=due_day)


def payment_due_date(period: Period) -> datetime.date:
    """Contributions of a period are due with its declaration: DECLARATION_DUE_DAY of the next month."""
    return declaration_due_date(period=period, due_day=settings.DECLARATION_DUE_DAY)


def declaration_total(totals: dict[str, list[str]]) -> Decimal:
    """What the employer owes for a declaration: both shares of every branch."""
    return sum((Decimal(employee) + Decimal(employer) for employee, employer in totals.values()), _ZERO)


def declarations_post(
    *, versions: list[tuple[Declaration, Declaration | None]], now: datetime.datetime
) -> list[LedgerEntry]:
    """Inside the transaction that brings declarations into force, for each (declaration, the
    version it replaces or None): its debit, or for a replacement the difference with the
    version it replaces (a negative correction is a credit) — in one insert. Posting twice
    posts once (each entry's source is its declaration). Returns the entries posted (none for
    a declaration whose amount is nothing, or a replacement that changes nothing).

    The entries of one enterprise (a declaration sent by form or API) are settled at once,
    under the enterprise's lock; those of several (a bulk file) once committed, each
    enterprise under its lock in turn: thousands of locks held by one transaction would fill
    PostgreSQL's lock table."""
    owed = []
    for declaration, replaced in versions:
        amount = declaration_total(declaration.totals) - (declaration_total(replaced.totals) if replaced else _ZERO)
        if amount:
            owed.append((declaration, replaced, amount))
    if not owed:
        return []
    enterprise_ids = sorted({declaration.enterprise_id for declaration, _replaced, _amount in owed})
    numbers = {summary.id: summary.enterprise_number for summary in enterprise_summaries(enterprise_ids=enterprise_ids)}
    entries = []
    for declaration, replaced, amount in owed:
        period = Period.parse(declaration.period)
        entries.append(
            LedgerEntry(
                enterprise_id=declaration.enterprise_id,
                kind=EntryKind.CORRECTION if replaced is not None else EntryKind.DECLARATION,
                amount=amount,
                booked_on=now.date(),
                due_on=payment_due_date(period),
                period=str(period),
                payment_reference=structured_reference(
                    enterprise_number=numbers[declaration.enterprise_id], letter="D", period=period
                ),
                declaration=declaration,
                source=f"declaration:{declaration.pk}",
                created_at=now,
            )
        )
    if len(enterprise_ids) > 1:
        created = _insert_new(entries)
        _allocate_after_commit(created, now)
        return created
    with transaction.atomic():
        advisory_lock(LockNamespace.LEDGER, enterprise_ids[0])
        created = _insert_new(entries)
        _allocate(enterprise_id=enterprise_ids[0], now=now)
    return created


def credit_post(
    *,
    enterprise_id: int,
    amount: Decimal,
    payment_reference: str,
    source: str,
    booked_on: datetime.date,
    now: datetime.datetime,
) -> bool:
    """Credit the account with a payment (``amount`` > 0); False when ``source`` was already
    posted (the account is credited once)."""
    if amount <= 0:
        raise ValueError("a payment credits a positive amount")
    with transaction.atomic():
        advisory_lock(LockNamespace.LEDGER, enterprise_id)
        _entry, created = LedgerEntry.objects.get_or_create(
            source=source,
            defaults={
                "enterprise_id": enterprise_id,
                "kind": EntryKind.PAYMENT,
                "amount": -amount,
                "booked_on": booked_on,
                "payment_reference": payment_reference,
                "created_at": now,
            },
        )
        if created:
            _allocate(enterprise_id=enterprise_id, now=now)
    return created


@dataclass
class _Debt:
    """The entries of an enterprise that share a payment reference: what they owe together
    (declarations and their corrections up or down, a penalty, a month's interest and its
    catch-ups), the money allocated to them, credit by credit."""

    reference: str
    owed: Decimal = _ZERO
    due_on: datetime.date | None = None
    anchor: tuple[datetime.date, int] | None = None  # (booked on, id) of the first positive entry
    money: dict[int, Decimal] = field(default_factory=dict)  # credit id → net amount allocated

    @property
    def paid(self) -> Decimal:
        return sum(self.money.values(), _ZERO)


def credit_available(enterprise_id: int) -> Decimal:
    """The money received that no debt took (call it under the enterprise's lock to act on it)."""
    debts, credits = _debts_and_credits(enterprise_id)
    allocated = sum((debt.paid for debt in debts), _ZERO)
    return max(sum((amount for _pk, _reference, amount, _booked in credits), _ZERO) - allocated, _ZERO)


def credit_available_locked(enterprise_id: int) -> Decimal:
    """``credit_available`` under the enterprise's lock, held to the end of the caller's
    transaction (a payment or a debt posted meanwhile waits)."""
    advisory_lock(LockNamespace.LEDGER, enterprise_id)
    return credit_available(enterprise_id)


def refund_post(
    *, enterprise_id: int, enterprise_number: str, amount: Decimal, source: str, now: datetime.datetime
) -> LedgerEntry | None:
    """Post the refund of ``amount`` of the enterprise's credit (a debit the credit settles at
    once), under the enterprise's lock, in the caller's transaction; None, and nothing posted,
    when the credit left is smaller (other debts took it since)."""
    advisory_lock(LockNamespace.LEDGER, enterprise_id)
    if amount <= 0 or credit_available(enterprise_id) < amount:
        return None
    today = timezone.localdate(now)
    entry = LedgerEntry.objects.create(
        enterprise_id=enterprise_id,
        kind=EntryKind.REFUND,
        amount=amount,
        booked_on=today,
        due_on=today,
        period=str(Period.of(today)),
        payment_reference=structured_reference(
            enterprise_number=enterprise_number, letter="R", period=Period.of(today)
        ),
        source=source,
        created_at=now,
    )
    _allocate(enterprise_id=enterprise_id, now=now)
    return entry


def _debts_and_credits(enterprise_id: int) -> tuple[list[_Debt], list[tuple[int, str, Decimal, datetime.date]]]:
    """The enterprise's debts, and its payments as (id, payment reference, amount, booked on),
    oldest first — two queries, whatever the length of the history."""
    debts: dict[str, _Debt] = {}
    by_entry: dict[int, _Debt] = {}
    credits = []
    for pk, kind, amount, booked_on, due_on, reference in (
        LedgerEntry.objects.filter(enterprise_id=enterprise_id)
        .order_by("booked_on", "pk")
        .values_list("pk", "kind", "amount", "booked_on", "due_on", "payment_reference")
    ):
        if kind == EntryKind.PAYMENT:
            credits.append((pk, reference, -amount, booked_on))
            continue
        debt = debts.setdefault(reference or f"entry:{pk}", _Debt(reference=reference))
        debt.owed += amount
        by_entry[pk] = debt
        if amount > 0:
            debt.anchor = debt.anchor or (booked_on, pk)
            if due_on is not None and (debt.due_on is None or due_on < debt.due_on):
                debt.due_on = due_on
    for credit_id, debit_id, amount in Allocation.objects.filter(debit__enterprise_id=enterprise_id).values_list(
        "credit_id", "debit_id", "amount"
    ):
        debt = by_entry[debit_id]
        debt.money[credit_id] = debt.money.get(credit_id, _ZERO) + amount
    return [debt for debt in debts.values() if debt.anchor is not None], credits


def _allocate(*, enterprise_id: int, now: datetime.datetime) -> None:
    """Under the enterprise's lock: first release the money of debts that corrections reduced
    below what was paid (the latest money first), then settle the debts still open with the
    money left — each payment first the debt its reference names, then the oldest. Inserts
    only; one insert."""
    debts, credits = _debts_and_credits(enterprise_id)
    booked = {pk: booked_on for pk, _reference, _amount, booked_on in credits}
    allocations = []
    for debt in debts:
        surplus = debt.paid - max(debt.owed, _ZERO)
        for credit_id in sorted(debt.money, key=lambda pk: (booked[pk], pk), reverse=True):
            if surplus <= 0:
                break
            share = min(surplus, debt.money[credit_id])
            if share <= 0:
                continue
            allocations.append(Allocation(credit_id=credit_id, debit_id=debt.anchor[1], amount=-share, created_at=now))  # type: ignore[index]
            debt.money[credit_id] -= share
            surplus -= share
    given: dict[int, Decimal] = {}
    for debt in debts:
        for credit_id, amount in debt.money.items():
            given[credit_id] = given.get(credit_id, _ZERO) + amount
    open_debts = sorted(
        (debt for debt in debts if debt.owed > debt.paid),
        key=lambda debt: (debt.due_on or datetime.date.max, debt.anchor),
    )
    left = {id(debt): debt.owed - debt.paid for debt in open_debts}
    for credit_id, reference, amount, _booked_on in credits:
        available = amount - given.get(credit_id, _ZERO)
        if available <= 0:
            continue
        # The debt this payment names by its reference first, then the oldest.
        ordered = [d for d in open_debts if reference and d.reference == reference] + [
            d for d in open_debts if not (reference and d.reference == reference)
        ]
        for debt in ordered:
            if available <= 0:
                break
            share = min(available, left[id(debt)])
            if share <= 0:
                continue
            allocations.append(Allocation(credit_id=credit_id, debit_id=debt.anchor[1], amount=share, created_at=now))  # type: ignore[index]
            left[id(debt)] -= share
            available -= share
    Allocation.objects.bulk_create(allocations)


_INSERT_NEW_SQL = """
INSERT INTO contributions_ledgerentry
    (enterprise_id, kind, amount, booked_on, due_on, period, payment_reference, declaration_id, source, created_at)
SELECT * FROM unnest(
    %s::bigint[], %s::text[], %s::numeric[], %s::date[], %s::date[], %s::text[], %s::text[], %s::bigint[],
    %s::text[], %s::timestamptz[]
)
ON CONFLICT (source) DO NOTHING
RETURNING id, source
"""


def _insert_new(entries: list[LedgerEntry]) -> list[LedgerEntry]:
    """Insert the entries whose source is not posted yet, in one statement, and return those
    this call inserted (with their ids): an entry posted before, or by a concurrent run (the
    insert waits for its commit on the unique source), is skipped and not returned — what is
    returned is what this run may tell people about."""
    if not entries:
        return []
    columns = (
        [entry.enterprise_id for entry in entries],
        [entry.kind for entry in entries],
        [entry.amount for entry in entries],
        [entry.booked_on for entry in entries],
        [entry.due_on for entry in entries],
        [entry.period for entry in entries],
        [entry.payment_reference for entry in entries],
        [entry.declaration_id for entry in entries],
        [entry.source for entry in entries],
        [entry.created_at for entry in entries],
    )
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_NEW_SQL, list(columns))
        inserted = dict((source, pk) for pk, source in cursor.fetchall())
    fresh = []
    for entry in entries:
        if entry.source in inserted:
            entry.pk = inserted[entry.source]
            fresh.append(entry)
    return fresh


def _allocate_where_needed(enterprise_ids: list[int], reduced: set[int], now: datetime.datetime) -> None:
    """After entries were posted in bulk: settle them from money left over, for the few
    enterprises that have some (one query to find them), and release the money of the debts
    reduced below what was paid (``reduced``: the enterprises that got a negative entry)."""
    with_money = (
        LedgerEntry.objects.filter(enterprise_id__in=enterprise_ids, kind=EntryKind.PAYMENT)
        .annotate(given=Sum("allocations_given__amount", default=_ZERO))
        .filter(given__lt=-F("amount"))
        .values_list("enterprise_id", flat=True)
        .distinct()
    )
    for enterprise_id in sorted(set(with_money) | reduced):
        with transaction.atomic():
            advisory_lock(LockNamespace.LEDGER, enterprise_id)
            _allocate(enterprise_id=enterprise_id, now=now)


def _allocate_after_commit(entries: list[LedgerEntry], now: datetime.datetime) -> None:
    """Entries posted in bulk are not under each enterprise's lock (thousands of locks in one
    transaction): once they are committed, settle them from money left over and release the
    money of the debts they reduced — a payment committed meanwhile is seen then."""
    enterprise_ids = sorted({entry.enterprise_id for entry in entries})
    reduced = {entry.enterprise_id for entry in entries if entry.amount < 0}
    if enterprise_ids:
        transaction.on_commit(lambda: _allocate_where_needed(enterprise_ids, reduced, now))


def penalties_post(*, enterprises: dict[int, str], period: Period, amount: Decimal, now: datetime.datetime) -> int:
    """The late-filing penalty of ``period`` for each enterprise (id → enterprise number), once
    per enterprise and period, in one insert; the representatives of those charged this time
    are told, in the same transaction. Returns how many were posted."""
    if amount <= 0 or not enterprises:
        return 0
    booked_on = timezone.localdate(now)
    with transaction.atomic():
        posted = _insert_new(
            [
                LedgerEntry(
                    enterprise_id=enterprise_id,
                    kind=EntryKind.PENALTY,
                    amount=amount,
                    booked_on=booked_on,
                    due_on=booked_on + datetime.timedelta(days=settings.PENALTY_PAYMENT_DAYS),
                    period=str(period),
                    payment_reference=structured_reference(enterprise_number=number, letter="L", period=period),
                    source=f"penalty:{enterprise_id}:{period}",
                    created_at=now,
                )
                for enterprise_id, number in enterprises.items()
            ]
        )
        notices.penalties_posted(entries=posted, now=now)
        _allocate_after_commit(posted, now)
    return len(posted)


# Per enterprise, the sum over the days of a month of each debt's unpaid part times the yearly
# rate of that day. A debt is the contributions of a period (declarations and their corrections,
# whenever they were booked: a declaration filed late or corrected owes interest from the legal
# due date, on its corrected amount) or a penalty; interest does not bear interest. Its unpaid
# part on a day is what it owes less the money allocated to it that was received before that
# day. It accrues from the day after its due date.
_DAILY_OVERDUE_SQL = """
WITH days AS (
    SELECT day::date AS day,
           (SELECT r.yearly_rate FROM contributions_lateinterestrate r
             WHERE r.valid_from <= day::date ORDER BY r.valid_from DESC LIMIT 1) AS rate
    FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS day
),
debts AS (
    SELECT e.enterprise_id, e.payment_reference, SUM(e.amount) AS owed,
           MIN(e.due_on) FILTER (WHERE e.amount > 0) AS due_on
    FROM contributions_ledgerentry e
    WHERE e.kind IN ('declaration', 'correction', 'penalty')
      AND (%(enterprises)s::bigint[] IS NULL OR e.enterprise_id = ANY(%(enterprises)s::bigint[]))
    GROUP BY e.enterprise_id, e.payment_reference
    HAVING MIN(e.due_on) FILTER (WHERE e.amount > 0) < %(last)s AND SUM(e.amount) > 0
),
money AS (
    SELECT d.enterprise_id, d.payment_reference, c.booked_on, SUM(a.amount) AS amount
    FROM contributions_allocation a
    JOIN contributions_ledgerentry d ON d.id = a.debit_id
    JOIN contributions_ledgerentry c ON c.id = a.credit_id
    WHERE d.kind IN ('declaration', 'correction', 'penalty') AND c.booked_on < %(last)s
      AND (%(enterprises)s::bigint[] IS NULL OR d.enterprise_id = ANY(%(enterprises)s::bigint[]))
    GROUP BY d.enterprise_id, d.payment_reference, c.booked_on
),
money_per_debt AS (
    SELECT m.enterprise_id, m.payment_reference,
           SUM(m.amount) FILTER (WHERE m.booked_on < %(first)s) AS before,
           SUM(m.amount) AS total, MAX(m.booked_on) AS last_on
    FROM money m
    GROUP BY m.enterprise_id, m.payment_reference
),
-- The debts still unpaid at the start, each with the day it was paid in full, if it was: no
-- interest after that day, so no row for it.
open_debts AS (
    SELECT b.enterprise_id, b.payment_reference, b.due_on, b.owed - COALESCE(p.before, 0) AS unpaid,
           CASE WHEN p.total >= b.owed THEN p.last_on END AS settled_on
    FROM debts b
    LEFT JOIN money_per_debt p ON p.enterprise_id = b.enterprise_id AND p.payment_reference = b.payment_reference
    WHERE b.owed > COALESCE(p.before, 0)
),
paid_in_range AS (
    SELECT m.enterprise_id, m.payment_reference, m.booked_on, m.amount
    FROM money m WHERE m.booked_on >= %(first)s
),
per_day AS (
    SELECT o.enterprise_id, days.day, days.rate, o.unpaid - COALESCE(SUM(i.amount), 0) AS unpaid
    FROM open_debts o
    JOIN days ON days.day > o.due_on AND (o.settled_on IS NULL OR days.day <= o.settled_on)
    LEFT JOIN paid_in_range i ON i.enterprise_id = o.enterprise_id
        AND i.payment_reference = o.payment_reference AND i.booked_on < days.day
    GROUP BY o.enterprise_id, o.payment_reference, o.unpaid, days.day, days.rate
)
SELECT enterprise_id, to_char(day, 'YYYY-MM'), SUM(GREATEST(unpaid, 0) * rate)
FROM per_day GROUP BY enterprise_id, to_char(day, 'YYYY-MM')
"""


def _interest_of(
    *, first: Period, last: Period | None = None, enterprise_ids: list[int] | None = None
) -> dict[tuple[int, str], Decimal]:
    """The rule, in one place: the interest of each month from ``first`` to ``last`` (or of
    ``first`` alone) for every enterprise (or those given) with something overdue in it — per
    day, the unpaid part of each debt past its legal due date × the yearly rate of that day /
    365, summed over the month and rounded once; 0.00 when under LATE_INTEREST_MINIMUM. Keyed
    by (enterprise, month). One query, whatever the number of months.

    The debts are taken as they stand when this runs (a declaration filed late counts from its
    legal due date; a correction, up or down, counts as if the period had been declared so),
    so computing a month again after a change gives what it should have been: the difference
    is the catch-up (``_interest_catch_up``)."""
    minimum = Decimal(str(settings.LATE_INTEREST_MINIMUM))
    with connection.cursor() as cursor:
        cursor.execute(
            _DAILY_OVERDUE_SQL,
            {"first": first.first_day, "last": (last or first).last_day, "enterprises": enterprise_ids},
        )
        totals = {(enterprise_id, month): Decimal(total) for enterprise_id, month, total in cursor.fetchall() if total}
    amounts = {key: round_half_up(total / Decimal(365)) for key, total in totals.items()}
    return {key: amount if amount >= minimum else _ZERO for key, amount in amounts.items()}


def interest_post(*, month: Period, now: datetime.datetime) -> int:
    """Late-payment interest of one month, for every enterprise at once (the rule is
    ``_interest_of``), posted once per enterprise and month; then the catch-up of earlier
    months for what changed since they were charged (``_interest_catch_up``). The
    representatives of each enterprise for which this run posted something are told in one
    message, in the same transaction. Returns how many entries were posted."""
    amounts = {enterprise_id: amount for (enterprise_id, _month), amount in _interest_of(first=month).items() if amount}
    with transaction.atomic():
        posted: list[LedgerEntry] = []
        if amounts:
            numbers = {e.id: e.enterprise_number for e in enterprise_summaries(enterprise_ids=list(amounts))}
            booked_on = timezone.localdate(now)
            posted = _insert_new(
                [
                    LedgerEntry(
                        enterprise_id=enterprise_id,
                        kind=EntryKind.INTEREST,
                        amount=amount,
                        booked_on=booked_on,
                        due_on=booked_on + datetime.timedelta(days=settings.PENALTY_PAYMENT_DAYS),
                        period=str(month),
                        payment_reference=structured_reference(
                            enterprise_number=numbers[enterprise_id], letter="I", period=month
                        ),
                        source=f"interest:{enterprise_id}:{month}",
                        created_at=now,
                    )
                    for enterprise_id, amount in amounts.items()
                ]
            )
            _allocate_after_commit(posted, now)
        corrections = _interest_catch_up(month=month, now=now)
        by_enterprise: dict[int, list[LedgerEntry]] = {}
        for correction in corrections:
            by_enterprise.setdefault(correction.enterprise_id, []).append(correction)
        notices.interest_posted(
            month=month, interest={entry.enterprise_id: entry for entry in posted}, corrections=by_enterprise, now=now
        )
    return len(posted) + len(corrections)


# What changed, since ``start``, the interest of the months before ``month``: per enterprise, the
# earliest day from which it counts — a debt posted late or corrected (from the day after its
# due date) and money received in the past but allocated since (from the day after it was
# received: a transfer imported days later, one staff assigned late, money released by a
# reduction and settling another debt).
_CHANGES_SQL = """
SELECT enterprise_id, MIN(since) FROM (
    SELECT e.enterprise_id, e.due_on + 1 AS since
    FROM contributions_ledgerentry e
    WHERE e.created_at >= %(start)s AND e.kind IN ('declaration', 'correction', 'penalty')
      AND e.due_on < %(before)s
    UNION ALL
    SELECT d.enterprise_id, c.booked_on + 1
    FROM contributions_allocation a
    JOIN contributions_ledgerentry c ON c.id = a.credit_id
    JOIN contributions_ledgerentry d ON d.id = a.debit_id
    WHERE a.created_at >= %(start)s AND c.booked_on < %(before)s
) AS changes
GROUP BY enterprise_id
"""


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _interest_catch_up(*, month: Period, now: datetime.datetime) -> list[LedgerEntry]:
    """Bring the interest of the months before ``month`` to what it should be, now that debts
    were posted late or corrected, or money received in the past was allocated, since the
    start of ``month`` (a run looks at everything that changed from the start of the month it
    charges to the moment it runs: what the next run looks at again changes nothing). Returns
    the entries this call posted.

    Exact: each affected month is computed again by the same rule (``_interest_of``), and the
    catch-up is what that figure differs from everything already posted for that month (its
    interest and earlier catch-ups), so they never pile up rounding. A month never charged (the
    debt was posted after it) is caught up in full; one whose corrected figure falls under
    LATE_INTEREST_MINIMUM is reversed in full. A catch-up is an interest entry of the month it
    catches up, with that month's reference — a debit when more is owed, else it reduces that
    month's interest — whose source ``interest-correction:<enterprise>:<month caught up>:<month
    charged>`` makes a second run post nothing. One query per affected month, for all the
    enterprises it concerns."""
    with connection.cursor() as cursor:
        cursor.execute(_CHANGES_SQL, {"start": _local_midnight(month.first_day), "before": month.previous().last_day})
        earliest = {enterprise_id: Period.of(since) for enterprise_id, since in cursor.fetchall()}
    if not earliest:
        return []
    months = [str(p) for p in min(earliest.values()).through(month.previous())]
    posted: dict[tuple[int, str], Decimal] = {}
    for enterprise_id, period, amount in LedgerEntry.objects.filter(
        enterprise_id__in=list(earliest), kind=EntryKind.INTEREST, period__in=months
    ).values_list("enterprise_id", "period", "amount"):
        posted[(enterprise_id, period)] = posted.get((enterprise_id, period), _ZERO) + amount
    numbers = {e.id: e.enterprise_number for e in enterprise_summaries(enterprise_ids=list(earliest))}
    booked_on = timezone.localdate(now)
    # One query per first month concerned (enterprises whose changes go back as far computed
    # together): a filing twenty years late does not make every other enterprise's months count.
    corrected: dict[tuple[int, str], Decimal] = {}
    by_since: dict[Period, list[int]] = {}
    for enterprise_id, since in earliest.items():
        by_since.setdefault(since, []).append(enterprise_id)
    for since, enterprise_ids in sorted(by_since.items()):
        corrected |= _interest_of(first=since, last=month.previous(), enterprise_ids=sorted(enterprise_ids))
    corrections = []
    for period in months:
        for enterprise_id, since in sorted(earliest.items()):
            if Period.parse(period) < since:
                continue
            difference = corrected.get((enterprise_id, period), _ZERO) - posted.get((enterprise_id, period), _ZERO)
            if difference == 0:
                continue
            corrections.append(
                LedgerEntry(
                    enterprise_id=enterprise_id,
                    kind=EntryKind.INTEREST,
                    amount=difference,
                    booked_on=booked_on,
                    due_on=booked_on + datetime.timedelta(days=settings.PENALTY_PAYMENT_DAYS)
                    if difference > 0
                    else None,
                    period=period,
                    payment_reference=structured_reference(
                        enterprise_number=numbers[enterprise_id], letter="I", period=Period.parse(period)
                    ),
                    source=f"{INTEREST_CORRECTION_SOURCE}{enterprise_id}:{period}:{month}",
                    created_at=now,
                )
            )
    if not corrections:
        return []
    inserted = _insert_new(corrections)
    _allocate_after_commit(inserted, now)
    return inserted
