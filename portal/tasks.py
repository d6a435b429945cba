"""Housekeeping tasks of the portal (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.api import idempotency_records_purge as purge_idempotency_records
from identity.services import activation_codes_purge as purge_codes

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
