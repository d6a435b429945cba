"""PDF documents of the contributions app, rendered by WeasyPrint from Django templates."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import formats, translation

from contributions.selectors import declaration_receipt_get
from contributions.types import RecordStatus
from core.documents import pdf_render, qr_code_data_uri

if TYPE_CHECKING:
    from contributions.types import RecordMonth, RecordYear

# A PDF is rendered in the request (about 1 s for a page of lines): the receipt of a large
# declaration lists its first lines only; every line is on the receipt page and in the API.
RECEIPT_PDF_MAX_LINES = 200


@dataclass(frozen=True)
class Pdf:
    filename: str
    content: bytes


def declaration_receipt_pdf(*, enterprise_id: int, declaration_id: int, language: str) -> Pdf:
    """The receipt of one of the enterprise's declarations as an A4 PDF in ``language``
    (LookupError for a declaration of another enterprise; the caller has checked who may see it)."""
    with translation.override(language):
        receipt = declaration_receipt_get(enterprise_id=enterprise_id, declaration_id=declaration_id)
    content = pdf_render(
        template="contributions/receipt_pdf.html",
        context={
            "receipt": receipt,
            "lines": receipt.lines[:RECEIPT_PDF_MAX_LINES],
            "lines_left_out": len(receipt.lines) > RECEIPT_PDF_MAX_LINES,
        },
        language=language,
    )
    return Pdf(filename=f"{receipt.reference}.pdf", content=content)


@dataclass(frozen=True)
class CertificateContent:
    """What the compliance certificate says (contributions.certificates decides it)."""

    enterprise_name: str
    enterprise_number_display: str
    as_of: datetime.date
    issued_at: datetime.datetime
    valid_until: datetime.date
    code: str
    verification_page: str
    verification_url: str


def compliance_certificate_pdf(*, certificate: CertificateContent, language: str) -> Pdf:
    """The compliance certificate as an A4 PDF in ``language``, with its verification code in
    text and as a QR code of the verification address."""
    content = pdf_render(
        template="contributions/certificate_pdf.html",
        context={"certificate": certificate, "qr_code": qr_code_data_uri(certificate.verification_url)},
        language=language,
    )
    with translation.override(language):
        # Translators: a file name: no spaces, no accents.
        filename = translation.gettext("compliance-certificate-%(date)s.pdf") % {"date": certificate.as_of.isoformat()}
    return Pdf(filename=filename, content=content)


@dataclass(frozen=True)
class StatementContent:
    """What the contribution statement says (contributions.statements decides it): the years
    and the months of the range, oldest first."""

    person_name: str
    national_number_display: str
    issued_at: datetime.datetime
    year_from: int
    year_to: int
    years: tuple[RecordYear, ...]
    months: tuple[RecordMonth, ...]
    code: str
    verification_page: str
    verification_url: str


# The statuses a statement singles out: the register's word, which the employer may still change.
STATEMENT_FLAGGED_STATUSES = frozenset({RecordStatus.NOT_DECLARED, RecordStatus.DECLARED_NOT_PAID})


def _amount(value: Decimal | None) -> str:
    """An amount with two decimals, grouped, in the active language ("1 234,50", "1,234.50")."""
    return "—" if value is None else formats.number_format(value, 2, use_l10n=True, force_grouping=True)


def contribution_statement_pdf(*, statement: StatementContent, language: str) -> Pdf:
    """The contribution statement as an A4 PDF in ``language``: a summary per year, then each
    year's months per employer, and the verification code in text and as a QR code. No query:
    every cell is formatted here, once, and the template only places strings (one pass over the
    months, no lookup per row); WeasyPrint's layout is the cost, about a hundred rows a second
    (forty years of one employer, 480 rows on 20 pages, in about five seconds)."""
    with translation.override(language):
        labels = {code: str(label) for code, label in RecordStatus.choices}
        months_by_year: dict[int, list[tuple[str, str, str, str, str, str, bool]]] = {}
        for month in statement.months:
            months_by_year.setdefault(int(month.period[:4]), []).append(
                (
                    month.period,
                    month.enterprise_name,
                    _amount(month.gross_wage),
                    "—" if month.days_worked is None else str(month.days_worked),
                    _amount(month.employee_contributions),
                    labels[month.status],
                    month.status in STATEMENT_FLAGGED_STATUSES,
                )
            )
        summary = [
            (
                row.year,
                row.months_declared,
                row.months_paid,
                row.gaps,
                _amount(row.total_wages),
                _amount(row.employee_contributions),
            )
            for row in statement.years
        ]
        totals = (
            sum(row.months_declared for row in statement.years),
            sum(row.months_paid for row in statement.years),
            sum(row.gaps for row in statement.years),
            _amount(sum((row.total_wages for row in statement.years), Decimal("0.00"))),
            _amount(sum((row.employee_contributions for row in statement.years), Decimal("0.00"))),
        )
    content = pdf_render(
        template="contributions/statement_pdf.html",
        context={
            "statement": statement,
            "summary": summary,
            "totals": totals,
            "months_by_year": list(months_by_year.items()),
            "not_declared_label": labels[RecordStatus.NOT_DECLARED],
            "declared_not_paid_label": labels[RecordStatus.DECLARED_NOT_PAID],
            "qr_code": qr_code_data_uri(statement.verification_url),
        },
        language=language,
    )
    with translation.override(language):
        # Translators: a file name: no spaces, no accents.
        filename = translation.gettext("contribution-statement-%(code)s.pdf") % {"code": statement.code[:4]}
    return Pdf(filename=filename, content=content)
