"""The contributions app's data and invariants, one module per part of the domain."""

from contributions.models.account import (
    INTEREST_CORRECTION_SOURCE,
    Allocation,
    EntryKind,
    LedgerEntry,
    Payment,
    PaymentStatus,
    RefundRequest,
    RefundStatus,
)
from contributions.models.bank import BankStatementImport, BankTransaction, BankTransactionStatus
from contributions.models.bulk import BulkAnomaly, BulkChunk, BulkTotal, BulkUpload, ChunkStatus, UploadStatus
from contributions.models.declarations import (
    TO_COUNT,
    Channel,
    Declaration,
    DeclarationLine,
    DeclarationReminder,
    DeclarationStatus,
    DeclarationWarning,
    InsuredYear,
)
from contributions.models.discrepancies import (
    DISCREPANCY_TO_HANDLE,
    DiscrepancyOutcome,
    DiscrepancyReport,
    DiscrepancyStatus,
    DiscrepancyStep,
    DiscrepancyStepKind,
)
from contributions.models.employment import Employment, EmploymentEvent, EmploymentEventKind

# _DateRange is named by the migrations of the exclusion constraints.
from contributions.models.rates import ContributionRate, LateInterestRate, _DateRange
from contributions.models.statements import StatementRequest, StatementStatus

__all__ = [
    "DISCREPANCY_TO_HANDLE",
    "INTEREST_CORRECTION_SOURCE",
    "TO_COUNT",
    "Allocation",
    "BankStatementImport",
    "BankTransaction",
    "BankTransactionStatus",
    "BulkAnomaly",
    "BulkChunk",
    "BulkTotal",
    "BulkUpload",
    "Channel",
    "ChunkStatus",
    "ContributionRate",
    "Declaration",
    "DeclarationLine",
    "DeclarationReminder",
    "DeclarationStatus",
    "DeclarationWarning",
    "DiscrepancyOutcome",
    "DiscrepancyReport",
    "DiscrepancyStatus",
    "DiscrepancyStep",
    "DiscrepancyStepKind",
    "Employment",
    "EmploymentEvent",
    "EmploymentEventKind",
    "EntryKind",
    "InsuredYear",
    "LateInterestRate",
    "LedgerEntry",
    "Payment",
    "PaymentStatus",
    "RefundRequest",
    "RefundStatus",
    "StatementRequest",
    "StatementStatus",
    "UploadStatus",
    "_DateRange",
]
