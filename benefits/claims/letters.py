"""The claim's documents, issued with a verification code (``core.documents``): the receipt of
a claim filed, and the letter of a decision — in the claimant's language, saying the amount and
from when, how it was computed in plain words, the reasons and their legal basis, and the right
to appeal with its deadline."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import translation

from benefits.catalogue import SchemeDescription
from benefits.claims.computation import conditions_of, fact_of
from benefits.models import Claim, Decision, DecisionKind, DecisionOutcome
from benefits.models.schemes import ComposedScheme, Periodicity
from benefits.wording import day, euros, reasons
from core.documents import document_issue, pdf_render, qr_code_data_uri, verification_page_url, verification_url
from core.types import DocumentKind, DocumentSubject
from identity.selectors import contact_map, person_summaries, user_ids_for_person


@dataclass(frozen=True)
class Issued:
    document_id: int
    content: bytes
    language: str


def _title(scheme: SchemeDescription | ComposedScheme) -> str:
    if isinstance(scheme, ComposedScheme):
        return scheme.title_fr if (translation.get_language() or "fr").startswith("fr") else scheme.title_en
    return str(scheme.title)


def claimant_language(claim: Claim) -> str:
    """The claimant's language: their account's, else the one the claim was filed in."""
    users = user_ids_for_person(person_id=claim.person_id)
    contacts = contact_map(user_ids=users[:1]) if users else {}
    language = next((contact.language for contact in contacts.values() if contact.language), "")
    return language if language in ("fr", "en") else (claim.language if claim.language in ("fr", "en") else "fr")


def _holder(claim: Claim) -> str:
    persons = person_summaries(person_ids=[claim.person_id])
    return persons[claim.person_id].full_name if claim.person_id in persons else ""


def _issue(
    kind: str,
    claim: Claim,
    holder: str,
    language: str,
    *,
    issued_by_id: int | None,
    now: datetime.datetime,
    render: Callable[[str], bytes],
) -> Issued:
    """Registered with a verification code about the claimant (core.documents), never expiring."""
    issued = document_issue(
        kind=kind,
        holder_name=holder,
        subject_type=DocumentSubject.PERSON,
        subject_id=claim.person_id,
        valid_until=None,
        issued_by_id=issued_by_id,
        now=now,
        render=render,
    )
    return Issued(document_id=issued.document_id, content=issued.content, language=language)


def receipt_issue(
    *, claim: Claim, scheme: SchemeDescription | ComposedScheme, issued_by_id: int | None, now: datetime.datetime
) -> Issued:
    """The receipt of the claim just filed, in the language it was filed in."""
    language = claim.language if claim.language in ("fr", "en") else "fr"
    holder = _holder(claim)
    documents = claim.documents.filter(removed_at__isnull=True).values_list("filename", flat=True)

    def render(code: str) -> bytes:
        with translation.override(language):
            title = _title(scheme)
            context: dict[str, Any] = {
                "claim": claim,
                "title": title,
                "holder": holder,
                "documents": list(documents),
                "submitted": now,
                "due_on": claim.due_on,
                "code": code,
                "verification_page": verification_page_url(),
                "qr_code": qr_code_data_uri(verification_url(code)),
            }
        return pdf_render(template="benefits/claim_receipt_pdf.html", context=context, language=language)

    return _issue(
        DocumentKind.CLAIM_RECEIPT, claim, holder, language, issued_by_id=issued_by_id, now=now, render=render
    )


def _legal_references(computation: dict[str, Any]) -> list[str]:
    """The legal references of the parameters the computation used, once each, in order."""
    found: list[str] = []

    def walk(data: dict[str, Any]) -> None:
        fact = fact_of(data)
        stack = [fact]
        while stack:
            one = stack.pop(0)
            if one.kind == "parameter" and one.reference and one.reference not in found:
                found.append(one.reference)
            stack.extend(one.inputs)

    for condition in computation.get("conditions", ()):
        for data in condition["inputs"]:
            walk(data)
    if "computation" in computation:
        walk(computation["computation"])
    return found


def decision_letter_issue(
    *,
    claim: Claim,
    decision: Decision,
    scheme: SchemeDescription | ComposedScheme,
    issued_by_id: int | None,
    now: datetime.datetime,
) -> Issued:
    """The letter of a final decision, in the claimant's language."""
    language = claimant_language(claim)
    holder = _holder(claim)
    legal_basis = scheme.legal_basis

    def render(code: str) -> bytes:
        with translation.override(language):
            granted = decision.outcome in (DecisionOutcome.GRANTED, DecisionOutcome.REVISED)
            context: dict[str, Any] = {
                "claim": claim,
                "decision": decision,
                "title": _title(scheme),
                "holder": holder,
                "appeal": decision.kind == DecisionKind.APPEAL,
                "granted": granted,
                "upheld": decision.outcome == DecisionOutcome.UPHELD,
                "monthly": decision.periodicity == Periodicity.MONTHLY,
                "amount": euros(decision.amount),
                "start": day(decision.start_on) if decision.start_on else "",
                "end": day(decision.end_on) if decision.end_on else "",
                "reasons": reasons(conditions_of(decision.computation)),
                "legal_basis": legal_basis,
                "references": _legal_references(decision.computation),
                "appeal_until": day(claim.appeal_until) if claim.appeal_until else "",
                "decided": now,
                "code": code,
                "verification_page": verification_page_url(),
                "qr_code": qr_code_data_uri(verification_url(code)),
            }
        return pdf_render(template="benefits/decision_letter_pdf.html", context=context, language=language)

    return _issue(
        DocumentKind.BENEFIT_DECISION, claim, holder, language, issued_by_id=issued_by_id, now=now, render=render
    )
