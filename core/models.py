"""Audit records of personal-data access: who read whose data, why and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.types import AccessPurpose, DocumentKind, DocumentSubject


class AccessRecord(models.Model):
    at = models.DateTimeField(_("when"))
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("who"),
    )
    subject_person = models.ForeignKey(
        "identity.Person",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("whose data"),
    )
    purpose = models.CharField(_("purpose"), max_length=40, choices=AccessPurpose.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    # Set when the reader acted under a mandate: the principal's trail lists them per mandate.
    mandate_id = models.BigIntegerField(_("mandate"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data accesses")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["subject_person", "-at"], name="access_subject_at_idx"),
            models.Index(
                fields=["mandate_id", "-at"], condition=models.Q(mandate_id__isnull=False), name="access_mandate_at_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_purpose_display()}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST made with an ``Idempotency-Key``: a repeat of the same request
    with the same key gets this answer again instead of acting twice. ``owner`` namespaces keys
    per credential, so two clients cannot collide or read each other's answers."""

    owner = models.CharField(max_length=40)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("API request answered")
        verbose_name_plural = _("API requests answered")
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.owner}:{self.key}"


class VerifiableDocument(models.Model):
    """A document the portal issued, that anyone holding its verification code can check on the
    public verification page. Neither the code nor the holder's full name is stored: only the
    SHA-256 of the normalised code (a leak gives no valid code), its first characters to help
    staff find a document, and the masked name the verification page shows."""

    kind = models.CharField(_("kind"), max_length=40, choices=DocumentKind.choices)
    code_digest = models.CharField(_("digest of the verification code"), max_length=64, unique=True)
    code_prefix = models.CharField(_("start of the verification code"), max_length=4)
    issued_at = models.DateTimeField(_("issued at"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    holder_name_masked = models.CharField(_("holder (masked)"), max_length=200)
    # Whom the document is about, as plain values: the shared kernel holds no key to a domain app.
    subject_type = models.CharField(_("subject type"), max_length=40, choices=DocumentSubject.choices)
    subject_id = models.BigIntegerField(_("subject id"))
    content_sha256 = models.CharField(_("SHA-256 of the document"), max_length=64, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("verifiable document")
        verbose_name_plural = _("verifiable documents")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code_digest__regex=r"^[0-9a-f]{64}$"), name="document_code_digest_sha256"
            ),
            models.CheckConstraint(
                condition=models.Q(content_sha256="") | models.Q(content_sha256__regex=r"^[0-9a-f]{64}$"),
                name="document_content_sha256",
            ),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "-issued_at"], name="document_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code_prefix}…"
