"""Reads of the contributions app: the rates in force."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from contributions.models import (
    Channel,
    ContributionRate,
    Declaration,
    DeclarationLine,
    DeclarationReminder,
    DeclarationStatus,
    DeclarationWarning,
    Employment,
)
from contributions.types import ANOMALY_MESSAGES, Branch, EmploymentRow, Rate, WorkerCategory
from core.periods import Period
from identity.selectors import enterprise_names, enterprise_summaries, person_names


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


def employed_during(period: Period) -> Q:
    """A hire not cancelled that overlaps the period (started by its last day, not ended before
    its first)."""
    return Q(
        Q(end_date__isnull=True) | Q(end_date__gte=period.first_day),
        cancelled_at__isnull=True,
        start_date__lte=period.last_day,
    )


def active_employees(*, enterprise_id: int, period: Period) -> list[EmploymentRow]:
    """Who worked for the enterprise during the period (to prefill the declaration form)."""
    return _rows(list(Employment.objects.filter(employed_during(period), enterprise_id=enterprise_id).order_by("pk")))


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


def employment_rows(*, employments: list[Employment]) -> list[EmploymentRow]:
    return _rows(employments)


@dataclass(frozen=True)
class ReceiptBranchTotal:
    branch_label: str
    employee: Decimal
    employer: Decimal

    @property
    def total(self) -> Decimal:
        return self.employee + self.employer


@dataclass(frozen=True)
class ReceiptLine:
    line_number: int
    person_name: str
    worker_category_label: str
    gross_wage: Decimal
    days_worked: int
    employee_amount: Decimal
    employer_amount: Decimal


@dataclass(frozen=True)
class ReceiptWarning:
    line_number: int | None
    code: str
    message: str


@dataclass(frozen=True)
class DeclarationReceipt:
    """What the receipt of a declaration shows; its labels and messages are in the language
    active when it was read."""

    reference: str
    enterprise_name: str
    enterprise_number_display: str
    period: str
    version: int
    status_label: str
    channel_label: str
    submitted_at: datetime.datetime
    line_count: int
    total_wages: Decimal
    totals: tuple[ReceiptBranchTotal, ...]
    warnings: tuple[ReceiptWarning, ...]
    lines: tuple[ReceiptLine, ...]

    @property
    def total_employee(self) -> Decimal:
        return sum((total.employee for total in self.totals), Decimal("0.00"))

    @property
    def total_employer(self) -> Decimal:
        return sum((total.employer for total in self.totals), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.total_employee + self.total_employer


def declaration_receipt_get(*, enterprise_id: int, declaration_id: int) -> DeclarationReceipt:
    """The receipt of one of the enterprise's declarations (LookupError for any other), in five
    queries whatever its number of lines (the caller has checked who may see it)."""
    declaration, lines, warnings = declaration_get(enterprise_id=enterprise_id, declaration_id=declaration_id)
    enterprise = enterprise_summaries(enterprise_ids=[enterprise_id])[0]
    names = person_names(person_ids=[line.person_id for line in lines])
    branch_labels = dict(Branch.choices)
    categories = dict(WorkerCategory.choices)
    order = {branch: index for index, branch in enumerate(Branch.values)}
    return DeclarationReceipt(
        reference=declaration.reference,
        enterprise_name=enterprise.name,
        enterprise_number_display=enterprise.enterprise_number_display,
        period=declaration.period,
        version=declaration.version,
        status_label=str(dict(DeclarationStatus.choices).get(declaration.status, declaration.status)),
        channel_label=str(dict(Channel.choices).get(declaration.channel, declaration.channel)),
        submitted_at=declaration.submitted_at,
        line_count=declaration.line_count,
        total_wages=declaration.total_wages,
        totals=tuple(
            ReceiptBranchTotal(
                branch_label=str(branch_labels.get(branch, branch)),
                employee=Decimal(employee),
                employer=Decimal(employer),
            )
            for branch, (employee, employer) in sorted(
                declaration.totals.items(), key=lambda item: (order.get(item[0], len(order)), item[0])
            )
        ),
        warnings=tuple(
            ReceiptWarning(
                line_number=warning.line_number,
                code=warning.code,
                message=str(ANOMALY_MESSAGES.get(warning.code, warning.code)),
            )
            for warning in warnings
        ),
        lines=tuple(
            ReceiptLine(
                line_number=line.line_number,
                person_name=names.get(line.person_id, ""),
                worker_category_label=str(categories.get(line.worker_category, line.worker_category)),
                gross_wage=line.gross_wage,
                days_worked=line.days_worked,
                employee_amount=line.employee_amount,
                employer_amount=line.employer_amount,
            )
            for line in lines
        ),
    )


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


def upload_rejection_message(*, code: str) -> str:
    """The message of a declaration file's immediate rejection ``code``, with this
    installation's limits in it (for the API's documentation)."""
    from contributions.bulk import rejection  # the bulk package reads these selectors

    return str(rejection(code).message)
