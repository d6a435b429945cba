"""Audit records of personal-data access: who read whose data, why and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.core.types import AccessPurpose


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
        return f"{self.at:%Y-%m-%d %H:%M} {self.purpose}"


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
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.owner}:{self.key}"
