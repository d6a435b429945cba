"""What the notifications app offers other apps: categories, importance, recipients, errors."""

from __future__ import annotations

from dataclasses import dataclass

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


class Importance(models.TextChoices):
    NORMAL = "normal", _("normal")
    # Legal notices and security alerts always reach the inbox and the e-mail address.
    LEGAL = "legal", _("legal notice or security alert")


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("text message (SMS)")


@dataclass(frozen=True)
class Recipient:
    """An account to notify. ``on_behalf_of_person_id`` names whose file the message is about
    when it differs (a proxy receiving a copy: the mandates app sets it)."""

    user_id: int
    on_behalf_of_person_id: int | None = None


class NotificationError(DomainError):
    """A refused notification setting (a channel, a phone number, a code)."""


class PermanentDeliveryError(Exception):
    """The channel refused for good (bad address, rejected content): do not retry."""


class TransientDeliveryError(Exception):
    """The channel is unavailable for now (timeout, server busy): retry later."""
