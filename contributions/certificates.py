"""The employer's compliance certificate: a PDF attesting that the enterprise is up to date with
its declarations and contribution payments, registered as a verifiable document (its code and
QR code lead to the public verification page).

An enterprise is compliant on a day when nothing is overdue on its account and no declaration is
missing for a period whose due date passed during the last twelve months — a period needs one
when the enterprise employed someone during it (a hire not cancelled).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributions.account import account_summary
from contributions.documents import CertificateContent, compliance_certificate_pdf
from contributions.models import Declaration, DeclarationStatus, Employment
from contributions.policies import can_view_account
from contributions.reads import employed_during
from contributions.reminders import overdue_period
from core.actor import Actor
from core.documents import document_issue, verification_page_url, verification_url
from core.errors import DomainError, NotFound
from core.periods import Period
from core.types import DocumentKind, DocumentSubject
from identity.selectors import enterprise_summaries

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CERTIFICATE_VALIDITY_MONTHS = 6
# How far back missing declarations count: the periods whose due date passed in the last year.
COMPLIANCE_PERIODS = 12

CERTIFICATE_REFUSAL_MESSAGES: dict[str, StrOrPromise] = {
    "contributions_overdue": _(
        "The certificate cannot be issued: contributions are overdue on the enterprise's account. Pay them first."
    ),
    "declarations_missing": _("The certificate cannot be issued: monthly declarations are missing. File them first."),
}


@dataclass(frozen=True)
class ComplianceStatus:
    enterprise_id: int
    as_of: datetime.date
    overdue: Decimal
    missing_periods: tuple[str, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the enterprise is not compliant (codes of ``CERTIFICATE_REFUSAL_MESSAGES``)."""
        return (("contributions_overdue",) if self.overdue > 0 else ()) + (
            ("declarations_missing",) if self.missing_periods else ()
        )

    @property
    def compliant(self) -> bool:
        return not self.reasons


class CertificateRefused(DomainError):
    """The enterprise is not compliant: ``code`` is the first reason, ``status`` tells them all."""

    messages = CERTIFICATE_REFUSAL_MESSAGES

    def __init__(self, code: str, status: ComplianceStatus) -> None:
        super().__init__(code)
        self.status = status


def months_later(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the last day of that month when it is shorter
    (31 August + 6 months → 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _periods_due(today: datetime.date) -> list[Period]:
    """The periods whose declaration fell due during the last twelve months, latest first."""
    periods = [overdue_period(today=today, due_day=settings.DECLARATION_DUE_DAY)]
    while len(periods) < COMPLIANCE_PERIODS:
        periods.append(periods[-1].previous())
    return periods


def missing_declarations(*, enterprise_id: int, today: datetime.date) -> list[str]:
    """The periods of the last twelve due dates in which the enterprise employed someone but has
    no declaration in force, oldest first — two queries: one counting the employments of each
    period, one reading the declared periods."""
    periods = _periods_due(today)
    employed = Employment.objects.filter(enterprise_id=enterprise_id, cancelled_at__isnull=True).aggregate(
        **{str(period): Count("pk", filter=employed_during(period)) for period in periods}
    )
    declared = set(
        Declaration.objects.filter(
            enterprise_id=enterprise_id,
            status=DeclarationStatus.IN_FORCE,
            period__gte=str(periods[-1]),
            period__lte=str(periods[0]),
        ).values_list("period", flat=True)
    )
    return sorted(str(period) for period in periods if employed[str(period)] and str(period) not in declared)


def compliance_status(*, enterprise_id: int, today: datetime.date) -> ComplianceStatus:
    """Whether the enterprise is up to date on ``today`` and, if not, why: the overdue amount and
    the missing declarations — four queries whatever its history (the caller has checked who
    may see the enterprise's account)."""
    return ComplianceStatus(
        enterprise_id=enterprise_id,
        as_of=today,
        overdue=account_summary(enterprise_id=enterprise_id, today=today).overdue,
        missing_periods=tuple(missing_declarations(enterprise_id=enterprise_id, today=today)),
    )


def compliance_certificate_issue(
    *, actor: Actor, enterprise_id: int, language: str, now: datetime.datetime
) -> tuple[str, bytes]:
    """Issue the enterprise's compliance certificate, valid six months, in ``language``: returns
    its verification code and the PDF. Those who may see the enterprise's account, its viewers
    included, may ask for it (NotFound otherwise); CertificateRefused, with nothing registered, when the enterprise is
    not compliant. The document is registered, rendered with its code and QR code, and its
    SHA-256 recorded in one transaction: a failed rendering leaves no code that verifies."""
    today = timezone.localdate(now)
    if not can_view_account(actor=actor, enterprise_id=enterprise_id, on=today):
        raise NotFound
    status = compliance_status(enterprise_id=enterprise_id, today=today)
    if not status.compliant:
        raise CertificateRefused(status.reasons[0], status)
    summaries = enterprise_summaries(enterprise_ids=[enterprise_id])
    if not summaries:
        raise NotFound
    enterprise = summaries[0]
    valid_until = months_later(today, CERTIFICATE_VALIDITY_MONTHS)
    issued = document_issue(
        kind=DocumentKind.COMPLIANCE_CERTIFICATE,
        holder_name=enterprise.name,
        subject_type=DocumentSubject.ENTERPRISE,
        subject_id=enterprise_id,
        valid_until=valid_until,
        issued_by_id=actor.user_id,
        now=now,
        render=lambda code: (
            compliance_certificate_pdf(
                certificate=CertificateContent(
                    enterprise_name=enterprise.name,
                    enterprise_number_display=enterprise.enterprise_number_display,
                    as_of=today,
                    issued_at=now,
                    valid_until=valid_until,
                    code=code,
                    verification_page=verification_page_url(),
                    verification_url=verification_url(code),
                ),
                language=language,
            ).content
        ),
    )
    return issued.code, issued.content
