"""Contribution rules: an effective-dated table of rates per branch and worker category."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from contributions.types import Branch, WorkerCategory


class _DateRange(Func):
    function = "DATERANGE"
    output_field = DateRangeField()


# Every insert, change and deletion of a rate is kept, with who made it (database triggers: a
# change made by a bulk update or in SQL is recorded too).
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    meta={"verbose_name": _("rate change"), "verbose_name_plural": _("rate changes")},
)
class ContributionRate(models.Model):
    """Rates in force from ``valid_from`` to ``valid_until`` included (open-ended when empty).
    A change of rate is a new row: the past stays as it was, so old periods compute as then."""

    branch = models.CharField(_("branch"), max_length=20, choices=Branch.choices)
    worker_category = models.CharField(_("worker category"), max_length=20, choices=WorkerCategory.choices)
    employee_rate = models.DecimalField(_("employee share (rate)"), max_digits=7, decimal_places=5)
    employer_rate = models.DecimalField(_("employer share (rate)"), max_digits=7, decimal_places=5)
    monthly_ceiling = models.DecimalField(
        _("monthly wage ceiling"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: no ceiling, the whole wage is the base."),
    )
    valid_from = models.DateField(_("in force from"))
    valid_until = models.DateField(_("in force until (included)"), null=True, blank=True)

    class Meta:
        verbose_name = _("contribution rate")
        verbose_name_plural = _("contribution rates")
        ordering = ["worker_category", "branch", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(employee_rate__gte=0, employee_rate__lt=1, employer_rate__gte=0, employer_rate__lt=1),
                name="rate_between_0_and_1",
            ),
            models.CheckConstraint(
                condition=Q(monthly_ceiling__isnull=True) | Q(monthly_ceiling__gt=0), name="rate_ceiling_positive"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="rate_period_valid",
            ),
            # Two rates of one branch and category never overlap in time.
            ExclusionConstraint(
                name="rate_no_overlap",
                expressions=[
                    ("branch", RangeOperators.EQUAL),
                    ("worker_category", RangeOperators.EQUAL),
                    (_DateRange("valid_from", "valid_until", models.Value("[]")), RangeOperators.OVERLAPS),
                ],
            ),
        ]
        indexes = [models.Index(fields=["valid_from", "valid_until"], name="rate_validity_idx")]

    def __str__(self) -> str:
        return f"{self.get_branch_display()} / {self.get_worker_category_display()} from {self.valid_from}"


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


class DeclarationStatus(models.TextChoices):
    IN_FORCE = "in_force", _("in force")
    REPLACED = "replaced", _("replaced by a later version")


class Channel(models.TextChoices):
    FORM = "form", _("web form")
    API = "api", _("API")
    FILE = "file", _("bulk file")


class Declaration(models.Model):
    """An employer's monthly declaration (one version). A replacement is a new version; exactly
    one version of an (enterprise, period) is in force at any time (a database constraint)."""

    enterprise = models.ForeignKey("identity.Enterprise", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=7)
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=DeclarationStatus.choices)
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_with_key = models.ForeignKey(
        "identity.ApiKey", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    via_bureau = models.ForeignKey(
        "identity.Enterprise", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    line_count = models.PositiveIntegerField(_("lines"))
    total_wages = models.DecimalField(_("total gross wages"), max_digits=16, decimal_places=2)
    totals = models.JSONField(_("totals per branch"), default=dict)

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "period"], condition=Q(status="in_force"), name="declaration_one_in_force"
            ),
            models.UniqueConstraint(fields=["enterprise", "period", "version"], name="declaration_version_unique"),
            models.CheckConstraint(
                condition=Q(submitted_by__isnull=False) | Q(submitted_with_key__isnull=False),
                name="declaration_has_author",
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "-period"], name="declaration_enterprise_idx")]

    def __str__(self) -> str:
        return self.reference


class DeclarationLine(models.Model):
    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="lines")
    line_number = models.PositiveIntegerField()
    person = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+")
    worker_category = models.CharField(max_length=20, choices=WorkerCategory.choices)
    gross_wage = models.DecimalField(max_digits=12, decimal_places=2)
    days_worked = models.PositiveSmallIntegerField()
    employee_amount = models.DecimalField(max_digits=12, decimal_places=2)
    employer_amount = models.DecimalField(max_digits=12, decimal_places=2)
    amounts = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["declaration", "person"], name="declaration_line_one_per_person"),
            models.CheckConstraint(condition=Q(gross_wage__gte=0), name="declaration_line_wage_not_negative"),
        ]
        indexes = [models.Index(fields=["person"], name="declaration_line_person_idx")]

    def __str__(self) -> str:
        return f"{self.declaration_id}#{self.line_number}"


class DeclarationWarning(models.Model):
    """A warning kept with an accepted declaration (errors reject it and store nothing)."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="warnings")
    line_number = models.PositiveIntegerField(null=True, blank=True)
    field = models.CharField(max_length=30, blank=True)
    code = models.CharField(max_length=40)

    def __str__(self) -> str:
        return f"{self.code} line {self.line_number}"


class DeclarationReminder(models.Model):
    """An enterprise was reminded that its declaration of a period is missing. The unique pair
    makes the reminder job safe to run twice: a second run inserts nothing, so tells no one."""

    enterprise = models.ForeignKey("identity.Enterprise", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=7)
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("declaration reminder")
        verbose_name_plural = _("declaration reminders")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "period"], name="declaration_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.period}"
