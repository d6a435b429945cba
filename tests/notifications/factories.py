"""Builders for the notifications tests: rows of the outbox as a lost task message or a dead
worker leaves them, and the contexts the event types expect."""

from __future__ import annotations

import factory
from django.utils import timezone

from notifications.models import Delivery, DeliveryStatus, Notification
from notifications.types import Category, Channel, Importance
from tests.identity.factories import UserFactory

ROLE_CONTEXT = {"enterprise_name": "Boulangerie Dupont", "role": "declarant"}
NOTICE_CONTEXT = {
    "title_fr": "Fermeture des guichets",
    "title_en": "Counters closed",
    "body_fr": "Nos guichets sont fermés le 1er mai.",
    "body_en": "Our counters are closed on 1 May.",
}


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    event_type = "role_granted"
    category = Category.ENTERPRISE
    importance = Importance.NORMAL
    in_inbox = True
    context = factory.LazyFunction(lambda: dict(ROLE_CONTEXT))
    link = "/dashboard/"
    created_at = factory.LazyFunction(timezone.now)


class DeliveryFactory(factory.django.DjangoModelFactory):
    """An e-mail delivery stored without its task message (as if the broker lost it)."""

    class Meta:
        model = Delivery

    notification = factory.SubFactory(NotificationFactory)
    channel = Channel.EMAIL
    address = factory.LazyAttribute(lambda delivery: delivery.notification.recipient.email)
    status = DeliveryStatus.PENDING
    next_attempt_at = factory.LazyFunction(timezone.now)
