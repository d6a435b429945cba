"""Filing a claim and following it: the claimant, or a proxy whose mandate allows managing
claims (staff at the counter act in the file they serve).

A claim is a draft saved at every step — whom it is about and from which month, the documents,
the bank account, the declaration on honour — resumed later on any device. Submitting it once
files it (a second submit finds it filed), issues a verifiable receipt and starts its deadline.
Afterwards the claimant writes to the case worker, sends the information asked for, withdraws
the claim before the decision, and appeals within the window. Everything a proxy does is in the
principal's trail of the mandate.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django_fsm import can_proceed

from benefits import composed, selectors
from benefits.catalogue import BY_CODE, SchemeDescription
from benefits.claims import letters
from benefits.models import Claim, ClaimDocument, ClaimEvent, ClaimStatus, ComposedScheme, DocumentPurpose, EventKind
from benefits.models.schemes import Periodicity
from benefits.policies import can_manage_claims
from benefits.trail import trail
from benefits.types import ClaimRefused, EntitlementAnswer
from benefits.uploads import file_check
from benefits.wording import day
from core.actor import ActingMode, Actor
from core.errors import NotFound
from core.periods import Period
from core.types import Scope
from identity.selectors import bank_account_on_file, person_summaries
from identity.services import bank_account_set
from mandates.selectors import recipients_with_proxies
from notifications.services import notify
from notifications.types import Recipient

STEPS = ("about", "documents", "bank", "declaration")
# A file sent with a form: its name, its size, and how to read it (only once the size is checked).
Upload = tuple[str, int, Callable[[], bytes]]
TEXT_MAX_LENGTH = 2000
# A monthly benefit is claimed from a month of the past year at the earliest, or of the next.
MONTHS_BACK = 11
MONTHS_AHEAD = 12


@dataclass(frozen=True)
class SubjectOption:
    """Someone a claim of the scheme may be about, and the month it would be computed for."""

    subject_person_id: int
    label: str
    month: Period
    eligible: bool


def event_record(claim: Claim, kind: str, *, actor: Actor, now: datetime.datetime, **fields: object) -> ClaimEvent:
    return ClaimEvent.objects.create(
        claim=claim,
        kind=kind,
        at=now,
        by_id=actor.user_id,
        mandate_id=actor.mandate_id if actor.acts_for_someone_else else None,
        by_staff=actor.is_staff and actor.mode != ActingMode.ASSISTED,
        **fields,
    )


def _locked(*, actor: Actor, claim_id: int) -> Claim:
    """The claim, locked, if the actor may manage it (NotFound otherwise)."""
    claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
    if claim is None or not can_manage_claims(actor=actor, person_id=claim.person_id):
        raise NotFound
    return claim


def _draft(*, actor: Actor, claim_id: int) -> Claim:
    claim = _locked(actor=actor, claim_id=claim_id)
    if claim.status != ClaimStatus.DRAFT:
        raise ClaimRefused("not_a_draft")
    return claim


def scheme_of_claim(claim: Claim) -> SchemeDescription | ComposedScheme:
    if claim.composed_scheme_id is not None:
        return ComposedScheme.objects.get(pk=claim.composed_scheme_id)
    return BY_CODE[claim.scheme]


def periodicity_of(scheme: SchemeDescription | ComposedScheme) -> str:
    return str(scheme.periodicity)


def _reach(claim: Claim, step: str) -> None:
    if STEPS.index(step) > STEPS.index(claim.step):
        claim.step = step


# --- Starting and filling in ----------------------------------------------------------------------


def claim_start(*, actor: Actor, person_id: int, slug: str, now: datetime.datetime) -> int:
    """A draft claim of the scheme at ``slug`` for the person: the draft under way if there is
    one (a double click, another device), else a new one."""
    if not can_manage_claims(actor=actor, person_id=person_id):
        raise NotFound
    scheme = selectors.scheme_of(slug)
    if (
        isinstance(scheme, ComposedScheme)
        and composed.scheme_state(scheme, Period.of(timezone.localdate(now))) != "in_force"
    ):
        raise ClaimRefused("scheme_closed")
    code = scheme.code
    existing = (
        Claim.objects.filter(person_id=person_id, scheme=code, status=ClaimStatus.DRAFT)
        .order_by("-updated_at")
        .values_list("pk", flat=True)
        .first()
    )
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                person_id=person_id,
                scheme=code,
                composed_scheme=scheme if isinstance(scheme, ComposedScheme) else None,
                created_at=now,
                updated_at=now,
                created_by_id=actor.signed_in_user_id,
                created_under_mandate_id=actor.mandate_id if actor.acts_for_someone_else else None,
                language=translation.get_language() or "fr",
            )
    except IntegrityError:  # a concurrent double click started it
        found = Claim.objects.filter(person_id=person_id, scheme=code, status=ClaimStatus.DRAFT).values_list(
            "pk", flat=True
        )
        return found.get()
    trail(actor=actor, person_id=person_id, detail="claim started", now=now)
    return claim.pk


def _option(answer: EntitlementAnswer) -> SubjectOption:
    return SubjectOption(
        subject_person_id=answer.subject_person_id, label=answer.about, month=answer.month, eligible=answer.eligible
    )


def subject_options(*, claim: Claim, today: datetime.date) -> list[SubjectOption]:
    """Whom a claim of its scheme may be about, from the claimant's file today: the claimant, or
    each child born or adopted in the year (a birth grant), each child (family allowance), the
    spouse who died (funeral grant). None when the event is not in the file."""
    answers = selectors.scheme_answers(scheme_of_claim(claim), person_id=claim.person_id, today=today)
    return [_option(answer) for answer in answers if answer.event_found]


def month_range(today: datetime.date) -> tuple[Period, Period]:
    current = Period.of(today)
    return current.shifted(-MONTHS_BACK), current.shifted(MONTHS_AHEAD)


def claim_about_save(
    *,
    actor: Actor,
    claim_id: int,
    subject_person_id: int | None,
    month: str,
    remarks: str,
    now: datetime.datetime,
) -> None:
    """Step 1: whom the claim is about, and from which month (a monthly benefit; a grant paid
    once is computed for the month of its event)."""
    today = timezone.localdate(now)
    with transaction.atomic():
        claim = _draft(actor=actor, claim_id=claim_id)
        options = subject_options(claim=claim, today=today)
        if not options:
            raise ClaimRefused("event_missing")
        if subject_person_id is None:
            raise ClaimRefused("subject_required")
        chosen = next((option for option in options if option.subject_person_id == subject_person_id), None)
        if chosen is None:
            raise ClaimRefused("subject_unknown")
        text = remarks.strip()
        if len(text) > TEXT_MAX_LENGTH:
            raise ClaimRefused("remarks_too_long")
        if periodicity_of(scheme_of_claim(claim)) == Periodicity.MONTHLY:
            try:
                start = Period.parse(month.strip())
            except ValueError:
                raise ClaimRefused("month_invalid") from None
            first, last = month_range(today)
            if not first <= start <= last:
                raise ClaimRefused("month_out_of_range", params={"first": str(first), "last": str(last)})
        else:
            start = chosen.month
        claim.subject_person_id = chosen.subject_person_id
        claim.subject_label = chosen.label
        claim.month = str(start)
        claim.answers = {**claim.answers, "remarks": text}
        claim.updated_at = now
        _reach(claim, "documents")
        try:
            with transaction.atomic():
                claim.save(
                    update_fields=["subject_person_id", "subject_label", "month", "answers", "updated_at", "step"]
                )
        except IntegrityError:
            raise ClaimRefused("already_claimed") from None
        trail(actor=actor, person_id=claim.person_id, detail="claim step saved", now=now)


def _document_add(
    claim: Claim,
    *,
    actor: Actor,
    purpose: str,
    required_index: int,
    name: str,
    size: int,
    read: Callable[[], bytes],
    now: datetime.datetime,
) -> ClaimDocument:
    if claim.documents.filter(removed_at__isnull=True).count() >= settings.CLAIM_DOCUMENTS_MAX:
        raise ClaimRefused("too_many_documents", params={"count": settings.CLAIM_DOCUMENTS_MAX})
    checked = file_check(name=name, size=size, read=read)
    return ClaimDocument.objects.create(
        claim=claim,
        purpose=purpose,
        required_index=required_index,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        content=checked.content,
        uploaded_at=now,
        uploaded_by_id=actor.signed_in_user_id,
    )


def documents_required(claim: Claim) -> tuple[str, ...]:
    scheme = scheme_of_claim(claim)
    if isinstance(scheme, ComposedScheme):
        lines = scheme.documents_fr if (translation.get_language() or "fr").startswith("fr") else scheme.documents_en
        return tuple(line.strip() for line in lines.splitlines() if line.strip())
    return tuple(str(document) for document in scheme.documents)


def claim_document_add(
    *,
    actor: Actor,
    claim_id: int,
    required_index: int,
    name: str,
    size: int,
    read: Callable[[], bytes],
    now: datetime.datetime,
) -> int:
    """Step 2: a document of the claim (checked by its content; bounded in size and number)."""
    with transaction.atomic():
        claim = _draft(actor=actor, claim_id=claim_id)
        if not -1 <= required_index < len(documents_required(claim)):
            raise ClaimRefused("document_required_unknown")
        document = _document_add(
            claim,
            actor=actor,
            purpose=DocumentPurpose.CLAIM,
            required_index=required_index,
            name=name,
            size=size,
            read=read,
            now=now,
        )
        claim.updated_at = now
        claim.save(update_fields=["updated_at"])
        trail(actor=actor, person_id=claim.person_id, detail="claim document added", now=now)
    return document.pk


def claim_document_remove(*, actor: Actor, claim_id: int, document_id: int, now: datetime.datetime) -> None:
    with transaction.atomic():
        claim = _draft(actor=actor, claim_id=claim_id)
        removed, _kinds = ClaimDocument.objects.filter(pk=document_id, claim=claim).delete()
        if not removed:
            raise NotFound
        trail(actor=actor, person_id=claim.person_id, detail="claim document removed", now=now)


def claim_documents_done(*, actor: Actor, claim_id: int, now: datetime.datetime) -> None:
    """Step 2 ends (documents may also be sent later, when the case worker asks for them)."""
    with transaction.atomic():
        claim = _draft(actor=actor, claim_id=claim_id)
        if claim.step == "about":
            raise ClaimRefused("incomplete", params={"steps": str(_step_names()["about"])})
        _reach(claim, "bank")
        claim.updated_at = now
        claim.save(update_fields=["step", "updated_at"])


def claim_bank_save(
    *, actor: Actor, claim_id: int, use_account_on_file: bool, iban: str, holder_name: str, now: datetime.datetime
) -> None:
    """Step 3: the account the benefit is paid to: the one on file, or a new one — set through
    identity's service (the IBAN checked, a second factor and the payment-details scope
    required, the person told), so that a claim never sends money where the file does not."""
    with transaction.atomic():
        claim = _draft(actor=actor, claim_id=claim_id)
        if claim.step in ("about", "documents"):
            raise ClaimRefused("incomplete", params={"steps": str(_step_names()[claim.step])})
        if not use_account_on_file:
            bank_account_set(actor=actor, person_id=claim.person_id, iban=iban, holder_name=holder_name, now=now)
        account = bank_account_on_file(person_id=claim.person_id)
        if account is None:
            raise ClaimRefused("bank_account_required")
        claim.iban, claim.account_holder = account.iban, account.holder_name
        _reach(claim, "declaration")
        claim.updated_at = now
        claim.save(update_fields=["iban", "account_holder", "step", "updated_at"])
        trail(actor=actor, person_id=claim.person_id, detail="claim step saved", now=now)


def _step_names() -> dict[str, str]:
    from django.utils.translation import gettext

    return {
        "about": gettext("whom the claim is about"),
        "documents": gettext("the documents"),
        "bank": gettext("the bank account"),
        "declaration": gettext("the declaration"),
    }


def _reference(claim: Claim, today: datetime.date) -> str:
    return f"BEN-{today.year}-{claim.pk:06d}"


def _decision_days(claim: Claim) -> int:
    return scheme_of_claim(claim).decision_days


def claim_submit(*, actor: Actor, claim_id: int, declared_on_honour: bool, now: datetime.datetime) -> int:
    """Step 4: the claim is filed, once: a second submit (a double click, the back button) finds
    it filed and changes nothing. Issues the verifiable receipt, starts the deadline, tells the
    claimant (and the proxies managing their claims)."""
    today = timezone.localdate(now)
    with transaction.atomic():
        claim = _locked(actor=actor, claim_id=claim_id)
        if claim.status == ClaimStatus.SUBMITTED and claim.submitted_by_id == actor.user_id:
            return claim.pk
        if claim.status != ClaimStatus.DRAFT:
            raise ClaimRefused("not_a_draft")
        missing = [
            name
            for step, name in _step_names().items()
            if step != "declaration" and STEPS.index(claim.step) <= STEPS.index(step)
        ]
        if missing or not claim.iban:
            raise ClaimRefused("incomplete", params={"steps": ", ".join(missing or [_step_names()["bank"]])})
        if not declared_on_honour:
            raise ClaimRefused("honour_required")
        claim.submit()
        claim.declared_on_honour_at = now
        claim.submitted_at = now
        claim.submitted_by_id = actor.user_id
        claim.reference = _reference(claim, today)
        claim.due_on = today + datetime.timedelta(days=_decision_days(claim))
        claim.language = translation.get_language() or claim.language
        claim.updated_at = now
        receipt = letters.receipt_issue(claim=claim, scheme=scheme_of_claim(claim), issued_by_id=actor.user_id, now=now)
        claim.receipt_document_id = receipt.document_id
        claim.receipt_pdf = receipt.content
        claim.save()
        event_record(
            claim, EventKind.SUBMITTED, actor=actor, now=now, from_status=ClaimStatus.DRAFT, to_status=claim.status
        )
        tell_claimant(claim, event="claim_received", now=now)
        trail(actor=actor, person_id=claim.person_id, detail="claim submitted", now=now)
    return claim.pk


# --- After submitting ---------------------------------------------------------------------------


def claim_link(claim_id: int) -> str:
    return reverse("benefits:claim", args=[claim_id])


def tell_claimant(claim: Claim, *, event: str, now: datetime.datetime, **context: object) -> None:
    """Tell the claimant, and the proxies whose mandate covers their claims."""
    names = person_summaries(person_ids=[claim.person_id])
    notify(
        recipients=recipients_with_proxies(
            person_id=claim.person_id, scope=Scope.MANAGE_CLAIMS, on=timezone.localdate(now)
        ),
        event=event,
        context={
            "reference": claim.reference,
            "scheme": claim.scheme,
            "claimant": names[claim.person_id].full_name if claim.person_id in names else "",
            **context,
        },
        now=now,
        link=claim_link(claim.pk),
    )


def tell_case_worker(claim: Claim, *, what: str, now: datetime.datetime) -> None:
    """The case worker assigned learns in their inbox that the claimant wrote or answered."""
    if claim.assigned_to_id is None:
        return
    notify(
        recipients=[Recipient(claim.assigned_to_id)],
        event="claim_claimant_wrote",
        context={"reference": claim.reference, "what": what},
        now=now,
        link=reverse("admin:benefits_claim_change", args=[claim.pk]),
    )


def _text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise ClaimRefused("text_required")
    if len(cleaned) > TEXT_MAX_LENGTH:
        raise ClaimRefused("text_too_long", params={"count": TEXT_MAX_LENGTH})
    return cleaned


def claim_message_send(*, actor: Actor, claim_id: int, text: str, now: datetime.datetime) -> None:
    """The claimant writes to the case worker (once filed)."""
    message = _text(text)
    with transaction.atomic():
        claim = _locked(actor=actor, claim_id=claim_id)
        if claim.status in (ClaimStatus.DRAFT, ClaimStatus.WITHDRAWN):
            raise ClaimRefused("not_allowed_now", params={"status": ClaimStatus(claim.status).label})
        event_record(claim, EventKind.MESSAGE_FROM_CLAIMANT, actor=actor, now=now, text=message)
        claim.updated_at = now
        claim.save(update_fields=["updated_at"])
        tell_case_worker(claim, what="message", now=now)
        trail(actor=actor, person_id=claim.person_id, detail="claim message", now=now)


def _moving(*, actor: Actor, claim_id: int, seen_status: str, move: str) -> Claim:
    """The claim, locked, if it is still as the claimant saw it and the move is allowed now."""
    claim = _locked(actor=actor, claim_id=claim_id)
    if claim.status != seen_status or not can_proceed(getattr(claim, move)):
        raise ClaimRefused("not_allowed_now", params={"status": ClaimStatus(claim.status).label})
    return claim


def _attach(claim: Claim, upload: Upload | None, *, actor: Actor, purpose: str, now: datetime.datetime) -> None:
    if upload is not None:
        name, size, read = upload
        _document_add(claim, actor=actor, purpose=purpose, required_index=-1, name=name, size=size, read=read, now=now)


def claim_information_provide(
    *,
    actor: Actor,
    claim_id: int,
    seen_status: str,
    text: str,
    upload: Upload | None,
    now: datetime.datetime,
) -> None:
    """The claimant answers the case worker's request (a message, a document or both); the
    deadline of the decision moves by the days the institution waited."""
    with transaction.atomic():
        claim = _moving(actor=actor, claim_id=claim_id, seen_status=seen_status, move="provide_information")
        message = text.strip()
        if len(message) > TEXT_MAX_LENGTH:
            raise ClaimRefused("text_too_long", params={"count": TEXT_MAX_LENGTH})
        if not message and upload is None:
            raise ClaimRefused("text_required")
        _attach(claim, upload, actor=actor, purpose=DocumentPurpose.INFORMATION, now=now)
        before = claim.status
        claim.provide_information()
        if claim.waiting_since is not None and claim.due_on is not None:
            waited = (timezone.localdate(now) - timezone.localdate(claim.waiting_since)).days
            claim.due_on += datetime.timedelta(days=max(waited, 0))
        claim.waiting_since = None
        claim.information_due_on = None
        claim.updated_at = now
        claim.save(update_fields=["status", "due_on", "waiting_since", "information_due_on", "updated_at"])
        event_record(
            claim,
            EventKind.INFORMATION_PROVIDED,
            actor=actor,
            now=now,
            from_status=before,
            to_status=claim.status,
            text=message,
        )
        tell_case_worker(claim, what="information", now=now)
        trail(actor=actor, person_id=claim.person_id, detail="claim information provided", now=now)


def claim_withdraw(*, actor: Actor, claim_id: int, seen_status: str, reason: str, now: datetime.datetime) -> None:
    """The claimant withdraws the claim before the decision (a draft is abandoned the same way)."""
    text = reason.strip()
    if len(text) > TEXT_MAX_LENGTH:
        raise ClaimRefused("text_too_long", params={"count": TEXT_MAX_LENGTH})
    with transaction.atomic():
        claim = _moving(actor=actor, claim_id=claim_id, seen_status=seen_status, move="withdraw")
        before = claim.status
        claim.withdraw()
        claim.withdrawn_at = claim.updated_at = now
        claim.save(update_fields=["status", "withdrawn_at", "updated_at"])
        event_record(
            claim, EventKind.WITHDRAWN, actor=actor, now=now, from_status=before, to_status=claim.status, text=text
        )
        if before != ClaimStatus.DRAFT:
            tell_case_worker(claim, what="withdrawn", now=now)
        trail(actor=actor, person_id=claim.person_id, detail="claim withdrawn", now=now)


def claim_appeal(
    *,
    actor: Actor,
    claim_id: int,
    seen_status: str,
    grounds: str,
    upload: Upload | None,
    now: datetime.datetime,
) -> None:
    """The claimant appeals the decision within the window, with grounds (and a document). The
    appeal goes back to the queue, for a case worker who took no part in the decision."""
    text = _text(grounds)
    today = timezone.localdate(now)
    with transaction.atomic():
        claim = _moving(actor=actor, claim_id=claim_id, seen_status=seen_status, move="appeal")
        if claim.appeal_until is None or today > claim.appeal_until:
            raise ClaimRefused(
                "appeal_window_closed", params={"day": day(claim.appeal_until) if claim.appeal_until else ""}
            )
        _attach(claim, upload, actor=actor, purpose=DocumentPurpose.APPEAL, now=now)
        before = claim.status
        claim.appeal()
        claim.appealed_at = claim.updated_at = now
        claim.assigned_to = None
        claim.due_on = today + datetime.timedelta(days=settings.CLAIM_APPEAL_DECISION_DAYS)
        claim.save(update_fields=["status", "appealed_at", "updated_at", "assigned_to", "due_on"])
        event_record(
            claim, EventKind.APPEALED, actor=actor, now=now, from_status=before, to_status=claim.status, text=text
        )
        tell_claimant(claim, event="claim_appeal_received", now=now)
        trail(actor=actor, person_id=claim.person_id, detail="claim appealed", now=now)
