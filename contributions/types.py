"""What the contributions app hands to other apps: branches, categories, rates, amounts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


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


class EmploymentError(Exception):
    """A refused hire, termination or correction; ``message`` is for people, in their language."""

    def __init__(self, code: str, message: StrOrPromise) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class EmploymentRow:
    id: int
    enterprise_id: int
    enterprise_name: str
    person_id: int
    person_name: str
    worker_category: str
    worker_category_label: str
    start_date: datetime.date
    end_date: datetime.date | None
    cancelled: bool

    def is_current(self, on: datetime.date) -> bool:
        return not self.cancelled and self.start_date <= on and (self.end_date is None or self.end_date >= on)
