"""Reads of claims for the claimant and those acting for them: the list, a draft's step, a
claim's page with its timeline, and the files (documents, receipt, letters). Every read by
anyone but the claimant is recorded in their trail."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from benefits.catalogue import BY_CODE
from benefits.claims.filing import (
    STEPS,
    SubjectOption,
    documents_required,
    month_range,
    periodicity_of,
    scheme_of_claim,
    subject_options,
)
from benefits.models import (
    Claim,
    ClaimDocument,
    ClaimStatus,
    Decision,
    DecisionState,
    DocumentPurpose,
    EventKind,
)
from benefits.models.claims import BEFORE_DECISION, STAFF_ONLY_EVENTS
from benefits.models.schemes import Periodicity
from benefits.policies import can_manage_claims, can_view_claims
from benefits.types import ClaimRefused
from core.actor import Actor
from core.audit import file_view_record
from core.errors import NotFound
from core.periods import Period
from core.types import Scope
from identity.selectors import bank_account_on_file, contact_map


def scheme_title(code: str, composed_title: tuple[str, str] | None = None) -> str:
    if composed_title is not None:
        french, english = composed_title
        return french if (translation.get_language() or "fr").startswith("fr") else english
    description = BY_CODE.get(code)
    return str(description.title) if description is not None else code


def _title(claim: Claim) -> str:
    composed = claim.composed_scheme
    return scheme_title(claim.scheme, (composed.title_fr, composed.title_en) if composed is not None else None)


@dataclass(frozen=True)
class ClaimRow:
    claim_id: int
    reference: str
    title: str
    about: str
    month: str
    status: str
    status_label: str
    started_at: datetime.datetime
    submitted_at: datetime.datetime | None
    step_label: str
    # The claimant has something to do: information requested by this day.
    information_due_on: datetime.date | None

    @property
    def is_draft(self) -> bool:
        return self.status == ClaimStatus.DRAFT


def step_labels() -> dict[str, str]:
    return {
        "about": _("Whom and from when"),
        "documents": _("Documents"),
        "bank": _("Bank account"),
        "declaration": _("Declaration and submission"),
    }


def claim_list(*, actor: Actor, person_id: int, now: datetime.datetime) -> list[ClaimRow] | None:
    """The person's claims, newest first (withdrawn drafts left out); None when the actor may not
    read them. Two queries."""
    if not can_view_claims(actor=actor, person_id=person_id):
        return None
    file_view_record(actor=actor, subject_person_id=person_id, what="claim", now=now)
    labels = step_labels()
    rows = (
        Claim.objects.filter(person_id=person_id)
        .exclude(status=ClaimStatus.WITHDRAWN, submitted_at__isnull=True)
        .select_related("composed_scheme")
        .order_by("-created_at", "-id")
    )
    return [
        ClaimRow(
            claim_id=claim.pk,
            reference=claim.reference,
            title=_title(claim),
            about=claim.subject_label,
            month=claim.month,
            status=claim.status,
            status_label=str(ClaimStatus(claim.status).label),
            started_at=claim.created_at,
            submitted_at=claim.submitted_at,
            step_label=labels[claim.step],
            information_due_on=claim.information_due_on if claim.status == ClaimStatus.INFORMATION_REQUESTED else None,
        )
        for claim in rows
    ]


@dataclass(frozen=True)
class DocumentRow:
    document_id: int
    filename: str
    content_type: str
    size: int
    purpose: str
    purpose_label: str
    required_label: str
    uploaded_at: datetime.datetime


def _documents(claim: Claim, required: tuple[str, ...]) -> list[DocumentRow]:
    purposes = dict(DocumentPurpose.choices)
    return [
        DocumentRow(
            document_id=row.pk,
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            purpose=row.purpose,
            purpose_label=str(purposes[row.purpose]),
            required_label=required[row.required_index] if 0 <= row.required_index < len(required) else "",
            uploaded_at=row.uploaded_at,
        )
        for row in ClaimDocument.objects.filter(claim=claim, removed_at__isnull=True)
        .only("filename", "content_type", "size", "purpose", "required_index", "uploaded_at")
        .order_by("uploaded_at", "id")
    ]


@dataclass(frozen=True)
class DraftView:
    claim_id: int
    title: str
    slug: str
    step: str  # the step shown
    reached: str  # the furthest step reached
    steps: tuple[tuple[str, str, bool], ...]  # (step, label, reachable)
    monthly: bool
    options: tuple[SubjectOption, ...]
    subject_person_id: int
    month: str
    remarks: str
    first_month: Period
    last_month: Period
    documents_required: tuple[str, ...]
    documents: tuple[DocumentRow, ...]
    account_on_file: str  # masked, "" when none
    account_holder_on_file: str
    iban_chosen: bool
    may_set_account: bool
    about_label: str

    @property
    def step_index(self) -> int:
        return STEPS.index(self.step)


def claim_draft_get(*, actor: Actor, claim_id: int, step: str, now: datetime.datetime) -> DraftView:
    """A draft at ``step`` (a step not reached yet shows the furthest reached)."""
    claim = Claim.objects.select_related("composed_scheme").filter(pk=claim_id).first()
    if claim is None or not can_manage_claims(actor=actor, person_id=claim.person_id):
        raise NotFound
    if claim.status != ClaimStatus.DRAFT:
        raise ClaimRefused("not_a_draft")  # filed meanwhile (another device, a double submit)
    if step not in STEPS or STEPS.index(step) > STEPS.index(claim.step):
        step = claim.step
    today = timezone.localdate(now)
    scheme = scheme_of_claim(claim)
    required = documents_required(claim)
    account = bank_account_on_file(person_id=claim.person_id)
    first, last = month_range(today)
    labels = step_labels()
    return DraftView(
        claim_id=claim.pk,
        title=_title(claim),
        slug=scheme.slug,
        step=step,
        reached=claim.step,
        steps=tuple((name, labels[name], STEPS.index(name) <= STEPS.index(claim.step)) for name in STEPS),
        monthly=periodicity_of(scheme) == Periodicity.MONTHLY,
        options=tuple(subject_options(claim=claim, today=today)) if step == "about" else (),
        subject_person_id=claim.subject_person_id,
        month=claim.month,
        remarks=str(claim.answers.get("remarks", "")),
        first_month=first,
        last_month=last,
        documents_required=required,
        documents=tuple(_documents(claim, required)),
        account_on_file=account.masked if account else "",
        account_holder_on_file=account.holder_name if account else "",
        iban_chosen=bool(claim.iban),
        may_set_account=actor.may(Scope.MANAGE_PAYMENT_DETAILS),
        about_label=claim.subject_label,
    )


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    label: str
    at: datetime.datetime
    who: str
    text: str
    due_on: datetime.date | None


@dataclass(frozen=True)
class DecisionRow:
    decision_id: int
    kind_label: str
    outcome: str
    outcome_label: str
    amount: Decimal
    monthly: bool
    start_on: datetime.date | None
    end_on: datetime.date | None
    reason: str
    decided_at: datetime.datetime | None
    has_letter: bool


@dataclass(frozen=True)
class ClaimView:
    claim_id: int
    reference: str
    title: str
    about: str
    month: str
    status: str
    status_label: str
    submitted_at: datetime.datetime | None
    due_on: datetime.date | None
    account_holder: str
    account_masked: str
    remarks: str
    timeline: tuple[TimelineEntry, ...]
    documents: tuple[DocumentRow, ...]
    decisions: tuple[DecisionRow, ...]
    information_due_on: datetime.date | None
    appeal_until: datetime.date | None
    may_manage: bool
    may_withdraw: bool
    may_appeal: bool
    may_provide_information: bool
    may_write: bool
    has_receipt: bool


def _masked(iban: str) -> str:
    from identity.types import BankAccountOnFile

    return BankAccountOnFile(iban=iban, holder_name="").masked if iban else ""


def _who(event_by: int | None, *, staff: bool, mandate_id: int | None, names: dict[int, str], actor: Actor) -> str:
    if staff:
        return _("the case worker")
    if mandate_id is not None:
        return _("%(name)s, under a mandate") % {"name": names.get(event_by or 0, "")}
    if event_by is not None and event_by == actor.user_id:
        return _("you")
    return _("the claimant")


def claim_get(*, actor: Actor, claim_id: int, now: datetime.datetime) -> ClaimView:
    """A filed claim's page: where it stands, its timeline (without the case work's internal
    steps), its documents and decisions, and what the reader may do now."""
    claim = Claim.objects.select_related("composed_scheme").filter(pk=claim_id).first()
    if (
        claim is None
        or claim.status == ClaimStatus.DRAFT
        or not can_view_claims(actor=actor, person_id=claim.person_id)
    ):
        raise NotFound
    file_view_record(actor=actor, subject_person_id=claim.person_id, what="claim", now=now)
    today = timezone.localdate(now)
    events = list(
        claim.events.exclude(kind__in=[str(kind) for kind in STAFF_ONLY_EVENTS])
        .order_by("at", "id")
        .values_list("kind", "at", "by_id", "by_staff", "mandate_id", "text", "due_on")
    )
    user_names = _user_names({by for _kind, _at, by, _staff, mandate, *_rest in events if mandate is not None and by})
    kinds = dict(EventKind.choices)
    timeline = tuple(
        TimelineEntry(
            kind=kind,
            label=str(kinds[kind]),
            at=at,
            who=_who(by, staff=staff, mandate_id=mandate, names=user_names, actor=actor),
            # A staff-internal correction's text stays internal; the claimant reads the others.
            text=text if kind != EventKind.INPUT_CORRECTED else "",
            due_on=due_on,
        )
        for kind, at, by, staff, mandate, text, due_on in events
    )
    decisions = tuple(
        DecisionRow(
            decision_id=row.pk,
            kind_label=str(row.get_kind_display()),
            outcome=row.outcome,
            outcome_label=str(row.get_outcome_display()),
            amount=row.amount,
            monthly=row.periodicity == Periodicity.MONTHLY,
            start_on=row.start_on,
            end_on=row.end_on,
            reason=row.reason,
            decided_at=row.approved_at,
            has_letter=row.letter_document_id is not None,
        )
        for row in Decision.objects.filter(claim=claim, state=DecisionState.FINAL)
        .defer("letter", "computation")
        .order_by("approved_at", "id")
    )
    manage = can_manage_claims(actor=actor, person_id=claim.person_id)
    status = claim.status
    return ClaimView(
        claim_id=claim.pk,
        reference=claim.reference,
        title=_title(claim),
        about=claim.subject_label,
        month=claim.month,
        status=status,
        status_label=str(ClaimStatus(status).label),
        submitted_at=claim.submitted_at,
        due_on=claim.due_on if status in BEFORE_DECISION or status == ClaimStatus.APPEALED else None,
        account_holder=claim.account_holder,
        account_masked=_masked(claim.iban),
        remarks=str(claim.answers.get("remarks", "")),
        timeline=timeline,
        documents=tuple(_documents(claim, documents_required(claim))),
        decisions=decisions,
        information_due_on=claim.information_due_on,
        appeal_until=claim.appeal_until,
        may_manage=manage,
        may_withdraw=manage and status in BEFORE_DECISION,
        may_appeal=manage
        and status in (ClaimStatus.GRANTED, ClaimStatus.REFUSED)
        and claim.appeal_until is not None
        and today <= claim.appeal_until,
        may_provide_information=manage and status == ClaimStatus.INFORMATION_REQUESTED,
        may_write=manage and status not in (ClaimStatus.WITHDRAWN,),
        has_receipt=claim.receipt_document_id is not None,
    )


def _user_names(user_ids: set[int]) -> dict[int, str]:
    return {user_id: contact.full_name for user_id, contact in contact_map(user_ids=sorted(user_ids)).items()}


@dataclass(frozen=True)
class ClaimFile:
    filename: str
    content_type: str
    content: bytes


def claim_document_get(*, actor: Actor, claim_id: int, document_id: int, now: datetime.datetime) -> ClaimFile:
    """A document of the claim, for the claimant and those acting for them (a read by anyone but
    the claimant is recorded)."""
    document = (
        ClaimDocument.objects.select_related("claim")
        .filter(pk=document_id, claim_id=claim_id, removed_at__isnull=True)
        .first()
    )
    if document is None or not can_view_claims(actor=actor, person_id=document.claim.person_id):
        raise NotFound
    file_view_record(actor=actor, subject_person_id=document.claim.person_id, what="claim document", now=now)
    return ClaimFile(filename=document.filename, content_type=document.content_type, content=bytes(document.content))


def claim_receipt_get(*, actor: Actor, claim_id: int, now: datetime.datetime) -> ClaimFile:
    claim = Claim.objects.filter(pk=claim_id, receipt_pdf__isnull=False).first()
    if claim is None or not can_view_claims(actor=actor, person_id=claim.person_id):
        raise NotFound
    file_view_record(actor=actor, subject_person_id=claim.person_id, what="claim", now=now)
    return ClaimFile(
        filename=f"{claim.reference}-receipt.pdf",
        content_type="application/pdf",
        content=bytes(claim.receipt_pdf or b""),
    )


def claim_letter_get(*, actor: Actor, claim_id: int, decision_id: int, now: datetime.datetime) -> ClaimFile:
    decision = (
        Decision.objects.select_related("claim")
        .filter(pk=decision_id, claim_id=claim_id, state=DecisionState.FINAL, letter__isnull=False)
        .first()
    )
    if decision is None or not can_view_claims(actor=actor, person_id=decision.claim.person_id):
        raise NotFound
    file_view_record(actor=actor, subject_person_id=decision.claim.person_id, what="claim", now=now)
    return ClaimFile(
        filename=f"{decision.claim.reference}-decision-{decision.pk}.pdf",
        content_type="application/pdf",
        content=bytes(decision.letter or b""),
    )
