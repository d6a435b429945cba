"""What the notifications app offers other apps: event types, categories, importance, recipients,
errors."""

from __future__ import annotations

import datetime
from dataclasses import KW_ONLY, dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


class Category(models.TextChoices):
    """What a message is about; people choose their channels per category."""

    ACCOUNT = "account", _("My account and its security")
    ENTERPRISE = "enterprise", _("Enterprises I represent")
    MANDATES = "mandates", _("Mandates: acting for someone, or someone acting for me")
    INFORMATION = "information", _("Information from the institution")
    DOCUMENTS = "documents", _("Documents I asked for")
    BENEFITS = "benefits", _("My benefit claims")


class Importance(models.TextChoices):
    NORMAL = "normal", _("normal")
    # Legal notices and security alerts always reach the inbox and the e-mail address.
    LEGAL = "legal", _("legal notice or security alert")


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("text message (SMS)")


@dataclass(frozen=True)
class EventType:
    """Something people are told about. The app that owns the event declares it and registers it
    with ``notifications.services.event_types_register`` in its ``AppConfig.ready()``.

    Its templates are in ``<template_folder>/<key>/`` of the owning app's templates:
    ``subject.txt`` (the inbox title), ``body.html`` (the inbox message), ``email_subject.txt``,
    ``email.txt`` and ``email.html`` (short: what happened, what to do, a link to the inbox — no
    personal data beyond what is needed; they extend ``notifications/email_base.html`` and
    ``.txt``), ``sms.txt`` (one short line). They are rendered in the recipient's language; an
    event kept out of the inbox needs only ``subject.txt`` and the parts of its channels.
    """

    key: str
    category: Category
    _: KW_ONLY
    # The folder holding one sub-folder per event of the owning app, e.g. "mandates/notifications".
    template_folder: str
    importance: Importance = Importance.NORMAL
    # Whether the message appears in the inbox (a verification code, for instance, does not).
    in_inbox: bool = True
    # Channels used when the person has not chosen (legal notices add e-mail regardless).
    default_email: bool = True
    default_sms: bool = False

    @property
    def template_dir(self) -> str:
        return f"{self.template_folder}/{self.key}"


@dataclass(frozen=True)
class Recipient:
    """An account to notify. ``on_behalf_of_person_id`` names whose file the message is about
    when it differs (a proxy receiving a copy: the mandates app sets it)."""

    user_id: int
    on_behalf_of_person_id: int | None = None


@dataclass(frozen=True)
class Notice:
    """One message of a batch given to ``notifications.services.notify_many``: whom to tell,
    the event's context for them (it names what happened: an enterprise, a month, an amount)
    and the page the message leads to. A job that tells thousands of enterprises each their own
    news hands them all at once: the batch costs the queries of one ``notify``."""

    recipients: tuple[Recipient, ...]
    context: dict[str, Any]
    link: str = ""


class NotificationError(DomainError):
    """A refused notification setting (a channel, a phone number, a code)."""


class PermanentDeliveryError(Exception):
    """The channel refused for good (bad address, rejected content): do not retry."""


class TransientDeliveryError(Exception):
    """The channel is unavailable for now (timeout, server busy): retry later."""


# --- Figures for the back office and the operators (aggregates only: no one is named) -------


@dataclass(frozen=True)
class DeliveryFigures:
    """What one channel did in a span of time: deliveries sent, deliveries that failed for good
    (after their last attempt, or refused at once), and attempts that failed for a while and
    were retried."""

    channel: str
    sent: int
    failed: int
    retried: int


@dataclass(frozen=True)
class DeliveryBacklog:
    """The outbox as it stands: deliveries waiting for their first attempt, waiting to retry,
    being sent, due now (their next attempt is not in the future), the moment the oldest due one
    was due, and those failed for good that staff may send again."""

    pending: int
    retrying: int
    sending: int
    due: int
    oldest_due_at: datetime.datetime | None
    failed: int
