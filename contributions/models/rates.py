"""Contribution rules: an effective-dated table of rates per branch and worker category."""

from __future__ import annotations

import pghistory
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils.formats import date_format
from django.utils.translation import gettext
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
        return gettext("%(branch)s / %(category)s from %(date)s") % {
            "branch": self.get_branch_display(),
            "category": self.get_worker_category_display(),
            "date": date_format(self.valid_from),
        }


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    meta={"verbose_name": _("interest rate change"), "verbose_name_plural": _("interest rate changes")},
)
class LateInterestRate(models.Model):
    """The yearly rate of late-payment interest in force from ``valid_from`` until the next
    row's date. Interest accrues per day at the rate of that day: a month across a change of
    rate is charged at each rate for its days, and a month computed again later (a catch-up)
    is charged at the rates of its own days, not today's."""

    valid_from = models.DateField(_("in force from"), unique=True)
    yearly_rate = models.DecimalField(
        _("yearly rate"), max_digits=6, decimal_places=5, help_text=_("For example 0.07 for seven percent a year.")
    )

    class Meta:
        verbose_name = _("late-payment interest rate")
        verbose_name_plural = _("late-payment interest rates")
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(yearly_rate__gte=0, yearly_rate__lt=1), name="interest_rate_between_0_and_1"
            )
        ]

    def __str__(self) -> str:
        return gettext("%(rate)s %% a year from %(date)s") % {
            "rate": f"{(self.yearly_rate * 100).normalize():f}",
            "date": date_format(self.valid_from),
        }
