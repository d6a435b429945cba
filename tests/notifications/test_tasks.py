"""Real Celery workers (in-process, solo pool, the Redis broker) deliver committed notifications
exactly once, and the reconciler recovers what a dead worker or a lost message left behind."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications import services
from notifications.models import Delivery, DeliveryAttempt, DeliveryStatus
from notifications.tasks import deliveries_send
from notifications.types import Recipient
from portal.celery import app
from tests.identity.factories import UserFactory
from tests.notifications.factories import ROLE_CONTEXT, DeliveryFactory

QUEUE = "notifications"
# The reconciler runs on "control" (never behind slow deliveries); the tests' worker takes both.
QUEUES = [QUEUE, "control"]


def _wait_until(condition: Callable[[], bool], *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _status(delivery_id: int) -> str:
    return str(Delivery.objects.values_list("status", flat=True).get(pk=delivery_id))


def _worker() -> Any:
    return start_worker(app, pool="solo", perform_ping_check=False, queues=QUEUES, shutdown_timeout=30)


@pytest.fixture(autouse=True)
def _empty_queue() -> Iterator[None]:
    """Messages left in the test broker by an earlier run must not be mistaken for ours."""
    with app.connection_for_write() as connection:
        for queue in QUEUES:
            connection.default_channel.queue_purge(queue)
    yield
    with app.connection_for_write() as connection:
        for queue in QUEUES:
            connection.default_channel.queue_purge(queue)


def _notify_committed(user: Any) -> list[int]:
    with transaction.atomic():
        services.notify(
            recipients=[Recipient(user.pk)], event="role_granted", context=ROLE_CONTEXT, now=timezone.now(), link="/"
        )
    return list(Delivery.objects.filter(notification__recipient=user).values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_committed_notification_is_delivered_once_by_a_real_worker_even_when_its_task_runs_twice(smtp_sink):
    user = UserFactory()
    with _worker():
        [delivery_id] = _notify_committed(user)
        _wait_until(lambda: _status(delivery_id) == DeliveryStatus.SENT)

    assert [message["To"] for message in smtp_sink.messages] == [user.email]
    assert _status(delivery_id) == "sent"

    # The same task message again (a redelivery by the broker), then a marker message: the worker
    # takes them in order, so once the marker is sent the duplicate has been handled.
    deliveries_send.delay(delivery_ids=[delivery_id])
    marker = UserFactory()
    with _worker():
        [marker_id] = _notify_committed(marker)
        _wait_until(lambda: _status(marker_id) == DeliveryStatus.SENT)

    assert sorted(message["To"] for message in smtp_sink.messages) == sorted([user.email, marker.email])
    assert list(DeliveryAttempt.objects.filter(delivery_id=delivery_id).values_list("outcome", flat=True)) == ["sent"]
    assert Delivery.objects.values_list("attempts", flat=True).get(pk=delivery_id) == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_notification_is_never_delivered(smtp_sink):
    user = UserFactory()
    marker = UserFactory()
    with _worker():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.notify(
                recipients=[Recipient(user.pk)],
                event="role_granted",
                context=ROLE_CONTEXT,
                now=timezone.now(),
                link="/",
            )
            raise RuntimeError("the event fails")
        [marker_id] = _notify_committed(marker)
        _wait_until(lambda: _status(marker_id) == DeliveryStatus.SENT)

    assert [message["To"] for message in smtp_sink.messages] == [marker.email]
    assert list(Delivery.objects.values_list("pk", flat=True)) == [marker_id]


@pytest.mark.django_db(transaction=True)
def test_reconciler_hands_a_dead_workers_claim_to_a_live_worker_which_sends_it_once(smtp_sink):
    now = timezone.now()
    # What a worker that died right after claiming leaves: sending, one attempt, an expired lease.
    dead_claim = DeliveryFactory(
        status=DeliveryStatus.SENDING,
        attempts=1,
        lease_until=now - datetime.timedelta(seconds=1),
        next_attempt_at=now - datetime.timedelta(minutes=5, seconds=1),
    )

    with _worker():
        handed_back = services.deliveries_reconcile(now=now)
        _wait_until(lambda: _status(dead_claim.pk) == DeliveryStatus.SENT)

    assert handed_back == 1
    assert [message["To"] for message in smtp_sink.messages] == [dead_claim.address]
    dead_claim.refresh_from_db()
    assert (dead_claim.status, dead_claim.attempts, dead_claim.lease_until) == ("sent", 2, None)
    assert list(DeliveryAttempt.objects.values_list("outcome", flat=True)) == ["sent"]


@pytest.mark.django_db(transaction=True)
def test_scheduled_reconcile_sends_a_pending_delivery_whose_message_was_lost_and_leaves_fresh_ones(smtp_sink):
    now = timezone.now()
    lost = DeliveryFactory(next_attempt_at=now - datetime.timedelta(minutes=2))
    # Queued a moment ago: its own message is on its way, the reconciler must not double it.
    fresh = DeliveryFactory(next_attempt_at=now)

    with _worker():
        # What beat does every minute.
        app.send_task(settings.CELERY_BEAT_SCHEDULE["notifications-reconcile"]["task"], kwargs={})
        _wait_until(lambda: _status(lost.pk) == DeliveryStatus.SENT)

    assert [message["To"] for message in smtp_sink.messages] == [lost.address]
    lost.refresh_from_db()
    assert (lost.status, lost.attempts) == ("sent", 1)
    fresh.refresh_from_db()
    assert (fresh.status, fresh.attempts) == ("pending", 0)


def test_beat_runs_the_reconciler_every_minute_on_the_control_queue_and_sending_on_notifications():
    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-reconcile"]

    assert entry["task"] == "notifications.deliveries_reconcile"
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 60.0
    assert app.amqp.router.route({}, "notifications.deliveries_reconcile")["queue"].name == "control"
    assert app.amqp.router.route({}, "notifications.deliveries_send")["queue"].name == QUEUE
    assert app.tasks["notifications.deliveries_send"].acks_late is True
    # Bounded far below the default task limit: a batch never holds a process for minutes.
    assert app.tasks["notifications.deliveries_send"].soft_time_limit == settings.NOTIFICATIONS_SEND_BATCH_SECONDS + 60
    assert app.tasks["notifications.deliveries_send"].soft_time_limit < settings.CELERY_TASK_SOFT_TIME_LIMIT
