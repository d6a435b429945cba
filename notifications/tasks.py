"""Celery entry points of the notifications app: sending on queue "notifications", the
reconciler on "control" (CELERY_TASK_ROUTES)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from notifications import services


# A batch stops starting attempts after NOTIFICATIONS_SEND_BATCH_SECONDS; the limits are a
# backstop far below the default task limit, so that a worker process is never held for minutes.
@shared_task(
    name="notifications.deliveries_send",
    acks_late=True,
    soft_time_limit=settings.NOTIFICATIONS_SEND_BATCH_SECONDS + 60,
    time_limit=settings.NOTIFICATIONS_SEND_BATCH_SECONDS + 90,
)
def deliveries_send(*, delivery_ids: list[int], **_kwargs: Any) -> None:
    services.deliveries_send(delivery_ids=delivery_ids, clock=timezone.now)


@shared_task(name="notifications.deliveries_reconcile")
def deliveries_reconcile(**_kwargs: Any) -> None:
    services.deliveries_reconcile(now=timezone.now())
