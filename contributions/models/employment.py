"""The employment register: hires, terminations, corrections and cancellations."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from contributions.models.rates import _DateRange
from contributions.types import WorkerCategory


class Employment(models.Model):
    """A hire declared by an employer: a person works for an enterprise from a start date, until
    an end date once the termination is declared. Corrections and cancellations are events; a
    cancelled hire stays, marked, so the history is complete."""

    enterprise = models.ForeignKey("identity.Enterprise", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+")
    worker_category = models.CharField(_("worker category"), max_length=20, choices=WorkerCategory.choices)
    start_date = models.DateField(_("first day of work"))
    end_date = models.DateField(_("last day of work"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    declared_at = models.DateTimeField(_("declared at"))

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")), name="employment_period_valid"
            ),
            # A person is not hired twice by the same enterprise over overlapping periods.
            ExclusionConstraint(
                name="employment_no_overlap",
                expressions=[
                    ("enterprise", RangeOperators.EQUAL),
                    ("person", RangeOperators.EQUAL),
                    (_DateRange("start_date", "end_date", models.Value("[]")), RangeOperators.OVERLAPS),
                ],
                condition=Q(cancelled_at__isnull=True),
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "-start_date"], name="employment_enterprise_idx"),
            models.Index(fields=["person", "-start_date"], name="employment_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.enterprise_id} from {self.start_date}"


class EmploymentEventKind(models.TextChoices):
    HIRE = "hire", _("hire declared")
    TERMINATION = "termination", _("termination declared")
    CORRECTION = "correction", _("correction")
    CANCELLATION = "cancellation", _("cancellation")


class EmploymentEvent(models.Model):
    """Who declared what, when, for which enterprise (and through which bureau)."""

    employment = models.ForeignKey(Employment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=EmploymentEventKind.choices)
    at = models.DateTimeField(_("at"))
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    by_api_key = models.ForeignKey(
        "identity.ApiKey",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("with the API key"),
    )
    via_bureau = models.ForeignKey(
        "identity.Enterprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("through the bureau"),
    )
    details = models.JSONField(_("details"), default=dict)

    class Meta:
        verbose_name = _("employment event")
        verbose_name_plural = _("employment events")
        ordering = ["at", "id"]
        constraints = [
            # Every event names who declared it: a person, or an enterprise's software.
            models.CheckConstraint(
                condition=Q(by_user__isnull=False) | Q(by_api_key__isnull=False), name="employment_event_has_author"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"
