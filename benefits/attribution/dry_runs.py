"""A rule's dry run, asked by staff and run by a worker (the page never waits for it).

``dry_run_request`` stores the run, queued once the request commits (asked again while one is
waiting: the same run, a database constraint); ``dry_run_perform`` computes it on the
"attribution" queue under the run's row lock (``together.rule_dry_run``: the pension rule over
the whole registry, a life event's over the registry's events of the last months), writing
nothing but the run's result. Run twice, the second finds it done and does nothing; a worker
killed mid-run leaves it queued and unlocked, and the reconciler queues it again.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction

from benefits.attribution.scan import ScanLine, ScanResult
from benefits.attribution.together import rule_dry_run
from benefits.models import AttributionDryRun, AttributionRule, DryRunState
from core.errors import NotFound
from core.periods import Period
from core.tasks import CLAIM_GRACE, TRANSIENT_DATABASE_ERRORS, enqueue

logger = logging.getLogger(__name__)
TASK = "benefits.attribution_dry_run"


def dry_run_request(*, rule_id: int, user_id: int | None, now: datetime.datetime) -> int:
    """Queue the rule's dry run; returns the run (the one already waiting, when there is one).
    NotFound for an unknown rule."""
    if not AttributionRule.objects.filter(pk=rule_id).exists():
        raise NotFound
    waiting = _waiting(rule_id)
    if waiting is not None:
        return waiting
    try:
        with transaction.atomic():
            run = AttributionDryRun.objects.create(rule_id=rule_id, requested_at=now, requested_by_id=user_id)
            enqueue(TASK, run_id=run.pk)
    except IntegrityError:  # asked at the same moment by someone else
        waiting = _waiting(rule_id)
        if waiting is None:
            raise
        return waiting
    return run.pk


def _waiting(rule_id: int) -> int | None:
    return (
        AttributionDryRun.objects.filter(rule_id=rule_id, state=DryRunState.QUEUED).values_list("pk", flat=True).first()
    )


def dry_run_perform(*, run_id: int, now: datetime.datetime) -> bool:
    """Compute a queued run and keep its result; False when there is nothing to do (done
    already, or another worker on it)."""
    try:
        with transaction.atomic():
            run = (
                AttributionDryRun.objects.select_for_update(skip_locked=True)
                .filter(pk=run_id, state=DryRunState.QUEUED)
                .first()
            )
            if run is None:
                return False
            result = rule_dry_run(rule_id=run.rule_id, now=now)
            run.state, run.finished_at, run.read = DryRunState.DONE, now, result.persons_read
            run.lines = [
                {
                    "scheme": line.scheme,
                    "month": str(line.month),
                    "proposals": line.proposals,
                    "amount": str(line.amount),
                }
                for line in result.lines
            ]
            run.save(update_fields=["state", "finished_at", "read", "lines"])
            return True
    except TRANSIENT_DATABASE_ERRORS:
        raise  # the task is retried once the database is back
    except Exception as error:
        logger.exception("dry run failed", extra={"run": run_id})
        AttributionDryRun.objects.filter(pk=run_id, state=DryRunState.QUEUED).update(
            state=DryRunState.FAILED, finished_at=now, error=f"{type(error).__name__}: {error}"[:300]
        )
        return False


def dry_runs_reconcile(*, now: datetime.datetime) -> int:
    """The runs queued a while ago that no worker holds (a lost message, a worker killed):
    queued again. Returns how many."""
    with transaction.atomic():
        lost = list(
            AttributionDryRun.objects.select_for_update(skip_locked=True)
            .filter(state=DryRunState.QUEUED, requested_at__lt=now - CLAIM_GRACE)
            .values_list("pk", flat=True)
        )
    for run_id in lost:
        enqueue(TASK, run_id=run_id)
    return len(lost)


def dry_run_result(run: AttributionDryRun) -> ScanResult:
    """A finished run's result, as the dry run computed it."""
    return ScanResult(
        persons_read=run.read or 0,
        lines=tuple(
            ScanLine(
                scheme=line["scheme"],
                month=Period.parse(line["month"]),
                proposals=int(line["proposals"]),
                amount=Decimal(line["amount"]),
            )
            for line in run.lines
        ),
        created=0,
    )


def dry_runs_of(*, rule_id: int, limit: int = 5) -> list[AttributionDryRun]:
    """The rule's latest runs, the newest first, with who asked."""
    return list(
        AttributionDryRun.objects.filter(rule_id=rule_id)
        .select_related("requested_by")
        .order_by("-requested_at", "-pk")[:limit]
    )
