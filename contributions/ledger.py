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
        _allocate_after_commit(enterprise_ids, now)
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


def _open_items(enterprise_id: int) -> tuple[list[tuple[int, str, Decimal]], list[tuple[int, str, Decimal]]]:
    """(debits, credits) with what is left of each: (id, payment reference, amount left),
    oldest first; two queries."""
    debits = (
        LedgerEntry.objects.filter(enterprise_id=enterprise_id, amount__gt=0)
        .annotate(settled=Sum("allocations_received__amount", default=_ZERO))
        .filter(settled__lt=F("amount"))
        .order_by("due_on", "booked_on", "pk")
        .values_list("pk", "payment_reference", "amount", "settled")
    )
    credits = (
        LedgerEntry.objects.filter(enterprise_id=enterprise_id, amount__lt=0)
        .annotate(given=Sum("allocations_given__amount", default=_ZERO))
        .order_by("booked_on", "pk")
        .values_list("pk", "payment_reference", "amount", "given")
    )
    return (
        [(pk, reference, amount - settled) for pk, reference, amount, settled in debits],
        [(pk, reference, -amount - given) for pk, reference, amount, given in credits if -amount - given > 0],
    )


def _allocate(*, enterprise_id: int, now: datetime.datetime) -> None:
    debits, credits = _open_items(enterprise_id)
    if not debits or not credits:
        return
    left = {pk: amount for pk, _reference, amount in debits}
    allocations = []
    for credit_id, reference, available in credits:
        # The debits this credit names by its reference first, then the oldest.
        ordered = [d for d in debits if reference and d[1] == reference] + [
            d for d in debits if not (reference and d[1] == reference)
        ]
        for debit_id, _debit_reference, _amount in ordered:
            if available <= 0:
                break
            share = min(available, left[debit_id])
            if share <= 0:
                continue
            allocations.append(Allocation(credit_id=credit_id, debit_id=debit_id, amount=share, created_at=now))
            left[debit_id] -= share
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


def _allocate_where_credit_is_left(enterprise_ids: list[int], now: datetime.datetime) -> None:
    """After debits were posted in bulk: settle them from credit left over, for the few
    enterprises that have some (one query to find them)."""
    with_credit = (
        LedgerEntry.objects.filter(enterprise_id__in=enterprise_ids, amount__lt=0)
        .annotate(given=Sum("allocations_given__amount", default=_ZERO))
        .filter(given__lt=-F("amount"))
        .values_list("enterprise_id", flat=True)
        .distinct()
    )
    for enterprise_id in sorted(set(with_credit)):
        with transaction.atomic():
            advisory_lock(LockNamespace.LEDGER, enterprise_id)
            _allocate(enterprise_id=enterprise_id, now=now)


def _allocate_after_commit(enterprise_ids: list[int], now: datetime.datetime) -> None:
    """Debits posted in bulk are not under each enterprise's lock (thousands of locks in one
    transaction): once they are committed, settle them from credit left over — a credit
    committed meanwhile is seen then."""
    transaction.on_commit(lambda: _allocate_where_credit_is_left(enterprise_ids, now))


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
        _allocate_after_commit(list(enterprises), now)
    return len(posted)


_DAILY_OVERDUE_SQL = """
WITH days AS (
    SELECT day::date AS day FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS day
),
open_debits AS (
    SELECT e.id, e.enterprise_id, e.amount, e.due_on
    FROM contributions_ledgerentry e
    WHERE e.amount > 0
      AND e.kind IN ('declaration', 'correction', 'penalty')
      AND e.due_on < %(last)s
      AND e.booked_on <= %(last)s
      AND (%(enterprises)s::bigint[] IS NULL OR e.enterprise_id = ANY(%(enterprises)s::bigint[]))
      AND e.amount > COALESCE((
          SELECT SUM(a.amount) FROM contributions_allocation a
          JOIN contributions_ledgerentry c ON c.id = a.credit_id
          WHERE a.debit_id = e.id AND c.booked_on < %(first)s
      ), 0)
)
SELECT b.enterprise_id, SUM(GREATEST(b.amount - COALESCE(paid.total, 0), 0))
FROM open_debits b
JOIN days ON days.day > b.due_on
LEFT JOIN LATERAL (
    SELECT SUM(a.amount) AS total FROM contributions_allocation a
    JOIN contributions_ledgerentry c ON c.id = a.credit_id
    WHERE a.debit_id = b.id AND c.booked_on < days.day
) AS paid ON TRUE
GROUP BY b.enterprise_id
"""


def _interest_of(*, month: Period, enterprise_ids: list[int] | None = None) -> dict[int, Decimal]:
    """The rule, in one place: the interest of ``month`` for every enterprise (or those given)
    with something overdue in it — per day, the overdue part of each debit booked by the end of
    the month (what the credits booked before that day left of it) × the yearly rate / 365,
    summed over the month and rounded once; 0.00 when under LATE_INTEREST_MINIMUM. One query.

    A debit booked after the month (a late declaration, a replacement) counts from the next
    month on, whatever its due date: the month's interest depends only on what was on the
    account by its end and on the booking dates of the credits, so that computing it again later
    gives the same figure unless a credit booked in the past was posted since."""
    rate = Decimal(str(settings.LATE_INTEREST_YEARLY_RATE))
    minimum = Decimal(str(settings.LATE_INTEREST_MINIMUM))
    with connection.cursor() as cursor:
        cursor.execute(
            _DAILY_OVERDUE_SQL, {"first": month.first_day, "last": month.last_day, "enterprises": enterprise_ids}
        )
        totals = {enterprise_id: Decimal(total) for enterprise_id, total in cursor.fetchall() if total}
    amounts = {enterprise_id: round_half_up(total * rate / Decimal(365)) for enterprise_id, total in totals.items()}
    return {enterprise_id: amount if amount >= minimum else _ZERO for enterprise_id, amount in amounts.items()}


def interest_post(*, month: Period, now: datetime.datetime) -> int:
    """Late-payment interest of one month, for every enterprise at once (the rule is
    ``_interest_of``), posted once per enterprise and month; then the interest of earlier months
    corrected for the credits booked in the past that were posted during ``month``
    (``_interest_corrections_post``). The representatives of each enterprise for which this run
    posted something are told in one message, in the same transaction. Returns how many
    entries were posted."""
    amounts = {enterprise_id: amount for enterprise_id, amount in _interest_of(month=month).items() if amount}
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
            _allocate_after_commit(list(amounts), now)
        corrections = _interest_corrections_post(month=month, now=now)
        by_enterprise: dict[int, list[LedgerEntry]] = {}
        for correction in corrections:
            by_enterprise.setdefault(correction.enterprise_id, []).append(correction)
        notices.interest_posted(
            interest={entry.enterprise_id: entry for entry in posted}, corrections=by_enterprise, now=now
        )
    return len(posted) + len(corrections)


# Per enterprise, the earliest booking date of the credits allocated during a month that were
# booked early enough to count in an earlier month (a credit counts from the day after it).
_BACKDATED_CREDITS_SQL = """
SELECT d.enterprise_id, MIN(c.booked_on)
FROM contributions_allocation a
JOIN contributions_ledgerentry c ON c.id = a.credit_id
JOIN contributions_ledgerentry d ON d.id = a.debit_id
WHERE a.created_at >= %(start)s AND a.created_at < %(end)s AND c.booked_on < %(before)s
GROUP BY d.enterprise_id
"""


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _interest_corrections_post(*, month: Period, now: datetime.datetime) -> list[LedgerEntry]:
    """Correct the interest already posted for months before ``month`` when a credit booked in
    one of them (a bank transfer imported days later, a transfer staff assigned late) was
    allocated during ``month``, after that interest was computed. Returns the corrections this
    call posted.

    Exact: each affected month is computed again by the same rule (``_interest_of``), and the
    correction is what that figure differs from everything already posted for the month (its
    interest and earlier corrections), so corrections never pile up rounding. The minimum
    applies to the corrected total of the month: if it falls under LATE_INTEREST_MINIMUM, the
    month's interest is reversed in full. Only months whose interest was posted are corrected
    (a month under the minimum can only go down). A correction is an interest entry — a credit
    when negative, with the reference of the month's interest, so that it settles that interest
    first — whose source ``interest-correction:<enterprise>:<month corrected>:<month>`` names
    the month during which the credits arrived: running this twice posts once.

    Allocations of every month are looked at by the run of that month, whatever the day it
    runs: a credit allocated on the 1st before the run is seen both by the interest of the
    month that ended (computed with it) and here next month (no difference, nothing posted).
    One query per affected month, for all enterprises at once."""
    with connection.cursor() as cursor:
        cursor.execute(
            _BACKDATED_CREDITS_SQL,
            {
                "start": _local_midnight(month.first_day),
                "end": _local_midnight(month.next().first_day),
                "before": month.previous().last_day,
            },
        )
        earliest = {
            enterprise_id: Period.of(booked_on + datetime.timedelta(days=1))
            for enterprise_id, booked_on in cursor.fetchall()
        }
    if not earliest:
        return []
    months = [str(p) for p in _months(min(earliest.values()), month.previous())]
    posted: dict[tuple[int, str], Decimal] = {}
    references: dict[tuple[int, str], str] = {}
    for enterprise_id, period, source, amount, reference in LedgerEntry.objects.filter(
        enterprise_id__in=list(earliest), kind=EntryKind.INTEREST, period__in=months
    ).values_list("enterprise_id", "period", "source", "amount", "payment_reference"):
        posted[(enterprise_id, period)] = posted.get((enterprise_id, period), _ZERO) + amount
        if source == f"interest:{enterprise_id}:{period}":
            references[(enterprise_id, period)] = reference
    affected: dict[str, list[int]] = {}
    for enterprise_id, period in sorted(references):
        if Period.parse(period) >= earliest[enterprise_id]:
            affected.setdefault(period, []).append(enterprise_id)
    booked_on = timezone.localdate(now)
    corrections = []
    for period, enterprise_ids in affected.items():
        corrected = _interest_of(month=Period.parse(period), enterprise_ids=enterprise_ids)
        for enterprise_id in enterprise_ids:
            difference = corrected.get(enterprise_id, _ZERO) - posted[(enterprise_id, period)]
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
                    payment_reference=references[(enterprise_id, period)],
                    source=f"{INTEREST_CORRECTION_SOURCE}{enterprise_id}:{period}:{month}",
                    created_at=now,
                )
            )
    if not corrections:
        return []
    inserted = _insert_new(corrections)
    _allocate_after_commit(sorted({entry.enterprise_id for entry in corrections}), now)
    return inserted


def _months(first: Period, last: Period) -> list[Period]:
    months = []
    while first <= last:
        months.append(first)
        first = first.next()
    return months
