"""Celery entry points of the notifications app (queue "notifications")."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from notifications import services


@shared_task(name="notifications.deliveries_send", acks_late=True)
def deliveries_send(*, delivery_ids: list[int], **_kwargs: Any) -> None:
    services.deliveries_send(delivery_ids=delivery_ids, clock=timezone.now)


@shared_task(name="notifications.deliveries_reconcile")
def deliveries_reconcile(**_kwargs: Any) -> None:
    services.deliveries_reconcile(now=timezone.now())
