"""The registry of the event types people are told about, and notifications' own event types.

Each app owns its events: it declares them as :class:`notifications.types.EventType`, with the
folder of their templates in its own ``templates/``, and registers them in its
``AppConfig.ready()`` with :func:`notifications.services.event_types_register` (mandates and
contributions do so from their ``notification_events`` module). This module keeps the registry
and declares the events that have no other home: notifications' own (an information message
from the institution, the code that verifies a mobile number) and identity's — identity sits
below notifications and cannot import it, so its domain events arrive through
``identity.signals`` and ``notifications/receivers.py``. Their templates are in
``notifications/templates/notifications/events/<event type>/``.

A key is registered once: a second registration of the same key is refused at start-up, and an
event nobody registered fails loudly when notified or rendered.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from notifications.types import Category, EventType, Importance

# Filled at start-up by the apps' ready(); read-only afterwards.
EVENT_TYPES: dict[str, EventType] = {}


def register(*events: EventType) -> None:
    """Add event types to the registry; all or none (a key taken or given twice refuses them all)."""
    keys = [event.key for event in events]
    taken = sorted({key for key in keys if key in EVENT_TYPES or keys.count(key) > 1})
    if taken:
        raise ImproperlyConfigured(f"notification event types registered twice: {', '.join(taken)}")
    EVENT_TYPES.update((event.key, event) for event in events)


def event_type(key: str) -> EventType:
    try:
        return EVENT_TYPES[key]
    except KeyError:
        raise ValueError(f"unknown notification event type {key!r}") from None


TEMPLATE_FOLDER = "notifications/events"

NOTIFICATIONS_EVENT_TYPES = (
    # notifications' own
    EventType("service_notice", Category.INFORMATION, template_folder=TEMPLATE_FOLDER, default_email=False),
    EventType(
        "phone_verification",
        Category.ACCOUNT,
        template_folder=TEMPLATE_FOLDER,
        in_inbox=False,
        default_email=False,
        default_sms=True,
    ),
    # identity's (see receivers.py)
    EventType("account_linked", Category.ACCOUNT, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL),
    EventType("role_granted", Category.ENTERPRISE, template_folder=TEMPLATE_FOLDER),
    EventType("role_revoked", Category.ENTERPRISE, template_folder=TEMPLATE_FOLDER),
    EventType(
        "payment_details_changed", Category.ACCOUNT, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL
    ),
    EventType(
        "sign_in_address_changed", Category.ACCOUNT, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL
    ),
    EventType("sign_in_locked", Category.ACCOUNT, template_folder=TEMPLATE_FOLDER, importance=Importance.LEGAL),
)
