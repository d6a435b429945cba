"""Celery entry points of the benefits app (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app, shared_task
from django.conf import settings
from django.utils import timezone

from benefits import services
from benefits.types import PaymentRefused
from core.periods import Period
from core.tasks import enqueue

logger = logging.getLogger(__name__)


@shared_task(name="benefits.indexation_apply")
def indexation_apply(**_kwargs: Any) -> None:
    """This year's indexation of the monthly benefits (safe to run twice: one amount per
    entitlement and day)."""
    now = timezone.now()
    indexed = services.indexation_apply(year=timezone.localdate(now).year, now=now)
    logger.info("monthly benefits indexed", extra={"count": indexed})


@shared_task(name="benefits.deaths_apply")
def deaths_apply(**_kwargs: Any) -> None:
    """Deaths recorded in the registry end the benefits, stop what has not left, and ask back
    what was paid for after (safe to run twice)."""
    applied = services.deaths_apply(now=timezone.now())
    logger.info(
        "deaths applied to benefits",
        extra={
            "ended": applied.entitlements_ended,
            "stopped": applied.payments_stopped,
            "recalled": applied.recalls,
            "recoveries": applied.recoveries,
        },
    )


@shared_task(name="benefits.payment_run_prepare")
def payment_run_prepare(**_kwargs: Any) -> None:
    """Prepare (or complete) this month's run; once finance checked it, nothing more joins it."""
    now = timezone.now()
    today = timezone.localdate(now)
    if today.day < settings.PAYMENT_RUN_DAY:
        return
    try:
        prepared = services.payment_run_prepare(period=Period.of(today), user_id=None, now=now)
    except PaymentRefused as refused:
        logger.info("payment run not prepared", extra={"code": refused.code})
        return
    logger.info("payment run prepared", extra={"created": prepared.payments_created, "skipped": prepared.skips_created})


@shared_task(name="benefits.payment_file_write")
def payment_file_write(*, file_id: int, **_kwargs: Any) -> None:
    services.payment_file_write(file_id=file_id, now=timezone.now())


@shared_task(name="benefits.payment_files_reconcile")
def payment_files_reconcile(**_kwargs: Any) -> None:
    for file_id in services.payment_files_to_write():
        enqueue("benefits.payment_file_write", file_id=file_id)


@shared_task(name="benefits.life_certificates_follow")
def life_certificates_follow(**_kwargs: Any) -> None:
    """The life certificates' day: ask, remind, suspend (each step safe to run twice)."""
    done = services.life_certificates_follow(now=timezone.now())
    logger.info("life certificates followed", extra=done)


@shared_task(name="benefits.life_checks_reconcile")
def life_checks_reconcile(**_kwargs: Any) -> None:
    """Settle the remote identity checks whose callback was lost, by asking their provider."""
    settled = services.life_checks_reconcile(now=timezone.now())
    if settled:
        logger.info("remote identity checks settled", extra={"count": settled})


@shared_task(name="benefits.life_events_apply")
def life_events_apply(**_kwargs: Any) -> None:
    """Apply the civil registry's events received (safe to run twice: row locks and states)."""
    applied = services.life_events_apply(now=timezone.now())
    logger.info("life events applied", extra={"count": applied})


@shared_task(name="benefits.life_events_release")
def life_events_release(**_kwargs: Any) -> None:
    """Events waiting for a person now in the registry are applied."""
    services.life_events_waiting_release()


@shared_task(name="benefits.life_events_propose")
def life_events_propose(**_kwargs: Any) -> None:
    """The benefits the applied events open, proposed a batch after the other (each right once)."""
    created = services.life_events_propose_all(now=timezone.now())
    logger.info("life events proposed", extra={"count": created})


@shared_task(name="benefits.life_events_reconcile")
def life_events_reconcile(**_kwargs: Any) -> None:
    """Every minute: what a lost message or a dead worker left received is applied (or not
    proposed), the events waiting for persons staff added are released, signatures too old to
    replay forgotten, and the dry runs left waiting queued again."""
    now = timezone.now()
    services.life_events_waiting_release()
    services.partner_requests_purge(now=now)
    if services.life_events_to_apply(limit=1):
        enqueue("benefits.life_events_apply")
    if services.life_events_to_propose(limit=1):
        enqueue("benefits.life_events_propose")
    services.attribution_dry_runs_reconcile(now=now)


@shared_task(name="benefits.attribution_dry_run")
def attribution_dry_run(*, run_id: int, **_kwargs: Any) -> None:
    """A rule's dry run staff asked for, computed and kept (writing nothing else)."""
    services.attribution_dry_run_perform(run_id=run_id, now=timezone.now())


@shared_task(name="benefits.proposals_reevaluate")
def proposals_reevaluate(**_kwargs: Any) -> None:
    """Every hour: the open proposals of persons whose record changed are computed again."""
    changed = services.proposals_reevaluate_changed(now=timezone.now())
    logger.info("proposals re-evaluated", extra={"changed": changed})


@shared_task(name="benefits.proposals_reevaluate_about")
def proposals_reevaluate_about(*, person_ids: list[int], **_kwargs: Any) -> None:
    """The open proposals to or about persons the registry just changed, computed again."""
    changed = services.proposals_reevaluate_about(person_ids=person_ids, now=timezone.now())
    logger.info("proposals re-evaluated", extra={"changed": changed})


@shared_task(name="benefits.proposals_pension_age_scan")
def proposals_pension_age_scan(**_kwargs: Any) -> None:
    """The old-age pension proposed to the persons reaching the pension age (each right once)."""
    scanned = services.pension_age_scan(now=timezone.now())
    logger.info("pension age scanned", extra={"read": scanned.persons_read, "created": scanned.created})


@shared_task(name="benefits.attribution_nightly")
def attribution_nightly(**_kwargs: Any) -> None:
    """Scheduled on the control queue: the pension-age scan queued on "attribution"."""
    current_app.send_task("benefits.proposals_pension_age_scan", kwargs={})


@shared_task(name="benefits.attribution_hourly")
def attribution_hourly(**_kwargs: Any) -> None:
    """Scheduled on the control queue: the re-evaluation queued on "attribution"."""
    current_app.send_task("benefits.proposals_reevaluate", kwargs={})
