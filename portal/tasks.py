"""Housekeeping tasks of the portal (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from identity.services import activation_codes_purge as purge_codes


@shared_task(name="portal.tasks.sessions_purge")
def sessions_purge(**_kwargs: Any) -> None:
    Session.objects.filter(expire_date__lt=timezone.now()).delete()


@shared_task(name="portal.tasks.activation_codes_purge")
def activation_codes_purge(**_kwargs: Any) -> None:
    purge_codes(now=timezone.now())
