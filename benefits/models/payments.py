"""Entitlements paid: the amounts in force over time (the grant, then each January's
indexation), the monthly payment runs, their payments, the ISO 20022 files sent to the bank and
the bank's answers, and the sums to recover.

A run is prepared for a month by one set-based statement: one payment per entitlement and run
(a database constraint), covering the months due — the run's month and any earlier month not
yet paid (arrears) — each starting where the entitlement's last payment ended, never on a month
another payment paid or being paid started on (a unique index). An exclusion constraint over
the months would also refuse overlaps that start elsewhere, but it tripled the cost of writing
a million payments. Finance approves it with four eyes (a
database constraint), then it is exported as ``pain.001`` files and the bank's ``pain.002``
marks each payment paid or rejected.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import DateRangeField
from django.contrib.postgres.fields.ranges import RangeStartsWith
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from benefits.models.claims import Entitlement


class AmountReason(models.TextChoices):
    DECISION = "decision", _("amount of the decision")
    INDEXATION = "indexation", _("yearly indexation")


class EntitlementAmount(models.Model):
    """The monthly amount of an entitlement from a day: the decision's, then each January's
    indexation (with its rate and legal reference, to explain it to the person)."""

    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="amounts")
    since = models.DateField(_("from"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=12, choices=AmountReason.choices)
    rate = models.DecimalField(_("rate"), max_digits=7, decimal_places=5, null=True, blank=True)
    reference = models.CharField(_("legal basis"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("amount in force")
        verbose_name_plural = _("amounts in force")
        constraints = [
            models.UniqueConstraint(fields=["entitlement", "since"], name="entitlement_amount_one_per_day"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="entitlement_amount_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.entitlement_id} {self.since} {self.amount}"


class RunStatus(models.TextChoices):
    PREPARED = "prepared", _("prepared, to be checked")
    SUBMITTED = "submitted", _("checked, to be approved")
    APPROVED = "approved", _("approved, being exported")
    EXPORTED = "exported", _("exported to the bank")


class PaymentRun(models.Model):
    """The payments of one month. Prepared by the scheduler (or a finance officer), checked by a
    finance officer and approved by another (never the one who prepared or checked it)."""

    period = models.DateField(_("month"), unique=True)
    pay_on = models.DateField(_("payment date"))
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.PREPARED)
    prepared_at = models.DateTimeField(_("prepared at"))
    # Empty when the scheduler prepared it.
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    submitted_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment run")
        verbose_name_plural = _("payment runs")
        ordering = ["-period"]
        permissions = [("approve_paymentrun", _("Can check and approve payment runs"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | (
                    Q(submitted_by__isnull=False)
                    & ~Q(approved_by=F("submitted_by"))
                    & (Q(prepared_by__isnull=True) | ~Q(approved_by=F("prepared_by")))
                ),
                name="payment_run_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m}"


class PaymentStatus(models.TextChoices):
    # Before the bank's answer: in a run not yet exported, or sent (the run says which).
    PENDING = "pending", _("being paid")
    PAID = "paid", _("paid")
    REJECTED = "rejected", _("rejected by the bank")
    # Taken out before its file was written (the person died, the account was rejected).
    STOPPED = "stopped", _("stopped before the transfer")


# The statuses whose months count as paid or being paid: a month is never in two of them.
PAYING = (PaymentStatus.PENDING, PaymentStatus.PAID)


class Payment(models.Model):
    """One transfer to one person for one entitlement in one run: the months it covers (the
    run's month and any earlier one due), their gross amount, what is recovered from it, and
    the account it goes to, fixed when the run is prepared (the cut-off)."""

    # Indexed by the constraints and indexes below (a million rows a month: no index twice). The
    # run's key is not checked by the database: payments are only written by the statement that
    # prepares the run, in its transaction (a million checks at the commit cost seconds).
    run = models.ForeignKey(
        PaymentRun, on_delete=models.PROTECT, related_name="payments", db_index=False, db_constraint=False
    )
    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="payments", db_index=False)
    # The entitlement's person, kept for the person's list of payments; its key is checked there.
    person = models.ForeignKey(
        "identity.Person", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    scheme = models.CharField(_("benefit"), max_length=60)
    # [first month, the month after the last).
    months = DateRangeField(_("months"))
    gross = models.DecimalField(_("gross"), max_digits=12, decimal_places=2)
    arrears = models.DecimalField(_("of which arrears"), max_digits=12, decimal_places=2, default=0)
    recovered = models.DecimalField(_("recovered"), max_digits=12, decimal_places=2, default=0)
    amount = models.DecimalField(_("paid"), max_digits=12, decimal_places=2)
    iban = models.CharField(_("IBAN"), max_length=34)
    holder_name = models.CharField(_("account holder"), max_length=140)
    # Stable: the same in every export of the run, and quoted by the bank's answer. Built from the
    # run's month and the entitlement (bank.end_to_end_id): unique as they are, found by them.
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35)
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    rejection_code = models.CharField(_("reason code"), max_length=8, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("benefit", "payment")
        verbose_name_plural = pgettext_lazy("benefit", "payments")
        constraints = [
            models.UniqueConstraint(fields=["run", "entitlement"], name="payment_one_per_entitlement_and_run"),
            # A month is never paid twice: two payments of an entitlement that are paid or being
            # paid never start on the same month (each starts where the last one paid ended).
            models.UniqueConstraint(
                F("entitlement"),
                RangeStartsWith("months"),
                condition=Q(status__in=[str(status) for status in PAYING]),
                name="payment_month_paid_once",
            ),
            models.CheckConstraint(
                condition=Q(gross__gte=0, recovered__gte=0, amount=F("gross") - F("recovered"))
                & Q(arrears__gte=0, arrears__lte=F("gross")),
                name="payment_amounts_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "run"], name="payment_person_idx"),
            # The payments not paid (rejected, stopped): the skips of rejected accounts, the holes.
            models.Index(
                fields=["entitlement"], condition=Q(status__in=["rejected", "stopped"]), name="payment_unpaid_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.end_to_end_id


class RunSkip(models.Model):
    """An entitlement a run did not pay, and why (suspended, no bank account, an account the bank
    rejected and not changed since)."""

    class Reason(models.TextChoices):
        SUSPENDED = "suspended", pgettext_lazy("entitlement", "suspended")
        NO_ACCOUNT = "no_account", _("no bank account on file")
        ACCOUNT_REJECTED = "account_rejected", _("the bank rejected the account, not changed since")

    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="skips")
    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("entitlement not paid")
        verbose_name_plural = _("entitlements not paid")
        constraints = [models.UniqueConstraint(fields=["run", "entitlement"], name="run_skip_once")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.entitlement_id} {self.reason}"


class PaymentFile(models.Model):
    """One ``pain.001`` credit-transfer file of a run: its payments are fixed when the run is
    approved (a range of their ids), its content written once, the same on every download."""

    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="files")
    sequence = models.PositiveIntegerField(_("number"))
    transactions = models.PositiveIntegerField(_("transfers"))
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2)
    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    # The file's payments: the run's pending ones from the first id to the last, in that order.
    first_payment_id = models.BigIntegerField()
    last_payment_id = models.BigIntegerField()
    content = models.BinaryField(null=True, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    written_at = models.DateTimeField(_("written at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank file")
        verbose_name_plural = _("bank files")
        constraints = [models.UniqueConstraint(fields=["run", "sequence"], name="payment_file_sequence_once")]

    def __str__(self) -> str:
        return self.message_id


class BankAnswer(models.Model):
    """A bank's answer imported by finance, once per message id: a payment status report
    (``pain.002``: payments paid or rejected) or a resolution of investigation (``camt.029``:
    recalls the bank cancelled or could not)."""

    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    imported_at = models.DateTimeField(_("imported at"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("imported by")
    )
    paid = models.PositiveIntegerField(_("paid"))
    rejected = models.PositiveIntegerField(_("rejected"))
    unknown = models.PositiveIntegerField(_("not ours or already answered"))
    cancelled = models.PositiveIntegerField(_("recalls cancelled"), default=0)
    not_cancelled = models.PositiveIntegerField(_("recalls refused"), default=0)
    content = models.BinaryField(editable=False)

    class Meta:
        verbose_name = _("bank answer")
        verbose_name_plural = _("bank answers")

    def __str__(self) -> str:
        return self.message_id


class RecallFile(models.Model):
    """A ``camt.055`` payment cancellation request sent to the bank: the transfers of files it
    already has to people reported dead before their payment date. Written once, in the
    transaction that asks the recalls; the same bytes on every download."""

    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    recalls = models.PositiveIntegerField(_("transfers recalled"))
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2)
    content = models.BinaryField(editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    written_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = _("recall file")
        verbose_name_plural = _("recall files")

    def __str__(self) -> str:
        return self.message_id


class RecallStatus(models.TextChoices):
    REQUESTED = "requested", _("asked of the bank")
    # The bank cancelled the transfer (or rejected it): nothing left; the payment is stopped.
    CANCELLED = "cancelled", _("cancelled: not paid")
    # The bank had executed it: the months after the death are asked back from the estate.
    REFUSED = "refused", _("too late: paid, asked back from the estate")


class PaymentRecall(models.Model):
    """A transfer already in a bank file, to a person reported dead before its payment date:
    asked back from the bank (a ``camt.055`` recall file) instead of from the estate."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="recall")
    status = models.CharField(_("status"), max_length=10, choices=RecallStatus.choices, default=RecallStatus.REQUESTED)
    requested_at = models.DateTimeField(_("asked at"))
    file = models.ForeignKey(
        RecallFile, on_delete=models.PROTECT, null=True, related_name="items", verbose_name=_("recall file")
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The bank's status or reason code (CNCL, RJCR, ACSC, ...).
    answer_code = models.CharField(_("bank's code"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("payment recalled")
        verbose_name_plural = _("payments recalled")
        indexes = [
            models.Index(fields=["file"], condition=Q(status="requested"), name="payment_recall_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.status}"


class RecoveryKind(models.TextChoices):
    OVERPAYMENT = "overpayment", _("paid and not due")
    AFTER_DEATH = "after_death", _("paid for months after the death")


class Recovery(models.Model):
    """A sum paid that was not due (an overpayment), to be recovered: netted from the person's
    next payments of the same entitlement, at most a share of each; or, paid after the person's
    death, asked back from the estate by a letter, with a reference to quote on the transfer."""

    person = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    entitlement = models.ForeignKey(Entitlement, on_delete=models.PROTECT, related_name="recoveries")
    kind = models.CharField(_("kind"), max_length=12, choices=RecoveryKind.choices, default=RecoveryKind.OVERPAYMENT)
    # The payment that paid too much (one recovery per payment and kind).
    payment = models.ForeignKey(
        "Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("payment")
    )
    reference = models.CharField(_("reference to quote"), max_length=20, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    outstanding = models.DecimalField(_("outstanding"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("recorded at"))
    # The letter asking the estate to pay it back (a verifiable PDF), to be posted.
    letter = models.BinaryField(null=True, editable=False)
    letter_document_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("sum to recover")
        verbose_name_plural = _("sums to recover")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, outstanding__gte=0, outstanding__lte=F("amount")),
                name="recovery_amounts_consistent",
            ),
            models.UniqueConstraint(
                fields=["payment", "kind"], condition=Q(payment__isnull=False), name="recovery_once_per_payment"
            ),
        ]
        indexes = [models.Index(fields=["entitlement"], condition=Q(outstanding__gt=0), name="recovery_open_idx")]

    def __str__(self) -> str:
        return self.reference or f"{self.amount} ({self.created_at:%Y-%m-%d})"


class RecoveryItem(models.Model):
    """What one payment recovered of one sum."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="items")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="recovery_items")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        constraints = [
            models.UniqueConstraint(fields=["recovery", "payment"], name="recovery_item_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_item_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.recovery_id} {self.amount}"
