"""What the contributions app hands to other apps: branches, categories, rates, amounts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Branch(models.TextChoices):
    PENSION = "pension", _("pension")
    HEALTH = "health", _("health care")
    UNEMPLOYMENT = "unemployment", _("unemployment")
    FAMILY = "family", _("family benefits")
    WORK_INJURY = "work_injury", _("work injury")


class WorkerCategory(models.TextChoices):
    EMPLOYEE = "employee", _("employee (white-collar)")
    WORKER = "worker", _("worker (blue-collar)")
    APPRENTICE = "apprentice", _("apprentice")


@dataclass(frozen=True)
class Rate:
    branch: str
    worker_category: str
    employee_rate: Decimal
    employer_rate: Decimal
    monthly_ceiling: Decimal | None
    valid_from: datetime.date
    valid_until: datetime.date | None


@dataclass(frozen=True)
class BranchAmount:
    branch: str
    base: Decimal
    employee: Decimal
    employer: Decimal
