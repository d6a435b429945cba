"""What the employers' representatives are told of their account: a monthly declaration accepted
or rejected, a payment received, a penalty or late-payment interest posted.

Each function takes what was done *this time* — the declarations that came into force, the
ledger entries this run inserted, the credits posted — and tells, in the caller's transaction,
the administrators and declarants of each enterprise concerned (a viewer only consults the
file), one message per enterprise and event (per declaration: per enterprise and month). A
batch of thousands costs a constant number of queries: the names of the enterprises, their
representatives, and ``notify_many``'s writes. Running a job twice tells no one twice because
its callers hand over only what they posted (a unique source, a state that changed).

Contexts keep facts, not sentences: amounts as text (``"1234.50"``), days and months in ISO
form, anomaly codes; each recipient reads them in their own language when the message is shown
or sent. E-mails and text messages say only that there is news and where to read it.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse

from contributions.models import Allocation, EntryKind, LateInterestRate, LedgerEntry
from contributions.policies import DECLARING_ROLES
from core.periods import Period
from identity.selectors import enterprise_names
from notifications.selectors import recipients_for_enterprises
from notifications.services import notify_many
from notifications.types import Notice

# Who is told: those who file and pay (a viewer only consults the enterprise's file).
ROLES_TOLD = tuple(role.value for role in DECLARING_ROLES)
# The anomalies a rejection names (the count says how many there are in all).
ERRORS_NAMED = 5
# The debts a payment names (the account page lists them all).
DEBTS_NAMED = 6


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _news(
    *,
    event: str,
    items: Iterable[tuple[int, dict[str, Any], str, Collection[int]]],
    extra_enterprise_ids: Iterable[int] = (),
    now: datetime.datetime,
) -> int:
    """Tell each item — (enterprise id, context, link, user ids who know already) — to the
    enterprise's representatives but those; the context gets the enterprise's name (and
    ``bureau_name`` for a ``bureau_id``). Two queries (their representatives, the enterprises'
    names) and ``notify_many``'s writes, whatever the number of items."""
    items = list(items)
    if not items:
        return 0
    enterprise_ids = sorted({enterprise_id for enterprise_id, _c, _l, _k in items})
    representatives = recipients_for_enterprises(enterprise_ids=enterprise_ids, roles=ROLES_TOLD)
    if not representatives:
        return 0
    names = enterprise_names(enterprise_ids=sorted({*representatives, *extra_enterprise_ids}))

    def notices() -> Iterator[Notice]:
        for enterprise_id, context, link, knowing in items:
            recipients = tuple(r for r in representatives.get(enterprise_id, []) if r.user_id not in knowing)
            if not recipients:
                continue
            bureau_id = context.get("bureau_id")
            yield Notice(
                recipients=recipients,
                context={
                    "enterprise_name": names.get(enterprise_id, ""),
                    **{key: value for key, value in context.items() if key != "bureau_id"},
                    **({"bureau_name": names.get(bureau_id, "")} if bureau_id else {}),
                },
                link=link,
            )

    return notify_many(event=event, notices=notices(), now=now)


def _account_link(enterprise_id: int) -> str:
    return reverse("contributions:account", args=[enterprise_id])


def _declarations_link(enterprise_id: int, period: str) -> str:
    link = reverse("contributions:declarations", args=[enterprise_id])
    return f"{link}?period={period}" if _is_period(period) else link


def _is_period(value: str) -> bool:
    return len(value) == 7 and value[4] == "-" and value[:4].isdigit() and value[5:].isdigit()


# --- Declarations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """A declaration that came into force: ``total`` is what the month's contributions come to,
    ``posted`` what its coming into force posted to the account (the total for a first version,
    the difference for a replacement; None when nothing was posted) with its payment reference;
    ``told_user_id`` already knows (the form's sender sees the receipt, a file's sender gets the
    file's summary)."""

    declaration_id: int
    enterprise_id: int
    period: str
    version: int
    reference: str
    channel: str
    total: Decimal
    posted: Decimal | None
    payment_reference: str
    due_on: datetime.date
    bureau_id: int | None
    told_user_id: int | None


def declarations_accepted(*, accepted: list[Accepted], now: datetime.datetime) -> int:
    """Tell each enterprise's representatives that its declaration of a month is in force."""
    return _news(
        event="declaration_accepted",
        items=(
            (
                declaration.enterprise_id,
                {
                    "period": declaration.period,
                    "version": declaration.version,
                    "reference": declaration.reference,
                    "channel": declaration.channel,
                    "total": _money(declaration.total),
                    # What a replacement changed on the account (a first version posts its total).
                    "change": _change(declaration) if declaration.version > 1 else "",
                    "difference": _money(abs(declaration.posted))
                    if declaration.version > 1 and declaration.posted
                    else "",
                    "payment_reference": declaration.payment_reference,
                    "due_date": declaration.due_on.isoformat(),
                    "bureau_id": declaration.bureau_id,
                    "account_link": _account_link(declaration.enterprise_id),
                },
                reverse("contributions:declaration", args=[declaration.enterprise_id, declaration.declaration_id]),
                {declaration.told_user_id} if declaration.told_user_id else set(),
            )
            for declaration in accepted
        ),
        extra_enterprise_ids=[d.bureau_id for d in accepted if d.bureau_id],
        now=now,
    )


def _change(declaration: Accepted) -> str:
    if not declaration.posted:
        return "none"
    return "more" if declaration.posted > 0 else "less"


@dataclass(frozen=True)
class Rejected:
    """A declaration refused (a ``replacement`` of the one in force, or not): ``errors`` are
    (anomaly code, first line, how many lines), the most frequent first; ``error_count`` counts
    them all. ``period`` is as it was sent (it may be the error); ``due_on`` is its filing date
    when the period is one and is still to be filed."""

    enterprise_id: int
    period: str
    channel: str
    replacement: bool
    error_count: int
    errors: tuple[tuple[str, int | None, int], ...]
    due_on: datetime.date | None
    overdue: bool
    file_name: str = ""
    bureau_id: int | None = None
    told_user_id: int | None = None


def declarations_rejected(*, rejected: list[Rejected], now: datetime.datetime) -> int:
    """Tell each enterprise's representatives that a declaration sent for it was rejected, why
    (the first anomalies, in plain words), and where to file it."""
    return _news(
        event="declaration_rejected",
        items=(
            (
                rejection.enterprise_id,
                {
                    "period": rejection.period[:20],
                    "channel": rejection.channel,
                    "replacement": rejection.replacement,
                    "file_name": rejection.file_name[:255],
                    "error_count": rejection.error_count,
                    "reasons": [
                        {"code": code, "line": line, "others": count - 1}
                        for code, line, count in rejection.errors[:ERRORS_NAMED]
                    ],
                    "more_reasons": len(rejection.errors) > ERRORS_NAMED,
                    "due_date": rejection.due_on.isoformat() if rejection.due_on else "",
                    "overdue": rejection.overdue,
                    "bureau_id": rejection.bureau_id,
                },
                _declarations_link(rejection.enterprise_id, rejection.period),
                {rejection.told_user_id} if rejection.told_user_id else set(),
            )
            for rejection in rejected
        ),
        extra_enterprise_ids=[r.bureau_id for r in rejected if r.bureau_id],
        now=now,
    )


# --- The account -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """A payment credited to an enterprise's account this time: ``method`` is ``online`` or
    ``transfer``; ``source`` is its ledger entry's."""

    enterprise_id: int
    source: str
    amount: Decimal
    booked_on: datetime.date
    method: str
    payment_reference: str


def payments_received(*, received: list[Received], now: datetime.datetime) -> int:
    """Tell each enterprise's representatives of a payment credited to its account: how much,
    when, how, and what it paid (the debits it settled, as allocated when it was posted; what
    is left stays as credit). One query for what they paid, whatever their number."""
    if not received:
        return 0
    paid: dict[str, dict[tuple[str, str], Decimal]] = {}
    for source, kind, period, amount in Allocation.objects.filter(
        credit__source__in=[credit.source for credit in received]
    ).values_list("credit__source", "debit__kind", "debit__period", "amount"):
        debts = paid.setdefault(source, {})
        debts[(kind, period)] = debts.get((kind, period), Decimal("0.00")) + amount

    def context(credit: Received) -> dict[str, Any]:
        debts = paid.get(credit.source, {})
        settled = sum(debts.values(), Decimal("0.00"))
        ordered = sorted(debts.items(), key=lambda item: (item[0][1], item[0][0]))
        return {
            "amount": _money(credit.amount),
            "date": credit.booked_on.isoformat(),
            "method": credit.method,
            "payment_reference": credit.payment_reference,
            "paid": [
                {"kind": kind, "period": period, "amount": _money(amount)}
                for (kind, period), amount in ordered[:DEBTS_NAMED]
            ],
            "more_paid": len(ordered) > DEBTS_NAMED,
            "left": _money(credit.amount - settled) if credit.amount > settled else "",
        }

    return _news(
        event="payment_received",
        items=((c.enterprise_id, context(c), _account_link(c.enterprise_id), ()) for c in received),
        now=now,
    )


def penalties_posted(*, entries: list[LedgerEntry], now: datetime.datetime) -> int:
    """Tell each enterprise's representatives of a penalty posted to its account this time."""
    return _news(
        event="penalty_posted",
        items=(
            (
                entry.enterprise_id,
                {
                    "amount": _money(entry.amount),
                    # The one penalty there is: a monthly declaration filed late.
                    "reason": "late_filing",
                    "period": entry.period,
                    "due_date": entry.due_on.isoformat() if entry.due_on else "",
                    "payment_reference": entry.payment_reference,
                },
                _account_link(entry.enterprise_id),
                (),
            )
            for entry in entries
            if entry.kind == EntryKind.PENALTY
        ),
        now=now,
    )


def _interest_rate(day: datetime.date) -> Decimal | None:
    """The yearly rate of late-payment interest in force on ``day`` (None when none is)."""
    return (
        LateInterestRate.objects.filter(valid_from__lte=day)
        .order_by("-valid_from")
        .values_list("yearly_rate", flat=True)
        .first()
    )


def interest_posted(
    *,
    month: Period,
    interest: Mapping[int, LedgerEntry],
    corrections: Mapping[int, list[LedgerEntry]],
    now: datetime.datetime,
) -> int:
    """Tell each enterprise's representatives, in one message, of the late-payment interest of
    the month posted this time (``interest``: enterprise id → its entry) and of the corrections
    of earlier months' interest posted by the same run (mostly good news: a payment booked in a
    past month, received since, lowers what that month owed)."""
    # The rate in force at the end of the month charged (one query, for every enterprise).
    rate = _interest_rate(month.last_day) if interest else None

    def context(enterprise_id: int) -> dict[str, Any]:
        entry = interest.get(enterprise_id)
        return {
            "month": entry.period if entry else "",
            "amount": _money(entry.amount) if entry else "",
            "due_date": entry.due_on.isoformat() if entry and entry.due_on else "",
            "payment_reference": entry.payment_reference if entry else "",
            "rate": f"{(rate * 100).normalize():f}" if entry and rate is not None else "",
            "corrections": [
                {"period": correction.period, "amount": _money(abs(correction.amount)), "lower": correction.amount < 0}
                for correction in sorted(corrections.get(enterprise_id, []), key=lambda c: c.period)
            ],
        }

    return _news(
        event="interest_posted",
        items=(
            (enterprise_id, context(enterprise_id), _account_link(enterprise_id), ())
            for enterprise_id in sorted({*interest, *corrections})
        ),
        now=now,
    )
