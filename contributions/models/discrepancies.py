"""A person's report that a month of their record is wrong (not declared, wrong wage, not
paid): a case for staff, told to the employer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", _("to be handled")
    CLOSED = "closed", _("handled")


class DiscrepancyReport(models.Model):
    person = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    enterprise = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, related_name="+", verbose_name=_("employer")
    )
    period = models.CharField(_("period"), max_length=7)
    message = models.TextField(_("what is wrong"), max_length=2000)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"))
    status = models.CharField(
        _("status"), max_length=10, choices=DiscrepancyStatus.choices, default=DiscrepancyStatus.OPEN
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    closed_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)

    class Meta:
        verbose_name = _("reported discrepancy")
        verbose_name_plural = _("reported discrepancies")
        constraints = [
            # One open case per person, employer and month: a double submit adds nothing.
            models.UniqueConstraint(
                fields=["person", "enterprise", "period"], condition=Q(status="open"), name="discrepancy_one_open"
            )
        ]
        indexes = [
            models.Index(fields=["status", "reported_at"], name="discrepancy_queue_idx"),
            models.Index(fields=["person", "period"], name="discrepancy_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.period} — {self.enterprise_id}"
