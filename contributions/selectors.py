"""What other apps read of contributions — dataclasses, never models.

- The contribution rates in force (``rates_in_force``, ``rates_for_period``).
- A person's employment history (``employment_list_for_person``) and an enterprise's register
  (``employment_list_for_enterprise``, ``active_employees``).
- A person's contribution record (``contribution_record``): month by month and per employer,
  the declared wage, days and employee contributions, and whether the employer paid; the name
  of what it is computed from (``contribution_record_version``, and
  ``contribution_record_versions`` for many persons in one query); and
  careers over a population (``insured_careers``), one query for any number of persons, for
  the benefit rules that need months of insurance and yearly wages.
- Declarations: the receipt of one (``declaration_receipt_get``), the enterprises that have not
  declared a period (``enterprises_without_declaration``), the message of a file's rejection.
- Figures for the back office and the operators, aggregates naming no one, each one statement
  whatever the volume: declarations filed on time per channel (``declaration_timeliness``),
  money received per month (``receipts_by_month``), reported problems by age
  (``discrepancy_ages``), bulk files processed and their time (``bulk_processing``), and the
  work not finished yet (``work_backlog``).

Callers check who may read what (``contributions.policies``) and record reads of someone
else's data; these functions do neither.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from contributions import record
from contributions.account import declaration_payment
from contributions.bulk import rejection
from contributions.careers import InsuredCareer as InsuredCareer
from contributions.careers import insured_careers as insured_careers
from contributions.figures import bulk_processing as bulk_processing
from contributions.figures import declaration_timeliness as declaration_timeliness
from contributions.figures import discrepancy_ages as discrepancy_ages
from contributions.figures import receipts_by_month as receipts_by_month
from contributions.figures import work_backlog as work_backlog
from contributions.models import (
    Channel,
    DeclarationStatus,
    Employment,
)
from contributions.reads import declaration_get, employed_during, employment_rows
from contributions.reads import enterprises_without_declaration as enterprises_without_declaration
from contributions.reads import rates_for_period as rates_for_period
from contributions.reads import rates_in_force as rates_in_force
from contributions.types import ANOMALY_MESSAGES, Branch, ContributionRecord, EmploymentRow, WorkerCategory
from core.periods import Period
from identity.selectors import enterprise_summaries, person_names


def employment_list_for_enterprise(*, enterprise_id: int) -> list[EmploymentRow]:
    """The enterprise's register, newest first (the caller has checked who may see it)."""
    return employment_rows(
        employments=list(Employment.objects.filter(enterprise_id=enterprise_id).order_by("-start_date", "-pk"))
    )


def employment_list_for_person(*, person_id: int) -> list[EmploymentRow]:
    """A person's current and past employers, not counting cancelled hires."""
    return employment_rows(
        employments=list(
            Employment.objects.filter(person_id=person_id, cancelled_at__isnull=True).order_by("-start_date", "-pk")
        )
    )


def active_employees(*, enterprise_id: int, period: Period) -> list[EmploymentRow]:
    """Who worked for the enterprise during the period (to prefill the declaration form)."""
    return employment_rows(
        employments=list(Employment.objects.filter(employed_during(period), enterprise_id=enterprise_id).order_by("pk"))
    )


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
    # Paying it (contributions.account.declaration_payment): what this version posted to the
    # account (None: nothing), the period's payment reference and the date it is due by.
    posted: Decimal | None
    payment_reference: str
    payment_due_on: datetime.date

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
    """The receipt of one of the enterprise's declarations (LookupError for any other), with
    what to pay, in six queries whatever its number of lines (the caller has checked who may see
    it)."""
    declaration, lines, warnings = declaration_get(enterprise_id=enterprise_id, declaration_id=declaration_id)
    payment = declaration_payment(enterprise_id=enterprise_id, declaration_id=declaration_id, period=declaration.period)
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
        posted=payment.posted,
        payment_reference=payment.payment_reference,
        payment_due_on=payment.due_on,
    )


def upload_rejection_message(*, code: str) -> str:
    """The message of a declaration file's immediate rejection ``code``, with this
    installation's limits in it (for the API's documentation)."""
    return str(rejection(code).message)


def contribution_record(*, person_id: int, today: datetime.date) -> ContributionRecord:
    """A person's contribution record as of ``today``: one ``RecordMonth`` per (month, employer)
    the person was declared or, by the employment register, worked — newest first — with its
    period (``YYYY-MM``), the employer, and for a declared month the gross wage, days worked and
    employee contributions of the declaration in force (``None`` for a month worked and not
    declared); its ``status`` is a ``RecordStatus``: paid, declared with nothing due, not yet
    due, declared and not paid, or worked and not declared (only once the month's payment is
    due); a year's ``months_paid`` counts the months every employer settled. ``years`` sums each
    calendar year. Replaced declarations count by their version in force only; a bulk file's
    declarations count once the whole file is accepted. Cached, never stale."""
    return record.contribution_record(person_id=person_id, today=today)


def contribution_record_version(*, person_id: int, today: datetime.date) -> str:
    """A name of everything the person's record (and so their insured career) is computed from,
    in one query: it changes whenever a declaration, a correction or a payment would change
    them. Benefits key their cached estimates on it."""
    return record.contribution_record_source(person_id=person_id, today=today).key


def contribution_record_versions(*, person_ids: Sequence[int], today: datetime.date) -> dict[int, str]:
    """``contribution_record_version`` of each of these persons — the same string, to compare
    with one stored — in one query whatever their number (a person with no record included)."""
    return record.contribution_record_keys(person_ids=person_ids, today=today)
