"""The registry of advisory locks: one namespace per kind of lock, keys as they were, a text key
hashed in SQL, many keys taken in their order (never a deadlock), held to the transaction's end."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from core.locks import LockNamespace, advisory_lock, advisory_locks
from tests.concurrency import InAnotherSession, advisory_locks_of, hashtext, stored_key, wait_until_waiting

pytestmark = [pytest.mark.django_db(transaction=True)]


def _own_locks() -> list[tuple[int, int, bool]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return advisory_locks_of(cursor.fetchone()[0])


def test_every_namespace_has_a_number_of_its_own_and_keeps_it():
    # An alias (two names, one number) would make two kinds of work wait for each other.
    assert len(LockNamespace.__members__) == len(list(LockNamespace))
    assert {namespace.name: namespace.value for namespace in LockNamespace} == {
        "LEDGER": 1,
        "BANK_ACCOUNT": 2,
        "DISCREPANCY_REPORTS": 3,
        "STATEMENT_REQUESTS": 4,
        "DECLARATION_PERIOD": 5,
        "PAYMENT_RUN": 6,
        "LIFE_CERTIFICATES": 7,
    }


def test_a_lock_is_the_namespace_and_the_key_and_a_text_key_is_hashed_in_sql():
    with transaction.atomic():
        advisory_lock(LockNamespace.LEDGER, 42)
        advisory_lock(LockNamespace.BANK_ACCOUNT, "BE71096123456769")
        advisory_lock(LockNamespace.STATEMENT_REQUESTS, -7)

        assert _own_locks() == sorted(
            [
                (1, 42, True),
                (2, stored_key("BE71096123456769"), True),
                (4, 2**32 - 7, True),
            ],
            key=lambda lock: lock[1],
        )
    assert _own_locks() == []  # released with the transaction


def test_the_same_key_in_two_namespaces_is_two_locks():
    holder = InAnotherSession(lambda: advisory_lock(LockNamespace.DISCREPANCY_REPORTS, 7), hold=True).start()
    try:
        holder.wait_done()
        other = InAnotherSession(lambda: advisory_lock(LockNamespace.STATEMENT_REQUESTS, 7)).start()
        other.join()
        assert advisory_locks_of(holder.pid) == [(3, 7, True)]
    finally:
        holder.join()


def test_the_same_key_in_the_same_namespace_waits_until_the_holder_commits():
    holder = InAnotherSession(lambda: advisory_lock(LockNamespace.LEDGER, 7), hold=True).start()
    try:
        holder.wait_done()
        waiter = InAnotherSession(lambda: advisory_lock(LockNamespace.LEDGER, 7)).start()
        assert wait_until_waiting(waiter) == (1, 7)
    finally:
        holder.join()
    waiter.join()


def test_many_keys_are_taken_in_their_order_whatever_the_order_given():
    # Another session holds key 1. Taken in the order given (3, 2, 1), the waiter would hold 3
    # and 2 while it waits for 1, and a session taking 2 then 1 the other way round could
    # deadlock with it; taken in order, it waits for 1 holding nothing.
    holder = InAnotherSession(lambda: advisory_lock(LockNamespace.LEDGER, 1), hold=True).start()
    try:
        holder.wait_done()
        waiter = InAnotherSession(lambda: advisory_locks(LockNamespace.LEDGER, [3, 2, 1, 2]), hold=True).start()
        assert wait_until_waiting(waiter) == (1, 1)
        assert advisory_locks_of(waiter.pid) == [(1, 1, False)]
    finally:
        holder.join()
    waiter.wait_done()
    assert advisory_locks_of(waiter.pid) == [(1, 1, True), (1, 2, True), (1, 3, True)]
    waiter.join()


def test_text_keys_are_taken_in_the_order_of_their_hashes():
    texts = ["12:2026-10", "12:2026-09", "13:2026-10", "14:2026-10"]
    first = min(texts, key=hashtext)  # signed, as PostgreSQL compares them
    holder = InAnotherSession(lambda: advisory_lock(LockNamespace.DECLARATION_PERIOD, first), hold=True).start()
    try:
        holder.wait_done()
        waiter = InAnotherSession(lambda: advisory_locks(LockNamespace.DECLARATION_PERIOD, texts)).start()
        assert wait_until_waiting(waiter) == (5, stored_key(first))
        assert [granted for _n, _k, granted in advisory_locks_of(waiter.pid)] == [False]
    finally:
        holder.join()
    waiter.join()


def test_no_keys_take_no_lock_and_a_key_must_fit_in_32_bits():
    with transaction.atomic():
        advisory_locks(LockNamespace.LEDGER, [])
        assert _own_locks() == []
        with pytest.raises(ValueError, match="32-bit"):
            advisory_lock(LockNamespace.LEDGER, 2**31)
        assert _own_locks() == []


def test_a_lock_outside_a_transaction_is_refused():
    # It would be released as soon as taken: it would serialise nothing.
    with pytest.raises(RuntimeError, match="inside a transaction"):
        advisory_lock(LockNamespace.LEDGER, 1)
    assert _own_locks() == []
