"""Bank transfers: the camt.053 statements staff import, and one row per credit they carry —
matched to an enterprise by its structured reference, or left in the staff work queue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BankStatementImport(models.Model):
    """One imported file. Its SHA-256 is unique: the same file imported twice is recognised.
    The counts are those of the file: ``credit_count`` = matched + unmatched + already imported
    (credits an earlier, overlapping statement had brought); ``skipped_count`` are the entries
    that are not booked credits (debits, pending entries, reversals)."""

    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, unique=True)
    statement_id = models.CharField(_("statement"), max_length=255)
    account_iban = models.CharField(_("account"), max_length=34)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("imported by")
    )
    imported_at = models.DateTimeField(_("imported at"))
    credit_count = models.PositiveIntegerField(_("credits"))
    matched_count = models.PositiveIntegerField(_("matched"))
    unmatched_count = models.PositiveIntegerField(_("to be handled"))
    already_imported_count = models.PositiveIntegerField(_("already imported"))
    skipped_count = models.PositiveIntegerField(_("skipped"))

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        indexes = [models.Index(fields=["-imported_at"], name="bank_import_recent_idx")]

    def __str__(self) -> str:
        return f"{self.statement_id} ({self.file_name})"


class BankTransactionStatus(models.TextChoices):
    MATCHED = "matched", _("matched automatically")
    UNMATCHED = "unmatched", _("to be handled")
    RESOLVED = "resolved", _("assigned by staff")
    RETURNED = "returned", _("to be refunded")


class BankTransaction(models.Model):
    """A credit of a statement (an entry, or one transaction of a batch entry). The natural key
    (account, entry reference, index in the entry) is unique, so overlapping statements never
    bring — nor credit — the same transfer twice."""

    statement_import = models.ForeignKey(
        BankStatementImport, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("bank statement")
    )
    account_iban = models.CharField(_("account"), max_length=34)
    entry_reference = models.CharField(_("bank reference"), max_length=35)
    index = models.PositiveIntegerField(_("index in the entry"))
    booking_date = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    debtor_name = models.CharField(_("debtor"), max_length=140, blank=True)
    debtor_iban = models.CharField(_("debtor's account"), max_length=34, blank=True)
    structured_reference = models.CharField(_("structured reference"), max_length=35, blank=True)
    unstructured_remittance = models.CharField(_("free-text communication"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=BankTransactionStatus.choices)
    enterprise = models.ForeignKey(
        "identity.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enterprise"),
    )
    # The reference the account was credited with (the transfer's, or the one staff chose).
    payment_reference = models.CharField(_("payment reference"), max_length=35, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    resolved_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("bank transfer")
        verbose_name_plural = _("bank transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["account_iban", "entry_reference", "index"], name="bank_transaction_natural_key"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_transaction_amount_positive"),
            # Credited transfers name their enterprise; staff's decisions name who took them.
            models.CheckConstraint(
                condition=~Q(status__in=["matched", "resolved"]) | Q(enterprise__isnull=False),
                name="bank_transaction_credited_has_enterprise",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "returned"])
                | Q(resolved_by__isnull=False, resolved_at__isnull=False),
                name="bank_transaction_decision_has_author",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "booking_date"], name="bank_transaction_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.currency} {self.debtor_name}".strip()
