"""A declaration comes into force: what every channel (form, API, bulk file) shares, so that
they agree — the lock of an enterprise's period."""

from __future__ import annotations

from collections.abc import Iterable

from core.locks import LockNamespace, advisory_locks


def declaration_periods_lock(periods: Iterable[tuple[int, str]]) -> None:
    """Inside the transaction that declares: wait for the lock of each (enterprise id, period
    ``YYYY-MM``) and hold it until the end. Submissions of one enterprise's period queue behind
    each other, whatever their channel: a replacement sent while another is being stored
    replaces that one, and two first declarations cannot both be accepted."""
    advisory_locks(LockNamespace.DECLARATION_PERIOD, [f"{enterprise_id}:{period}" for enterprise_id, period in periods])
