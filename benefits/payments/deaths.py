"""A death recorded in the registry (by staff today, by the civil registry's events later):
the person's entitlements end with the month of death, payments not yet in a written bank file
are stopped, those in a file the bank has are recalled before their payment date (``recalls``),
and what was paid for months after the death is asked back from the estate — a sum to recover,
with a verifiable letter to post and a reference to quote.

Set-based and safe to run again: the nightly job runs it for the whole registry, and every run
preparation runs it first, so that a death recorded in the afternoon is never paid that evening.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation

from benefits.models import Payment, RecallStatus, Recovery, RecoveryKind
from benefits.payments.recalls import recalls_request
from benefits.payments.wording import months_label, scheme_titles
from benefits.registry_table import PERSON_TABLE
from benefits.wording import day, euros
from core.documents import document_issue, pdf_render, qr_code_data_uri, verification_page_url, verification_url
from core.types import DocumentKind, DocumentSubject
from identity.selectors import person_summaries

_PERSON = PERSON_TABLE

# The last day of the month of death.
_END = "(date_trunc('month', person.death_date) + interval '1 month' - interval '1 day')::date"

_END_ENTITLEMENTS = f"""
UPDATE benefits_entitlement e
SET end_on = CASE WHEN {_END} >= e.start_on THEN {_END} ELSE e.end_on END,
    state = CASE WHEN {_END} >= e.start_on THEN e.state ELSE 'ended' END
FROM {_PERSON} person
WHERE person.id = e.person_id AND person.death_date IS NOT NULL
  AND e.ended_at IS NULL AND e.state <> 'ended'
  AND (e.end_on IS NULL OR e.end_on > {_END})
"""  # noqa: S608

# A payment not in a written file yet covering a month after the death: stopped (its months up
# to the death are paid by the next run, to the estate's account on file).
_STOP = f"""
UPDATE benefits_payment p SET status = 'stopped', rejection_code = 'DEATH'
FROM {_PERSON} person, benefits_paymentrun run
WHERE person.id = p.person_id AND person.death_date IS NOT NULL AND run.id = p.run_id
  AND p.status = 'pending' AND upper(p.months) > ({_END} + 1)
  AND run.status IN ('prepared', 'submitted', 'approved')
  AND NOT EXISTS (SELECT 1 FROM benefits_paymentfile f
                  WHERE f.run_id = p.run_id AND p.id BETWEEN f.first_payment_id AND f.last_payment_id
                    AND f.content IS NOT NULL)
"""  # noqa: S608

# Paid, or in a file the bank has: the months after the death, each at its amount in force.
_OVERPAID = f"""
SELECT p.id, p.person_id, p.entitlement_id, person.death_date,
       ({_END} + 1) AS first_undue, upper(p.months) AS until,
       (SELECT sum(in_force.amount)
        FROM generate_series(GREATEST(lower(p.months), {_END} + 1), upper(p.months) - interval '1 month',
                             interval '1 month') AS month
        CROSS JOIN LATERAL (
            SELECT a.amount FROM benefits_entitlementamount a
            WHERE a.entitlement_id = p.entitlement_id AND a.since < month + interval '1 month'
            ORDER BY a.since DESC LIMIT 1
        ) AS in_force) AS undue,
       p.amount
FROM benefits_payment p
JOIN {_PERSON} person ON person.id = p.person_id AND person.death_date IS NOT NULL
JOIN benefits_paymentrun run ON run.id = p.run_id
WHERE upper(p.months) > ({_END} + 1)
  AND (p.status = 'paid' OR (p.status = 'pending' AND (run.status = 'exported' OR EXISTS (
        SELECT 1 FROM benefits_paymentfile f
        WHERE f.run_id = p.run_id AND p.id BETWEEN f.first_payment_id AND f.last_payment_id
          AND f.content IS NOT NULL))))
  AND NOT EXISTS (SELECT 1 FROM benefits_recovery r WHERE r.payment_id = p.id AND r.kind = %(kind)s)
  -- Recalled from the bank: asked of the estate only if the recall fails.
  AND NOT EXISTS (SELECT 1 FROM benefits_paymentrecall recall
                  WHERE recall.payment_id = p.id AND recall.status <> %(refused)s)
"""  # noqa: S608


@dataclass(frozen=True)
class DeathsApplied:
    entitlements_ended: int
    payments_stopped: int
    recalls: int
    recoveries: int


def deaths_apply(*, now: datetime.datetime) -> DeathsApplied:
    """Apply every death in the registry to the benefits in payment (see the module)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_END_ENTITLEMENTS)
        ended = cursor.rowcount
        cursor.execute(_STOP)
        stopped = cursor.rowcount
        recalled = recalls_request(now=now)
        cursor.execute(_OVERPAID, {"kind": RecoveryKind.AFTER_DEATH, "refused": RecallStatus.REFUSED})
        overpaid = cursor.fetchall()
        for payment_id, person_id, entitlement_id, death_date, first_undue, until, undue, paid in overpaid:
            amount = min(Decimal(undue or 0), Decimal(paid))
            if amount <= 0:
                continue
            recovery = Recovery.objects.create(
                person_id=person_id,
                entitlement_id=entitlement_id,
                kind=RecoveryKind.AFTER_DEATH,
                payment_id=payment_id,
                reason=f"Paid for {first_undue:%Y-%m} to {until:%Y-%m} (excluded) after the death on {death_date}",
                amount=amount,
                outstanding=amount,
                created_at=now,
            )
            recovery.reference = f"REC-{now:%Y}-{recovery.pk:06d}"
            _estate_letter(recovery, death_date=death_date, first_undue=first_undue, until=until, now=now)
            recovery.save(update_fields=["reference", "letter", "letter_document_id"])
    return DeathsApplied(entitlements_ended=ended, payments_stopped=stopped, recalls=recalled, recoveries=len(overpaid))


def _estate_letter(
    recovery: Recovery,
    *,
    death_date: datetime.date,
    first_undue: datetime.date,
    until: datetime.date,
    now: datetime.datetime,
) -> None:
    """The letter to the estate, in the institution's language: what was paid after the death,
    for which months, and how to pay it back."""
    language = settings.LANGUAGE_CODE[:2]
    person = person_summaries(person_ids=[recovery.person_id])[recovery.person_id]
    payment = Payment.objects.select_related("run").get(pk=recovery.payment_id or 0)

    def render(code: str) -> bytes:
        with translation.override(language):
            context: dict[str, Any] = {
                "recovery": recovery,
                "deceased": person.full_name,
                "address": person,
                "death_date": day(death_date),
                "title": scheme_titles().get(payment.scheme, payment.scheme),
                "months": months_label(first_undue, until),
                "paid_on": day(payment.run.pay_on),
                "amount": euros(recovery.amount),
                "iban": settings.INSTITUTION_IBAN,
                "bic": settings.INSTITUTION_BIC,
                "institution": settings.INSTITUTION_NAME,
                "written": now,
                "code": code,
                "verification_page": verification_page_url(),
                "qr_code": qr_code_data_uri(verification_url(code)),
            }
        return pdf_render(template="benefits/recovery_letter_pdf.html", context=context, language=language)

    issued = document_issue(
        kind=DocumentKind.RECOVERY_LETTER,
        holder_name=f"{person.full_name}",
        subject_type=DocumentSubject.PERSON,
        subject_id=recovery.person_id,
        valid_until=None,
        issued_by_id=None,
        now=now,
        render=render,
    )
    recovery.letter = issued.content
    recovery.letter_document_id = issued.document_id
