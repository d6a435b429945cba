"""The one registry of PostgreSQL advisory locks: every kind of lock has its namespace here.

An advisory lock serialises work that no row lock can: the first declaration of a period
(there is no row to lock yet), the allocation of an enterprise's account, the count of what a
person asked for today. Every lock is transaction-level (``pg_advisory_xact_lock``): it is
released when the transaction ends, commit or rollback, and taken again by the same
transaction without waiting. It is the two-key form, (namespace, key): the namespace says what
is serialised, the key which one of them — an integer id (a 32-bit key), or a text hashed in
SQL with ``hashtext`` (two texts hashing alike only make one wait for the other; they never
let two holders through).

Locks of one namespace are taken in the order of their keys (as PostgreSQL compares them,
after hashing), whatever the order they are given in: two transactions locking overlapping
sets wait for each other and never deadlock. Code that holds locks of several namespaces
takes them in the same order everywhere (today: a declaration period, then the ledger).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from django.db import connection

_INT4 = range(-(2**31), 2**31)


class LockNamespace(IntEnum):
    """What a lock serialises. The numbers are the locks' first key: never reuse or renumber one
    (processes of two releases running side by side must agree)."""

    # An enterprise's account: a posting and the allocation that follows it (key: enterprise id).
    LEDGER = 1
    # The imports of one bank account's statements, so that a transfer is booked once (key: the
    # account's IBAN, hashed).
    BANK_ACCOUNT = 2
    # A person's discrepancy reports, so that two at once cannot both pass the daily count
    # (key: person id).
    DISCREPANCY_REPORTS = 3
    # A person's statement requests, so that two at once cannot both pass the daily count
    # (key: person id).
    STATEMENT_REQUESTS = 4
    # An enterprise's declarations of one period, whatever the channel (form, API, bulk file):
    # two first declarations cannot both be accepted, a replacement replaces the version in
    # force (key: "<enterprise id>:<YYYY-MM>", hashed).
    DECLARATION_PERIOD = 5
    # The benefit payment run of a month: two preparations at once add each payment once, and no
    # preparation runs while the run is checked or approved (key: the month as YYYYMM).
    PAYMENT_RUN = 6
    # The life certificate campaign of a year: two daily jobs at once ask each pensioner once and
    # tell them once (key: the year).
    LIFE_CERTIFICATES = 7


LockKey = int | str


def advisory_lock(namespace: LockNamespace, key: LockKey) -> None:
    """Wait for the lock ``(namespace, key)`` and hold it until the transaction ends."""
    advisory_locks(namespace, [key])


def advisory_locks(namespace: LockNamespace, keys: Iterable[LockKey]) -> None:
    """Wait for the locks of ``keys`` in ``namespace``, one after the other in the order of
    their keys, and hold them until the transaction ends. One statement, whatever the number
    of keys."""
    numbers: set[int] = set()
    texts: set[str] = set()
    for key in keys:
        if isinstance(key, str):
            texts.add(key)
        elif key in _INT4:
            numbers.add(key)
        else:
            raise ValueError(f"an advisory lock's integer key is 32-bit: {key}")
    if not numbers and not texts:
        return
    if not connection.in_atomic_block:
        # Outside a transaction the lock would be released as soon as it is taken.
        raise RuntimeError("an advisory lock is taken inside a transaction (transaction.atomic)")
    with connection.cursor() as cursor:
        # The function is volatile: PostgreSQL calls it after sorting, in the keys' order.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s::int4, k)"
            " FROM (SELECT unnest(%s::int4[]) AS k UNION SELECT hashtext(unnest(%s::text[]))) AS keys"
            " ORDER BY k",
            [int(namespace), sorted(numbers), sorted(texts)],
        )
