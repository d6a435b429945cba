"""Life certificates of the pensioners who live abroad: each year's request, the certificates
sent in answer (checked by staff) and the remote identity checks passed at a provider.

A request is asked once per person and year (a unique constraint). It is open until it is
confirmed; 30 and 60 days after it was asked a reminder goes out, and when its due day has
passed unanswered the person's monthly benefits are suspended (``suspended_at``). A certificate
accepted by staff, or a remote identity check passed, confirms it; the benefits it suspended
resume, and the months they were not paid are paid as arrears by the next run.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LifeRequestStatus(models.TextChoices):
    ASKED = "asked", _("awaiting the answer")
    RECEIVED = "received", _("certificate received, being checked")
    CONFIRMED = "confirmed", _("confirmed")


class LifeConfirmation(models.TextChoices):
    CERTIFICATE = "certificate", _("certificate checked by our staff")
    REMOTE_CHECK = "remote_check", _("identity checked online")


class LifeCertificateRequest(models.Model):
    person = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    year = models.PositiveSmallIntegerField(_("year"))
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=LifeRequestStatus.choices, default=LifeRequestStatus.ASKED
    )
    asked_at = models.DateTimeField(_("asked at"))
    due_on = models.DateField(_("answer due by"))
    # Nobody could be told on the portal when it was asked (no account, no proxy): letters are
    # posted, and ``letter_due`` says one is waiting to be printed (the request, a reminder, or
    # the suspension).
    by_post = models.BooleanField(_("post"), default=False)
    letter_due = models.BooleanField(_("letter to post"), default=False)
    letters_printed_at = models.DateTimeField(_("last letter printed at"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    # The due day passed unanswered: the benefits were suspended then.
    suspended_at = models.DateTimeField(_("benefits suspended at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.CharField(_("confirmed by"), max_length=12, choices=LifeConfirmation.choices, blank=True)

    class Meta:
        verbose_name = _("life certificate request")
        verbose_name_plural = _("life certificate requests")
        permissions = [("print_lifeletters", _("Can print the life certificate letters to post"))]
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="life_request_once_a_year"),
            models.CheckConstraint(
                condition=(Q(status=LifeRequestStatus.CONFIRMED, confirmed_at__isnull=False) & ~Q(confirmed_by=""))
                | (~Q(status=LifeRequestStatus.CONFIRMED) & Q(confirmed_at__isnull=True, confirmed_by="")),
                name="life_request_confirmation_consistent",
            ),
            models.CheckConstraint(condition=Q(reminders__lte=2), name="life_request_two_reminders"),
        ]
        indexes = [
            models.Index(fields=["due_on"], condition=~Q(status="confirmed"), name="life_request_open_idx"),
            models.Index(fields=["person", "-year"], name="life_request_person_idx"),
            models.Index(fields=["id"], condition=Q(letter_due=True), name="life_request_letter_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class CertificateReview(models.TextChoices):
    PENDING = "pending", _("to check")
    ACCEPTED = "accepted", _("accepted")
    REFUSED = "refused", _("refused")
    # The year was confirmed otherwise (the identity checked online) while it waited.
    NOT_NEEDED = "not_needed", _("not needed: the year was confirmed otherwise")


class RefusalReason(models.TextChoices):
    UNREADABLE = "unreadable", _("the document cannot be read")
    NOT_SIGNED = "not_signed", _("it is not signed and stamped by an authority")
    WRONG_PERSON = "wrong_person", _("it is not about the pensioner")
    TOO_OLD = "too_old", _("it was signed more than three months ago")


class LifeCertificate(models.Model):
    """A certificate signed by a local authority, sent in answer to a request. Kept in the
    database, never under a public address: it is served by views that check who asks and
    record the read."""

    request = models.ForeignKey(LifeCertificateRequest, on_delete=models.PROTECT, related_name="certificates")
    filename = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(editable=False)
    uploaded_at = models.DateTimeField(_("sent at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by")
    )
    review = models.CharField(
        _("check"), max_length=12, choices=CertificateReview.choices, default=CertificateReview.PENDING
    )
    reviewed_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    refusal_reason = models.CharField(_("reason"), max_length=20, choices=RefusalReason.choices, blank=True)

    class Meta:
        verbose_name = _("life certificate")
        verbose_name_plural = _("life certificates")
        permissions = [("review_lifecertificate", _("Can check life certificates"))]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="life_certificate_not_empty"),
            # One certificate waits for staff at a time: a second sending is refused meanwhile.
            models.UniqueConstraint(
                fields=["request"], condition=Q(review="pending"), name="life_certificate_one_pending"
            ),
            models.CheckConstraint(
                condition=(Q(review="pending", reviewed_at__isnull=True, refusal_reason=""))
                | (Q(review="accepted", reviewed_at__isnull=False, refusal_reason=""))
                | (Q(review="refused", reviewed_at__isnull=False) & ~Q(refusal_reason=""))
                | (Q(review="not_needed", reviewed_at__isnull=False, reviewed_by__isnull=True, refusal_reason="")),
                name="life_certificate_review_consistent",
            ),
            # Nobody checks a certificate they sent themselves (a case worker at the counter).
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=models.F("uploaded_by")),
                name="life_certificate_four_eyes",
            ),
        ]
        indexes = [
            models.Index(fields=["uploaded_at"], condition=Q(review="pending"), name="life_certificate_queue_idx"),
        ]

    def __str__(self) -> str:
        return self.filename


class LifeCheckStatus(models.TextChoices):
    PENDING = "pending", _("in progress")
    PASSED = "passed", _("identity confirmed")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class LifeCheck(models.Model):
    """A remote identity check the pensioner started at the provider. Stored before the provider
    is called, with the one-time token of the form (a double click starts one check)."""

    request = models.ForeignKey(LifeCertificateRequest, on_delete=models.PROTECT, related_name="checks")
    intent = models.UUIDField(_("one-time token of the form"), default=uuid.uuid4, unique=True)
    provider = models.CharField(_("provider"), max_length=20)
    provider_check_id = models.CharField(_("the provider's reference"), max_length=100, blank=True)
    redirect_url = models.URLField(_("the provider's page"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=LifeCheckStatus.choices, default=LifeCheckStatus.PENDING
    )
    started_at = models.DateTimeField(_("started at"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    settled_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("remote identity check")
        verbose_name_plural = _("remote identity checks")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_check_id"],
                condition=~Q(provider_check_id=""),
                name="life_check_provider_id_unique",
            )
        ]
        indexes = [
            models.Index(fields=["started_at"], condition=Q(status="pending"), name="life_check_pending_idx"),
            models.Index(fields=["request"], name="life_check_request_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_check_id or self.intent}"
