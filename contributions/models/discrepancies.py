"""A person's report that a month of their record is wrong (not declared, wrong wage, not
paid): a case for staff, told to the employer, answered to the person.

A case is open (to be handled), then staff record an outcome with a reason: they ask the
employer to correct (the case waits for the employer's replacing declaration, and comes back
to staff when it arrives), or they close it as corrected or as not founded. Each of these steps
is kept, with who took it and why, and shown to the person."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", _("to be handled")
    AWAITING_EMPLOYER = "awaiting_employer", _("employer asked to correct")
    CORRECTION_RECEIVED = "correction_received", _("correction received, to be checked")
    CLOSED = "closed", _("handled")


# The states in which staff have something to do.
DISCREPANCY_TO_HANDLE = (DiscrepancyStatus.OPEN, DiscrepancyStatus.CORRECTION_RECEIVED)


class DiscrepancyOutcome(models.TextChoices):
    """What staff decide, from a list: the employer must correct, or the case ends."""

    EMPLOYER_ASKED = "employer_asked", _("Employer asked to correct")
    CORRECTED = "corrected", _("Corrected")
    NOT_FOUNDED = "not_founded", _("Not founded")


class DiscrepancyStepKind(models.TextChoices):
    EMPLOYER_ASKED = "employer_asked", _("Employer asked to correct")
    CORRECTION_RECEIVED = "correction_received", _("Correcting declaration received")
    CORRECTED = "corrected", _("Corrected")
    NOT_FOUNDED = "not_founded", _("Not founded")


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
    status = FSMField(_("status"), max_length=20, choices=DiscrepancyStatus.choices, default=DiscrepancyStatus.OPEN)
    # When the case last changed (a step): part of the version of the person's record.
    updated_at = models.DateTimeField(_("last change"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    closed_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=DiscrepancyOutcome.choices, blank=True)

    class Meta:
        verbose_name = _("reported discrepancy")
        verbose_name_plural = _("reported discrepancies")
        constraints = [
            # One case under way per person, employer and month: a double submit adds nothing.
            models.UniqueConstraint(
                fields=["person", "enterprise", "period"], condition=~Q(status="closed"), name="discrepancy_one_open"
            )
        ]
        indexes = [
            models.Index(fields=["status", "reported_at"], name="discrepancy_queue_idx"),
            models.Index(fields=["person", "period"], name="discrepancy_person_idx"),
            # The employer's replacing declaration finds the cases waiting for it.
            models.Index(
                fields=["enterprise", "period"],
                condition=Q(status="awaiting_employer"),
                name="discrepancy_awaiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Case %(number)s, %(period)s") % {"number": self.pk, "period": self.period})

    @transition(
        field=status,
        source=[DiscrepancyStatus.OPEN, DiscrepancyStatus.CORRECTION_RECEIVED],
        target=DiscrepancyStatus.AWAITING_EMPLOYER,
    )
    def ask_employer(self) -> None:
        self.outcome = DiscrepancyOutcome.EMPLOYER_ASKED

    @transition(
        field=status,
        source=[DiscrepancyStatus.OPEN, DiscrepancyStatus.AWAITING_EMPLOYER, DiscrepancyStatus.CORRECTION_RECEIVED],
        target=DiscrepancyStatus.CLOSED,
    )
    def close(self, *, outcome: str, by_id: int, at: datetime.datetime) -> None:
        self.outcome, self.closed_by_id, self.closed_at = outcome, by_id, at


class DiscrepancyStep(models.Model):
    """One step of a case after the report: a staff decision with its reason, or the
    employer's correcting declaration arriving. Never changed."""

    report = models.ForeignKey(DiscrepancyReport, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(_("step"), max_length=20, choices=DiscrepancyStepKind.choices)
    at = models.DateTimeField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.TextField(_("reason"), max_length=2000, blank=True)
    declaration = models.ForeignKey(
        "contributions.Declaration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("declaration"),
    )

    class Meta:
        verbose_name = _("step of a reported discrepancy")
        verbose_name_plural = _("steps of reported discrepancies")
        indexes = [models.Index(fields=["report", "at", "id"], name="discrepancy_step_idx")]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind}"
