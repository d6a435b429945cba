"""Celery entry points of the contributions app (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from contributions import reminders

logger = logging.getLogger(__name__)


@shared_task(name="contributions.declarations_remind_missing")
def declarations_remind_missing(**_kwargs: Any) -> None:
    reminded = reminders.declarations_remind_missing(now=timezone.now())
    logger.info("missing declarations reminded", extra={"count": reminded})
