"""Celery entry points of the mandates app."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from mandates import services


@shared_task(name="mandates.mandates_maintain")
def mandates_maintain(**_kwargs: Any) -> None:
    services.mandates_maintain(now=timezone.now())
