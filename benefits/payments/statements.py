"""The yearly statement of benefits paid, for the tax return: a verifiable PDF (core.documents)
of what the bank paid the person in a calendar year — per payment its date, benefit, months,
gross and what was kept back to recover, then the totals per benefit."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.db.models.functions import ExtractYear
from django.utils import translation

from benefits.models import Payment, PaymentStatus
from benefits.payments.wording import months_label, scheme_titles
from benefits.policies import can_view_entitlements
from benefits.types import PaymentRefused
from benefits.wording import euros
from core.actor import Actor
from core.audit import file_view_record
from core.documents import document_issue, pdf_render, qr_code_data_uri, verification_page_url, verification_url
from core.errors import NotFound
from core.periods import FIRST_YEAR, LAST_YEAR
from core.types import DocumentKind, DocumentSubject
from identity.selectors import person_summaries


def statement_years(*, person_id: int) -> list[int]:
    """The years in which the person was paid, newest first."""
    return list(
        Payment.objects.filter(person_id=person_id, status=PaymentStatus.PAID)
        .annotate(year=ExtractYear("run__pay_on"))
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )


@dataclass(frozen=True)
class StatementLine:
    paid_on: datetime.date
    title: str
    months: str
    gross: str
    recovered: str
    amount: str


def payment_statement_issue(*, actor: Actor, person_id: int, year: int, language: str, now: datetime.datetime) -> bytes:
    """The statement of ``year`` for the person (or a proxy allowed to view the file; the
    reading is in the person's trail). Refused for a year without a payment."""
    if not can_view_entitlements(actor=actor, person_id=person_id):
        raise NotFound
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PaymentRefused("year_invalid")
    payments = list(
        Payment.objects.filter(person_id=person_id, status=PaymentStatus.PAID, run__pay_on__year=year)
        .select_related("run")
        .order_by("run__pay_on", "pk")
    )
    if not payments:
        raise PaymentRefused("no_payment_in_year", params={"year": year})
    file_view_record(actor=actor, subject_person_id=person_id, what="payment statement", now=now)
    person = person_summaries(person_ids=[person_id])[person_id]
    totals = (
        Payment.objects.filter(person_id=person_id, status=PaymentStatus.PAID, run__pay_on__year=year)
        .values("scheme")
        .annotate(gross=Sum("gross"), recovered=Sum("recovered"), amount=Sum("amount"))
        .order_by("scheme")
    )

    def render(code: str) -> bytes:
        with translation.override(language):
            titles = scheme_titles()
            context: dict[str, Any] = {
                "year": year,
                "holder": person.full_name,
                "national_number": person.national_number_display,
                "lines": [
                    StatementLine(
                        paid_on=payment.run.pay_on,
                        title=titles.get(payment.scheme, payment.scheme),
                        months=months_label(payment.months.lower, payment.months.upper),
                        gross=euros(payment.gross),
                        recovered=euros(payment.recovered) if payment.recovered else "",
                        amount=euros(payment.amount),
                    )
                    for payment in payments
                ],
                "totals": [
                    {
                        "title": titles.get(total["scheme"], total["scheme"]),
                        "gross": euros(total["gross"]),
                        "recovered": euros(total["recovered"]),
                        "amount": euros(total["amount"]),
                    }
                    for total in totals
                ],
                "total": euros(sum((payment.amount for payment in payments), Decimal(0))),
                "issued": now,
                "code": code,
                "verification_page": verification_page_url(),
                "qr_code": qr_code_data_uri(verification_url(code)),
            }
        return pdf_render(template="benefits/payment_statement_pdf.html", context=context, language=language)

    return document_issue(
        kind=DocumentKind.PAYMENT_STATEMENT,
        holder_name=person.full_name,
        subject_type=DocumentSubject.PERSON,
        subject_id=person_id,
        valid_until=None,
        issued_by_id=actor.user_id,
        now=now,
        render=render,
    ).content
