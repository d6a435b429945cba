"""Housekeeping tasks of the portal (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.api import idempotency_records_purge as purge_idempotency_records
from identity.services import activation_codes_purge as purge_codes
from portal.status.services import dependency_check_record, service_minutes_flush
from portal.status.services import status_purge as purge_status

logger = logging.getLogger(__name__)


@shared_task(name="portal.tasks.sessions_purge")
def sessions_purge(**_kwargs: Any) -> None:
    deleted, _by_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info("expired sessions purged", extra={"count": deleted})


@shared_task(name="portal.tasks.activation_codes_purge")
def activation_codes_purge(**_kwargs: Any) -> None:
    deleted = purge_codes(now=timezone.now())
    logger.info("dead activation codes purged", extra={"count": deleted})


@shared_task(name="portal.tasks.idempotency_records_purge")
def idempotency_records_purge(**_kwargs: Any) -> None:
    deleted = purge_idempotency_records(now=timezone.now())
    logger.info("old idempotency records purged", extra={"count": deleted})


@shared_task(name="portal.tasks.status_check")
def status_check(**_kwargs: Any) -> None:
    dependency_check_record(now=timezone.now())


@shared_task(name="portal.tasks.status_flush")
def status_flush(**_kwargs: Any) -> None:
    written = service_minutes_flush(now=timezone.now())
    logger.debug("status minutes flushed", extra={"count": written})


@shared_task(name="portal.tasks.status_purge")
def status_purge(**_kwargs: Any) -> None:
    deleted = purge_status(now=timezone.now())
    logger.info("old status minutes purged", extra={"count": deleted})
