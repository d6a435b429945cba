"""The outbox: notifications (the inbox) and their deliveries by e-mail and SMS, with attempts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from notifications.types import Category, Channel, Importance


class Notification(models.Model):
    """One message to one account, stored in the transaction of the event that caused it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recipient")
    )
    on_behalf_of_person = models.ForeignKey(
        "identity.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("about the file of"),
    )
    event_type = models.CharField(_("event"), max_length=60)
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    importance = models.CharField(_("importance"), max_length=10, choices=Importance.choices)
    in_inbox = models.BooleanField(_("shown in the inbox"), default=True)
    context = models.JSONField(_("context"), default=dict)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"], name="notification_inbox_idx", condition=Q(in_inbox=True)
            ),
            models.Index(
                fields=["recipient"], name="notification_unread_idx", condition=Q(in_inbox=True, read_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.recipient_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    RETRY = "retry", _("waiting to retry")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class PreparedEmail(models.Model):
    """An e-mail its sender rendered itself, sent as it is: the sign-in library's messages (an
    address to confirm, a password reset, its security notices), in the language of the request
    that caused them. They may carry a secret link: no back-office page shows this table, and
    the bodies are emptied once the message is sent."""

    # The account the address belongs to, when it belongs to one (a reset asked for an unknown
    # address is answered too).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    subject = models.CharField(_("subject"), max_length=300)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("HTML"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("prepared e-mail")
        verbose_name_plural = _("prepared e-mails")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"


class Delivery(models.Model):
    """Sending one notification through one channel to the address it had when it was created,
    or one prepared e-mail to its address."""

    notification = models.ForeignKey(
        Notification,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("notification"),
    )
    prepared_email = models.OneToOneField(
        PreparedEmail,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delivery",
        verbose_name=_("prepared e-mail"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    # While a worker sends, nobody else may; if the worker dies, the lease runs out and the
    # reconciler hands the delivery to another worker.
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_one_per_channel"),
            # Either a notification, rendered when sent, or an e-mail prepared by its sender.
            models.CheckConstraint(
                condition=(Q(notification__isnull=False, prepared_email__isnull=True))
                | Q(notification__isnull=True, prepared_email__isnull=False, channel="email"),
                name="delivery_of_a_notification_or_a_prepared_email",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="delivery_due_idx", condition=Q(status__in=["pending", "retry"])
            ),
            models.Index(fields=["lease_until"], name="delivery_leased_idx", condition=Q(status="sending")),
            models.Index(fields=["status"], name="delivery_failed_idx", condition=Q(status="failed")),
        ]

    def __str__(self) -> str:
        if self.notification_id is None:
            return f"{self.get_channel_display()} — {self.prepared_email} ({self.get_status_display()})"
        return f"{self.get_channel_display()} #{self.notification_id} ({self.get_status_display()})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("at"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=DeliveryStatus.choices)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["at", "id"]
        # What the channels did over a span of time (the back office's figures).
        indexes = [models.Index(fields=["at"], name="delivery_attempt_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_outcome_display()}"


class ChannelPreference(models.Model):
    """A person's choice of channels for one category (the inbox cannot be turned off)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=30, choices=Category.choices)
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("channel preference")
        verbose_name_plural = _("channel preferences")
        constraints = [models.UniqueConstraint(fields=["user", "category"], name="preference_one_per_category")]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.category}: email={self.email} sms={self.sms}"


class PhoneNumber(models.Model):
    """The mobile number SMS go to, once proved by a code sent to it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(_("mobile number"), max_length=20)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    code_digest = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("mobile number")
        verbose_name_plural = _("mobile numbers")

    def __str__(self) -> str:
        return self.number
