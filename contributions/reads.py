"""The contributions app's own reads: those that hand out models, querysets and query
fragments, for its pages, API and domain modules only, and those its domain modules need (the
rates in force, the enterprises yet to declare), which ``selectors`` also offers to other apps.
The domain modules read here, never through ``selectors``: the face sits above them."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from contributions.models import (
    ContributionRate,
    Declaration,
    DeclarationLine,
    DeclarationReminder,
    DeclarationStatus,
    DeclarationWarning,
    Employment,
)
from contributions.types import EmploymentRow, Rate, WorkerCategory
from core.periods import Period
from identity.selectors import enterprise_names, person_names


def employment_rows(*, employments: list[Employment]) -> list[EmploymentRow]:
    """Employment rows of these hires (two queries for the names, whatever their number)."""
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


def employed_during(period: Period) -> Q:
    """A hire not cancelled that overlaps the period (started by its last day, not ended before
    its first)."""
    return Q(
        Q(end_date__isnull=True) | Q(end_date__gte=period.first_day),
        cancelled_at__isnull=True,
        start_date__lte=period.last_day,
    )


def _declarations(enterprise_id: int) -> QuerySet[Declaration]:
    """The enterprise's declarations that exist for people: not those of a bulk file still being
    processed (they come into force all at once, or are deleted)."""
    return Declaration.objects.filter(enterprise_id=enterprise_id).exclude(status=DeclarationStatus.PENDING)


def declaration_list(*, enterprise_id: int) -> list[Declaration]:
    return list(_declarations(enterprise_id).order_by("-period", "-version")[:120])


def declaration_get(
    *, enterprise_id: int, declaration_id: int
) -> tuple[Declaration, list[DeclarationLine], list[DeclarationWarning]]:
    declaration = _declarations(enterprise_id).filter(pk=declaration_id).first()
    if declaration is None:
        raise LookupError(declaration_id)
    return (
        declaration,
        list(declaration.lines.order_by("line_number")),
        list(declaration.warnings.order_by("line_number", "pk")),
    )


def declaration_queryset(
    *, enterprise_id: int, period_from: str | None = None, period_to: str | None = None, status: str | None = None
) -> QuerySet[Declaration]:
    """The enterprise's declarations (every version), newest period first, for paginated lists
    (the caller has checked who may see them). Periods are YYYY-MM, so they compare as text."""
    rows = _declarations(enterprise_id)
    if period_from:
        rows = rows.filter(period__gte=period_from)
    if period_to:
        rows = rows.filter(period__lte=period_to)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-period", "-version")


def declaration_by_reference(
    *, enterprise_id: int, reference: str
) -> tuple[Declaration, list[DeclarationLine], list[DeclarationWarning]]:
    found = _declarations(enterprise_id).filter(reference=reference).values_list("pk", flat=True).first()
    if found is None:
        raise LookupError(reference)
    return declaration_get(enterprise_id=enterprise_id, declaration_id=found)


def employment_queryset(*, enterprise_id: int, active_on: datetime.date | None = None) -> QuerySet[Employment]:
    """The enterprise's register, newest first; ``active_on`` keeps the employments running on
    that day (cancelled hires excluded)."""
    rows = Employment.objects.filter(enterprise_id=enterprise_id)
    if active_on is not None:
        rows = rows.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=active_on), cancelled_at__isnull=True, start_date__lte=active_on
        )
    return rows.order_by("-start_date", "-pk")


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


def enterprises_without_declaration(*, period: Period) -> list[int]:
    """The enterprises that employed someone during the period but have no declaration in force
    for it and have not been reminded of it yet — one query, whatever their number."""
    in_force = Declaration.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), period=str(period), status=DeclarationStatus.IN_FORCE
    )
    reminded = DeclarationReminder.objects.filter(enterprise_id=OuterRef("enterprise_id"), period=str(period))
    return list(
        Employment.objects.filter(employed_during(period))
        .exclude(Exists(in_force))
        .exclude(Exists(reminded))
        .values_list("enterprise_id", flat=True)
        .order_by("enterprise_id")
        .distinct()
    )


def declaration_in_force_with_lines(
    *, enterprise_id: int, period: str
) -> tuple[Declaration, list[DeclarationLine]] | None:
    """The declaration in force of the enterprise's period and its lines in order (None when the
    period is not declared) — two queries, to prefill its replacement."""
    declaration = _declarations(enterprise_id).filter(period=period, status=DeclarationStatus.IN_FORCE).first()
    if declaration is None:
        return None
    return declaration, list(declaration.lines.order_by("line_number"))
