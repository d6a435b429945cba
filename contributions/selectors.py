"""Reads of the contributions app: the rates in force."""

from __future__ import annotations

import datetime

from django.db.models import Q

from contributions.models import ContributionRate, Declaration, DeclarationLine, DeclarationWarning, Employment
from contributions.types import EmploymentRow, Rate, WorkerCategory
from identity.selectors import enterprise_names, person_names
from portal.core.periods import Period


def rates_in_force(*, on: datetime.date) -> list[Rate]:
    """Every rate in force on a day, ordered by category then branch, in one query."""
    rows = ContributionRate.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on), valid_from__lte=on
    ).order_by("worker_category", "branch")
    return [
        Rate(
            branch=row.branch,
            worker_category=row.worker_category,
            employee_rate=row.employee_rate,
            employer_rate=row.employer_rate,
            monthly_ceiling=row.monthly_ceiling,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
        )
        for row in rows
    ]


def rates_for_period(*, period: Period) -> list[Rate]:
    """The rates of a declaration period: those in force on its first day (rates change on the
    first of a month)."""
    return rates_in_force(on=period.first_day)


def _rows(employments: list[Employment]) -> list[EmploymentRow]:
    names = person_names(person_ids=list({e.person_id for e in employments}))
    enterprises = enterprise_names(enterprise_ids=list({e.enterprise_id for e in employments}))
    labels = dict(WorkerCategory.choices)
    return [
        EmploymentRow(
            id=e.pk,
            enterprise_id=e.enterprise_id,
            enterprise_name=enterprises.get(e.enterprise_id, ""),
            person_id=e.person_id,
            person_name=names.get(e.person_id, ""),
            worker_category=e.worker_category,
            worker_category_label=str(labels.get(e.worker_category, e.worker_category)),
            start_date=e.start_date,
            end_date=e.end_date,
            cancelled=e.cancelled_at is not None,
        )
        for e in employments
    ]


def employment_list_for_enterprise(*, enterprise_id: int) -> list[EmploymentRow]:
    """The enterprise's register, newest first (the caller has checked who may see it)."""
    return _rows(list(Employment.objects.filter(enterprise_id=enterprise_id).order_by("-start_date", "-pk")))


def employment_list_for_person(*, person_id: int) -> list[EmploymentRow]:
    """A person's current and past employers, not counting cancelled hires."""
    return _rows(
        list(Employment.objects.filter(person_id=person_id, cancelled_at__isnull=True).order_by("-start_date", "-pk"))
    )


def active_employees(*, enterprise_id: int, period: Period) -> list[EmploymentRow]:
    """Who worked for the enterprise during the period (to prefill the declaration form)."""
    return _rows(
        list(
            Employment.objects.filter(
                Q(end_date__isnull=True) | Q(end_date__gte=period.first_day),
                enterprise_id=enterprise_id,
                cancelled_at__isnull=True,
                start_date__lte=period.last_day,
            ).order_by("pk")
        )
    )


def declaration_list(*, enterprise_id: int) -> list[Declaration]:
    return list(Declaration.objects.filter(enterprise_id=enterprise_id).order_by("-period", "-version")[:120])


def declaration_get(
    *, enterprise_id: int, declaration_id: int
) -> tuple[Declaration, list[DeclarationLine], list[DeclarationWarning]]:
    declaration = Declaration.objects.filter(pk=declaration_id, enterprise_id=enterprise_id).first()
    if declaration is None:
        raise LookupError(declaration_id)
    return (
        declaration,
        list(declaration.lines.order_by("line_number")),
        list(declaration.warnings.order_by("line_number", "pk")),
    )
