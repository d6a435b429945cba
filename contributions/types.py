"""What the contributions app hands to other apps: branches, categories, rates, amounts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

if TYPE_CHECKING:
    pass


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


# Why a hire, termination, correction or cancellation is refused: stable codes, FR/EN messages.
# (A malformed national number is refused with the ``national_number_*`` codes of declarations.)
EMPLOYMENT_ERROR_MESSAGES = {
    "worker_category": _("Choose a worker category from the list."),
    "start_in_past": _("A hire is declared before the first day of work, not after."),
    "person_unknown": _("No one in the national register has this number."),
    "person_deceased": _("The national register records this person as deceased."),
    "overlap": _("This person already works for the enterprise over that period."),
    "already_ended": _("The end of this employment is already declared."),
    "end_before_start": _("The last day cannot come before the first day of work."),
    "already_started": _("Work has started: declare the last day of work instead of cancelling."),
    "end_date": _("Enter the last day of work."),
    "date_too_far": _("This date is more than a year from today: check the year."),
    "date_too_old": _("This date is more than ten years ago: check the year, or call us for older records."),
}


class EmploymentError(DomainError):
    """A refused hire, termination or correction; ``message`` is for people, in their language."""

    messages = EMPLOYMENT_ERROR_MESSAGES


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


class Severity(models.TextChoices):
    ERROR = "error", _("blocking error")
    WARNING = "warning", _("warning")


# Every anomaly has a stable code (for payroll software) and a message in French and English.
ANOMALY_MESSAGES = {
    "period_format": _("The period must be written YYYY-MM."),
    "period_future": _("This period has not ended yet: it cannot be declared."),
    "period_declared": _("This period is already declared: send a replacing declaration instead."),
    "nothing_to_replace": _("There is no declaration of this period to replace."),
    "no_lines": _("A declaration needs at least one employee line."),
    "national_number_checksum": _("The check digits of the national number do not match."),
    "national_number_length": _("The national number does not have the right length."),
    "national_number_format": _("The national number is not valid."),
    "national_number_invalid": _("The national number is not valid."),
    "national_number_required": _("The national number is missing."),
    "person_unknown": _("No one in the national register has this number."),
    "person_deceased": _("The national register records this person as deceased before the period."),
    "line_duplicate": _("This employee already has a line in the declaration."),
    "category_unknown": _("Unknown worker category."),
    "wage_invalid": _("The gross wage must be an amount with at most two decimals."),
    "wage_negative": _("The gross wage cannot be negative."),
    "wage_too_large": _("The gross wage is too large: at most 9,999,999.99 a month."),
    "days_invalid": _("The days worked must be a whole number."),
    "days_outside_month": _("The days worked must be between 0 and the number of days of the month."),
    "rates_missing": _("No contribution rate is in force for this category and period."),
    "not_hired": _("This employee is not registered as hired by the enterprise during the period."),
    "wage_deviation": _("This wage is far from the employee's wages of the previous months."),
    # Lines of bulk files (each line names its employer and period).
    "columns_count": _("This line does not have the eight columns of the header."),
    "line_encoding": _("This line is not UTF-8 text."),
    "employer_number_invalid": _("This employer number is not valid (format or check digits)."),
    "employer_unknown": _("No enterprise is registered under this employer number."),
    "employer_not_allowed": _(
        "You may not declare for this employer: you hold no declaring role for it and no mandate in force to declare for it."
    ),
}

# Why a bulk file is refused as soon as it arrives (nothing is kept of it).
UPLOAD_ERROR_MESSAGES = {
    "no_file": _("Choose the file to send."),
    "too_large": _("The file is larger than the limit of %(limit)s."),
    "not_csv": _("This is not a CSV text file encoded in UTF-8."),
    "header": _("The first row must be the header, with these columns in this order: %(columns)s."),
    "empty": _("The file has a header but no line to declare."),
    "too_many_lines": _("The file has more than %(limit)s lines: split it into several files."),
    "too_many_uploads": _(
        "%(limit)s of your files are still being processed: send this one when one of them is finished."
    ),
}


@dataclass(frozen=True)
class Anomaly:
    code: str
    severity: str
    line_number: int | None = None
    field: str = ""

    @property
    def message(self) -> str:
        return str(ANOMALY_MESSAGES[self.code])


class LineInput(NamedTuple):
    """One employee line as received from any channel (strings from forms, files and APIs); a
    tuple, as a bulk file makes a million of them."""

    national_number: str
    worker_category: str
    gross_wage: str
    days_worked: str


@dataclass(frozen=True)
class SubmissionResult:
    accepted: bool
    anomalies: tuple[Anomaly, ...]
    declaration_id: int | None = None
    reference: str = ""

    @property
    def errors(self) -> tuple[Anomaly, ...]:
        return tuple(a for a in self.anomalies if a.severity == Severity.ERROR)

    @property
    def warnings(self) -> tuple[Anomaly, ...]:
        return tuple(a for a in self.anomalies if a.severity == Severity.WARNING)


PAYMENT_ERROR_MESSAGES = {
    "amount_invalid": _("Enter an amount in euros, greater than zero, with at most two decimals."),
    "provider_unavailable": _(
        "The payment service cannot be reached just now. Nothing was charged: try again in a few minutes."
    ),
}


class PaymentError(DomainError):
    messages = PAYMENT_ERROR_MESSAGES


class RecordMonth(NamedTuple):  # a tuple: forty years of them are cached and read back fast
    period: str
    enterprise_id: int
    enterprise_name: str
    gross_wage: Decimal | None
    days_worked: int | None
    employee_contributions: Decimal | None
    status: str  # a RecordStatus

    @property
    def is_gap(self) -> bool:
        return self.status == RecordStatus.NOT_DECLARED


class RecordYear(NamedTuple):
    year: int
    months_declared: int
    months_paid: int
    gaps: int
    total_wages: Decimal
    employee_contributions: Decimal


class RecordReport(NamedTuple):
    """Where the person's latest report of a month stands (a DiscrepancyStatus and, once
    decided, a DiscrepancyOutcome)."""

    report_id: int
    status: str
    outcome: str


@dataclass(frozen=True)
class ContributionRecord:
    """A person's contribution record: its months newest first, a summary per year."""

    months: list[RecordMonth] = field(default_factory=list)
    years: list[RecordYear] = field(default_factory=list)
    # The person's latest case for each (employer, period) they reported wrong.
    reports: dict[tuple[int, str], RecordReport] = field(default_factory=dict)

    def of_year(self, year: int) -> list[RecordMonth]:
        prefix = f"{year:04d}-"
        return [month for month in self.months if month.period.startswith(prefix)]


class PeriodPaymentStatus(models.TextChoices):
    PAID = "paid", _("paid")
    NOT_YET_DUE = "not_yet_due", _("not yet due")
    OVERDUE = "overdue", _("overdue")


class RecordStatus(models.TextChoices):
    """A month of a person's contribution record, for one employer."""

    PAID = "paid", _("declared and paid")
    # A declaration in force that owes nothing (its contributions total zero): nothing to pay.
    NOTHING_DUE = "nothing_due", _("declared, nothing due")
    NOT_YET_DUE = "not_yet_due", _("not yet due")
    DECLARED_NOT_PAID = "declared_not_paid", _("declared, not paid by the employer")
    NOT_DECLARED = "not_declared", _("worked, not declared by the employer")


# Why a bank statement is refused, or a staff decision on a bank transfer: stable codes, FR/EN messages.
BANK_STATEMENT_ERROR_MESSAGES = {
    "too_large": _("The file is too large for a bank statement."),
    "not_xml": _("The file is not an XML document."),
    "unsafe_xml": _("The file contains XML declarations (DTD or entities) that a bank statement never has."),
    "not_camt053": _("The file is not a camt.053 bank statement (ISO 20022 BankToCustomerStatement)."),
    "no_statement": _("The file contains no statement."),
    "no_account": _("A statement does not name its account."),
    "several_accounts": _("The file holds statements of several accounts: import one account per file."),
    "amount_invalid": _("An amount in the statement is missing or malformed."),
    "date_invalid": _("A date in the statement is missing or malformed."),
    "already_imported": _("This file has already been imported: nothing was changed."),
    "not_open": _("This transfer has already been handled."),
    "enterprise_unknown": _("No enterprise has this number."),
    "reference_invalid": _("This is not a valid structured reference (RF followed by two check digits)."),
    "reference_other_enterprise": _("This structured reference is not one of this enterprise's."),
    "currency": _("A transfer in another currency than the euro cannot be credited: mark it for refund."),
    "note_required": _("Say why the transfer is to be refunded."),
}


class BankStatementError(DomainError):
    """A refused statement or staff decision; ``detail`` says where (an entry, a value)."""

    messages = BANK_STATEMENT_ERROR_MESSAGES

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.detail = detail


DISCREPANCY_ERROR_MESSAGES = {
    "message_required": _("Say what is wrong with this month."),
    "message_too_long": _("Keep the message under 2,000 characters."),
    "too_many_today": _(
        "You have reported many months today: the staff will look at those first. Report this one tomorrow, or call us."
    ),
    "outcome_required": _("Choose the outcome of the case."),
    "reason_required": _("Give the reason: the person and the employer read it."),
    "reason_too_long": _("Keep the reason under 2,000 characters."),
    "already_decided": _("This case has already moved on (someone else decided it meanwhile): read it again."),
}


@dataclass(frozen=True)
class DiscrepancyCaseStep:
    """A step of a case, as the person reads it: what happened, when, and why."""

    kind: str  # a DiscrepancyStepKind
    label: str
    at: datetime.datetime
    reason: str


@dataclass(frozen=True)
class DiscrepancyCase:
    """A reported problem, as the person (or their proxy) reads it."""

    report_id: int
    period: str
    enterprise_name: str
    message: str
    reported_at: datetime.datetime
    status: str  # a DiscrepancyStatus
    status_label: str
    outcome: str
    steps: tuple[DiscrepancyCaseStep, ...]


class DiscrepancyError(DomainError):
    messages = DISCREPANCY_ERROR_MESSAGES


REFUND_ERROR_MESSAGES = {
    "level_too_low": _("Sign in with your second factor (two-factor authentication) to ask for a refund."),
    "iban_invalid": _("This IBAN is not valid: check it on the enterprise's bank statement."),
    "holder_required": _("Enter the name of the account holder."),
    "holder_too_long": _("Keep the account holder's name under 140 characters."),
    "no_credit": _("There is no credit to refund: the enterprise has not paid more than its debts."),
    "credit_changed": _(
        "The credit has changed since the page was shown (a payment or a debt arrived): check it and ask again."
    ),
    "already_waiting": _("A refund request is already waiting: the institution answers it first."),
    "reason_required": _("Give the reason of the refusal: the enterprise reads it."),
    "reason_too_long": _("Keep the reason under 2,000 characters."),
    "already_decided": _("This request has already been decided (someone else did it meanwhile): read it again."),
    "credit_too_small": _(
        "The enterprise's credit no longer covers this refund (debts took part of it since): refuse the request, "
        "the enterprise can ask again for what is left."
    ),
}


class RefundError(DomainError):
    messages = REFUND_ERROR_MESSAGES


# --- Figures for the back office and the operators (aggregates only: no one is named) -------


@dataclass(frozen=True)
class ChannelFilings:
    """The first declarations of a period filed through one channel (``form``, ``api``,
    ``file``; replacements not counted), and how many of them by the due date."""

    channel: str
    filed: int
    on_time: int


@dataclass(frozen=True)
class PeriodFilings:
    """The filings of a period per channel (every channel, in the order form, API, file), and
    its due date (``DECLARATION_DUE_DAY`` of the next month: filed that day is on time)."""

    period: str
    due_on: datetime.date
    channels: tuple[ChannelFilings, ...]


@dataclass(frozen=True)
class MonthlyReceipts:
    """Money received in a calendar month (``YYYY-MM``): online payments that succeeded, and bank
    transfers credited to an enterprise (matched by their reference or assigned by staff)."""

    month: str
    online_count: int
    online_amount: Decimal
    transfer_count: int
    transfer_amount: Decimal


@dataclass(frozen=True)
class DiscrepancyAges:
    """Problems reported on contribution records still open, by how long they have been open,
    and those handled in the last 30 days."""

    open_under_7_days: int
    open_7_to_30_days: int
    open_over_30_days: int
    handled_last_30_days: int


@dataclass(frozen=True)
class BulkProcessing:
    """Declaration files finished since a moment: accepted, rejected, their lines, and the time
    from receipt to report (median, 95th percentile, longest; None when none finished)."""

    accepted: int
    rejected: int
    lines: int
    median_seconds: float | None
    p95_seconds: float | None
    longest_seconds: float | None


@dataclass(frozen=True)
class WorkBacklog:
    """Background work of contributions not done yet: bulk files and their chunks, contribution
    statements to render (with when the oldest was queued), online payments waiting for their
    provider, bank transfers and reported problems waiting for staff."""

    bulk_uploads_unfinished: int
    bulk_chunks_pending: int
    bulk_oldest_queued_at: datetime.datetime | None
    statements_pending: int
    statements_oldest_queued_at: datetime.datetime | None
    payments_pending: int
    bank_transfers_to_handle: int
    discrepancies_open: int
