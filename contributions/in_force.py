"""A declaration comes into force: one rule for every channel. The form and the API bring one
declaration into force, a bulk file thousands at once; both take the same lock of each
enterprise's period and call the same set-based rule, so that they cannot disagree."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping

from django.db import connection
from django.db.models import Max
from django.db.models.expressions import RawSQL

from contributions import ledger, notices
from contributions.discrepancies import discrepancies_follow_declarations
from contributions.models import Declaration, DeclarationStatus
from core.locks import LockNamespace, advisory_locks
from core.periods import Period
from core.tasks import enqueue


def declaration_periods_lock(periods: Iterable[tuple[int, str]]) -> None:
    """Inside the transaction that declares: wait for the lock of each (enterprise id, period
    ``YYYY-MM``) and hold it until the end. Submissions of one enterprise's period queue behind
    each other, whatever their channel: a replacement sent while another is being stored
    replaces that one, and two first declarations cannot both be accepted."""
    advisory_locks(LockNamespace.DECLARATION_PERIOD, [f"{enterprise_id}:{period}" for enterprise_id, period in periods])


def _unnest(ids: Collection[int]) -> RawSQL:
    # Ids go as one array (a file brings thousands): cheaper than a parameter per id.
    return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])


def declarations_bring_into_force(
    *,
    declaration_ids: Collection[int],
    bureaus: Mapping[int, int | None],
    now: datetime.datetime,
    told_user_id: int | None = None,
) -> None:
    """Bring pending declarations — their lines and totals written — into force together,
    inside the caller's transaction, each under the lock of its period (taken here if the
    caller has not). Each becomes the version in force of its enterprise's period, numbered
    after the versions before it, dated ``now``, with the bureau it was declared through
    (``bureaus``: enterprise id → bureau id; None or absent, the enterprise's own); the version
    it replaces, if any, is marked replaced first, so that there is never a moment with both or
    neither in force; the ledger posts its debit, or for a replacement the difference. Each
    enterprise's administrators and declarants are told, but ``told_user_id``, who knows already
    (the person who sent the form sees its receipt; whoever sent a file gets its summary; an
    API client is a machine: everyone is told).

    At most one declaration per enterprise and period. A few dozen queries at most, whatever
    the number of declarations. IntegrityError when a version came into force meanwhile
    without the lock."""
    if not declaration_ids:
        return
    incoming = list(
        Declaration.objects.filter(pk__in=_unnest(declaration_ids), status=DeclarationStatus.PENDING)
        .only("pk", "enterprise_id", "period", "totals", "reference", "channel")
        .order_by("pk")
    )
    if len(incoming) != len(set(declaration_ids)):
        raise ValueError("only pending declarations come into force")
    pairs = {(declaration.enterprise_id, declaration.period) for declaration in incoming}
    if len(pairs) != len(incoming):
        raise ValueError("one declaration per enterprise and period comes into force")
    declaration_periods_lock(sorted(pairs))
    earlier = Declaration.objects.filter(
        enterprise_id__in=_unnest({enterprise_id for enterprise_id, _period in pairs}),
        period__in={period for _enterprise_id, period in pairs},
    ).exclude(status=DeclarationStatus.PENDING)
    last = {
        (enterprise_id, period): version
        for enterprise_id, period, version in earlier.values("enterprise_id", "period")
        .annotate(version=Max("version"))
        .values_list("enterprise_id", "period", "version")
        if (enterprise_id, period) in pairs
    }
    current = {
        (declaration.enterprise_id, declaration.period): declaration
        for declaration in earlier.filter(status=DeclarationStatus.IN_FORCE)
        .select_for_update()
        .only("pk", "enterprise_id", "period", "totals")
        if (declaration.enterprise_id, declaration.period) in pairs
    }
    if current:
        Declaration.objects.filter(pk__in=_unnest([d.pk for d in current.values()])).update(
            status=DeclarationStatus.REPLACED
        )
    versions = [last.get((d.enterprise_id, d.period), 0) + 1 for d in incoming]
    with connection.cursor() as cursor:
        # One statement over arrays (Django's bulk_update writes a CASE of every row for every
        # column: quadratic in the rows, seconds for a file of a thousand employers).
        cursor.execute(
            "UPDATE contributions_declaration d SET status = %s, submitted_at = %s, version = v.version,"
            " via_bureau_id = v.bureau"
            " FROM unnest(%s::bigint[], %s::smallint[], %s::bigint[]) AS v(id, version, bureau) WHERE d.id = v.id",
            [
                DeclarationStatus.IN_FORCE,
                now,
                [d.pk for d in incoming],
                versions,
                [bureaus.get(d.enterprise_id) for d in incoming],
            ],
        )
    posted = {
        entry.declaration_id: entry
        for entry in ledger.declarations_post(
            versions=[(d, current.get((d.enterprise_id, d.period))) for d in incoming],
            now=now,
        )
    }
    notices.declarations_accepted(
        accepted=[
            notices.Accepted(
                declaration_id=d.pk,
                enterprise_id=d.enterprise_id,
                period=d.period,
                version=version,
                reference=d.reference,
                channel=d.channel,
                total=ledger.declaration_total(d.totals),
                posted=posted[d.pk].amount if d.pk in posted else None,
                payment_reference=posted[d.pk].payment_reference if d.pk in posted else "",
                due_on=ledger.payment_due_date(Period.parse(d.period)),
                bureau_id=bureaus.get(d.enterprise_id),
                told_user_id=told_user_id,
            )
            for d, version in zip(incoming, versions, strict=True)
        ],
        now=now,
    )
    # Cases where staff asked the employer to correct a month (a replacement, or the month's
    # first declaration when it was missing) follow the version that comes into force.
    discrepancies_follow_declarations(declarations=[(d.pk, d.enterprise_id, d.period) for d in incoming], now=now)
    # Their lines (and those of the versions they replace) counted in the insured years, once
    # committed (careers read them as they are until then: contributions.careers).
    enqueue("contributions.insured_years_fold")
