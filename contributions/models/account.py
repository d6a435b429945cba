"""The employer's account: a ledger of debits (declarations, corrections, penalties, interest)
and credits (payments), and the allocations that say which credit paid which debit."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition


class EntryKind(models.TextChoices):
    DECLARATION = "declaration", _("declaration")
    CORRECTION = "correction", _("correction by a replacing declaration")
    PENALTY = "penalty", _("late-filing penalty")
    INTEREST = "interest", _("late-payment interest")
    PAYMENT = "payment", _("payment")
    # Money paid back to the enterprise from its credit: a debit that the credit settles.
    REFUND = "refund", _("refund of a credit")


# An interest entry whose source starts with this corrects the interest already posted for its
# period (a credit booked in the past arrived since): still of the kind "interest", so that it is
# counted with the month's interest, but told apart on the statement.
INTEREST_CORRECTION_SOURCE = "interest-correction:"


class LedgerEntry(models.Model):
    """One line of an enterprise's account. ``amount`` is positive for what the enterprise owes
    (a debit) and negative for what it paid or was relieved of (a credit). Entries are never
    changed: a correction is a new entry. ``source`` names what posted the entry (a declaration,
    a payment, a bank line…) under a unique constraint, so that posting twice posts once."""

    enterprise = models.ForeignKey("identity.Enterprise", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=EntryKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    booked_on = models.DateField(_("date"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    period = models.CharField(_("period"), max_length=7, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=35, blank=True)
    declaration = models.ForeignKey(
        "contributions.Declaration", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("account entry")
        verbose_name_plural = _("account entries")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero")]
        indexes = [
            models.Index(fields=["enterprise", "booked_on", "id"], name="ledger_enterprise_idx"),
            models.Index(fields=["enterprise", "payment_reference"], name="ledger_reference_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.booked_on})"

    @property
    def is_interest_correction(self) -> bool:
        return self.kind == EntryKind.INTEREST and self.source.startswith(INTEREST_CORRECTION_SOURCE)


class Allocation(models.Model):
    """``amount`` of money received (a payment entry) settles part of a debt: the debts are the
    groups of entries that share a payment reference (a period's contributions with its
    corrections, a penalty, a month's interest with its catch-ups), and ``debit`` is the
    group's first entry. A negative amount releases money from a debt that a correction
    reduced below what was paid: that money is credit again, from the day it was received.
    Rows are only ever inserted."""

    credit = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations_given")
    debit = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations_received")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("allocation of a credit")
        verbose_name_plural = _("allocations of credits")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="allocation_not_zero")]
        indexes = [
            models.Index(fields=["debit"], name="allocation_debit_idx"),
            models.Index(fields=["credit"], name="allocation_credit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.credit_id} → {self.debit_id}: {self.amount}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the payment provider")
    SUCCEEDED = "succeeded", _("paid")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")
    # The provider took a payment that does not match ours (another amount or currency): the
    # account is not credited and staff look into it.
    NEEDS_REVIEW = "review", _("to be checked by staff")


class Payment(models.Model):
    """An online payment, from its creation to its settlement by the provider. The account is
    credited when the payment succeeds (once: the ledger entry's source is the payment)."""

    enterprise = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise")
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    payment_reference = models.CharField(_("payment reference"), max_length=35, blank=True)
    provider = models.CharField(_("payment provider"), max_length=20)
    provider_payment_id = models.CharField(_("provider's payment number"), max_length=100, blank=True)
    redirect_url = models.URLField(_("provider's payment page"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    # The form's one-time token: a double click creates one payment.
    intent = models.UUIDField(_("form token"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("online payment")
        verbose_name_plural = _("online payments")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "intent"], name="payment_intent_unique"),
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=~Q(provider_payment_id=""),
                name="payment_provider_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], condition=Q(status="pending"), name="payment_pending_idx"),
            models.Index(fields=["enterprise", "-created_at"], name="payment_enterprise_idx"),
            # Payments received per month (the back office's figures).
            models.Index(fields=["settled_at"], condition=Q(status="succeeded"), name="payment_settled_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_payment_id or self.pk} {self.amount} ({self.get_status_display()})"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("asked for, waiting for the institution")
    REFUNDED = "refunded", _("paid back")
    REJECTED = "rejected", _("refused")


class RefundRequest(models.Model):
    """An enterprise's administrator asks for its credit (money paid beyond its debts) to be paid
    back to a bank account; finance staff pay it (the refund is posted to the account, the credit
    settling it) or refuse it with a reason. One request waits at a time per enterprise."""

    enterprise = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("enterprise")
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    iban = models.CharField(_("IBAN"), max_length=34)
    holder_name = models.CharField(_("account holder"), max_length=140)
    status = FSMField(_("status"), max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    requested_at = models.DateTimeField(_("asked on"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    reason = models.TextField(_("reason of the refusal"), blank=True)
    entry = models.OneToOneField(
        LedgerEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account entry"),
    )

    class Meta:
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["enterprise"], condition=Q(status="requested"), name="refund_one_waiting_per_enterprise"
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "-requested_at"], name="refund_enterprise_idx"),
            models.Index(fields=["requested_at"], condition=Q(status="requested"), name="refund_waiting_idx"),
        ]

    def __str__(self) -> str:
        return str(
            _("Refund of %(amount)s €, asked on %(date)s") % {"amount": self.amount, "date": self.requested_at.date()}
        )

    @transition(field=status, source=RefundStatus.REQUESTED, target=RefundStatus.REFUNDED)
    def refund(self, *, entry: LedgerEntry, by_id: int, at: datetime.datetime) -> None:
        self.entry, self.decided_by_id, self.decided_at = entry, by_id, at

    @transition(field=status, source=RefundStatus.REQUESTED, target=RefundStatus.REJECTED)
    def reject(self, *, reason: str, by_id: int, at: datetime.datetime) -> None:
        self.reason, self.decided_by_id, self.decided_at = reason, by_id, at
