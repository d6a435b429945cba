"""Celery entry points of the contributions app (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.utils import timezone

from contributions import bulk, careers, ledger, payments, reminders, statements
from core.periods import Period

logger = logging.getLogger(__name__)


@shared_task(name="contributions.declarations_remind_missing")
def declarations_remind_missing(**_kwargs: Any) -> None:
    reminded = reminders.declarations_remind_missing(now=timezone.now())
    logger.info("missing declarations reminded", extra={"count": reminded})


@shared_task(name="contributions.payments_reconcile")
def payments_reconcile(**_kwargs: Any) -> None:
    settled = payments.payments_reconcile(now=timezone.now())
    logger.info("pending payments reconciled", extra={"count": settled})


@shared_task(name="contributions.interest_post")
def interest_post(**_kwargs: Any) -> None:
    """The interest of the month that ended, and the corrections of earlier months (safe to run
    twice: one entry per enterprise and month, one correction per enterprise, month and run)."""
    now = timezone.now()
    posted = ledger.interest_post(month=Period.of(timezone.localdate(now)).previous(), now=now)
    logger.info("late-payment interest posted", extra={"count": posted})


# Bulk files (queue "bulk"). Each task is safe to run twice or at the same time as another copy:
# it takes its row with SKIP LOCKED and does nothing when the work is done or being done. A
# transient database error is retried with a short backoff (core.tasks.Task); a worker killed
# leaves the work pending for the reconciler.
@shared_task(name="contributions.bulk_plan")
def bulk_plan(*, upload_id: int, **_kwargs: Any) -> None:
    bulk.upload_plan(upload_id=upload_id, now=timezone.now())


@shared_task(name="contributions.bulk_chunk")
def bulk_chunk(*, chunk_id: int, **_kwargs: Any) -> None:
    bulk.chunk_process(chunk_id=chunk_id, now=timezone.now())


@shared_task(name="contributions.bulk_finalize")
def bulk_finalize(*, upload_id: int, **_kwargs: Any) -> None:
    bulk.upload_finalize(upload_id=upload_id, now=timezone.now())


@shared_task(name="contributions.insured_years_fold")
def insured_years_fold(**_kwargs: Any) -> None:
    """The lines of declarations come into force (or replaced) counted in the insured years:
    queued once they are committed, and every minute (what a lost message left). Safe to run
    twice or at the same time as another copy (the declarations' row locks)."""
    careers.insured_years_fold()


@shared_task(name="contributions.bulk_reconcile")
def bulk_reconcile(**_kwargs: Any) -> None:
    bulk.uploads_reconcile(now=timezone.now())


# Contribution statements (queue "documents"). Safe to run twice or at the same time as another
# copy: the rendering takes its row with SKIP LOCKED and does nothing when the statement is
# ready, failed, or being rendered. A transient error is retried with a short backoff
# (core.tasks.Task) under the same task id: each run claims the statement as "<task id>/<run>",
# and a retry takes the claims of the earlier runs back without counting an attempt (a run
# delivered again because its worker died counts). A worker killed mid-render leaves it pending
# for the reconciler.
@shared_task(name="contributions.statement_render", bind=True)
def statement_render(self: Task[..., None], /, *, statement_id: int, **_kwargs: Any) -> None:
    task_id, run = self.request.id, self.request.retries or 0
    statements.statement_render(
        statement_id=statement_id,
        now=timezone.now(),
        claim=f"{task_id}/{run}" if task_id else None,
        retried_claims=[f"{task_id}/{earlier}" for earlier in range(run)] if task_id else (),
    )


@shared_task(name="contributions.statements_reconcile")
def statements_reconcile(**_kwargs: Any) -> None:
    statements.statements_reconcile(now=timezone.now())


@shared_task(name="contributions.statements_purge")
def statements_purge(**_kwargs: Any) -> None:
    dropped = statements.statements_purge(now=timezone.now())
    logger.info("contribution statement files dropped", extra={"count": dropped})
