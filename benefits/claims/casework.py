"""Case work on claims, in the back office.

Each move locks the claim's row and checks the state the case worker decided on
(``seen_status``): of two case workers acting on one claim at once, one wins, the other is told
the claim moved and nothing of theirs is written. An illegal move is refused the same way. Every
move is an event of the claim's timeline, with who, when and why.

Four eyes: a grant above ``BENEFIT_FOUR_EYES_ABOVE``, every refusal and every decision on an
appeal is proposed by one case worker and approved by another (the database refuses a decision
approved by its proposer). An appeal is examined and approved by case workers who took no part
in the decision appealed.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django_fsm import can_proceed

from benefits.claims import letters
from benefits.claims.computation import Computed, CorrectionRefused, compute, correction_check, explanation_json
from benefits.claims.filing import event_record, periodicity_of, scheme_of_claim, tell_claimant
from benefits.models import (
    Claim,
    ClaimStatus,
    Decision,
    DecisionKind,
    DecisionOutcome,
    DecisionState,
    Entitlement,
    EntitlementState,
    EventKind,
)
from benefits.models.claims import TO_WORK_ON
from benefits.models.schemes import ComposedScheme, Periodicity
from benefits.payments.amounts import entitlement_amounts_open
from benefits.types import ClaimRefused
from benefits.wording import day
from core.actor import Actor
from core.errors import NotFound
from core.periods import Period
from identity.selectors import staff_has_permission

CASE_WORKER_PERMISSION = "benefits.change_claim"
TEXT_MAX_LENGTH = 4000


def _staff_lock(*, actor: Actor, claim_id: int, seen_status: str) -> Claim:
    if actor.user_id is None or not actor.is_staff:
        raise NotFound
    claim = Claim.objects.select_for_update().filter(pk=claim_id).exclude(status=ClaimStatus.DRAFT).first()
    if claim is None:
        raise NotFound
    if claim.status != seen_status:
        raise ClaimRefused("moved", params={"status": ClaimStatus(claim.status).label})
    return claim


def _refuse_move(claim: Claim) -> ClaimRefused:
    return ClaimRefused("not_allowed_now", params={"status": ClaimStatus(claim.status).label})


def _text(text: str, *, code: str = "reason_required") -> str:
    cleaned = text.strip()
    if not cleaned:
        raise ClaimRefused(code)
    if len(cleaned) > TEXT_MAX_LENGTH:
        raise ClaimRefused("text_too_long", params={"count": TEXT_MAX_LENGTH})
    return cleaned


def _require_assigned(claim: Claim, actor: Actor) -> None:
    if claim.assigned_to_id != actor.user_id:
        raise ClaimRefused("not_assigned")


def _first_deciders(claim: Claim) -> set[int]:
    """Who proposed or approved the decision on the claim (they may not review its appeal)."""
    found: set[int] = set()
    for proposer, approver in Decision.objects.filter(
        claim=claim, kind=DecisionKind.FIRST, state=DecisionState.FINAL
    ).values_list("proposed_by_id", "approved_by_id"):
        found.add(proposer)
        if approver is not None:
            found.add(approver)
    return found


def _save(claim: Claim, now: datetime.datetime, *fields: str) -> None:
    claim.updated_at = now
    claim.save(update_fields=["status", "updated_at", *fields])


def claim_assign(*, actor: Actor, claim_id: int, seen_status: str, to_user_id: int, now: datetime.datetime) -> None:
    """Assign (or reassign) the claim to a case worker — on an appeal, one who took no part in
    the decision appealed."""
    with transaction.atomic():
        claim = _staff_lock(actor=actor, claim_id=claim_id, seen_status=seen_status)
        if claim.status in (ClaimStatus.WITHDRAWN, ClaimStatus.APPEAL_DECIDED):
            raise _refuse_move(claim)
        if not staff_has_permission(user_id=to_user_id, permission=CASE_WORKER_PERMISSION):
            raise ClaimRefused("not_a_case_worker")
        if claim.status in (ClaimStatus.APPEALED, ClaimStatus.APPEAL_PROPOSED) and to_user_id in _first_deciders(claim):
            raise ClaimRefused("appeal_by_decider")
        if claim.assigned_to_id == to_user_id:
            return
        claim.assigned_to_id = to_user_id
        _save(claim, now, "assigned_to")
        event_record(claim, EventKind.ASSIGNED, actor=actor, now=now, text=str(to_user_id))


def claim_review_start(*, actor: Actor, claim_id: int, seen_status: str, now: datetime.datetime) -> None:
    """Start examining a claim just filed, or the information the claimant sent, or — once the
    date given to the claimant passed without an answer — resume without it (the decision's
    deadline moves by the days waited). An unassigned claim is assigned to whoever starts."""
    today = timezone.localdate(now)
    with transaction.atomic():
        claim = _staff_lock(actor=actor, claim_id=claim_id, seen_status=seen_status)
        overdue = claim.status == ClaimStatus.INFORMATION_REQUESTED
        if overdue and claim.information_due_on is not None and claim.information_due_on >= today:
            raise ClaimRefused("information_not_due", params={"day": day(claim.information_due_on)})
        if not can_proceed(claim.resume_without_answer if overdue else claim.start_review):
            raise _refuse_move(claim)
        if claim.assigned_to_id is None:
            claim.assigned_to_id = actor.user_id
            event_record(claim, EventKind.ASSIGNED, actor=actor, now=now, text=str(actor.user_id))
        _require_assigned(claim, actor)
        before = claim.status
        if overdue:
            claim.resume_without_answer()
            if claim.waiting_since is not None and claim.due_on is not None:
                claim.due_on += datetime.timedelta(days=max((today - timezone.localdate(claim.waiting_since)).days, 0))
            claim.waiting_since = claim.information_due_on = None
        else:
            claim.start_review()
        _save(claim, now, "assigned_to", "due_on", "waiting_since", "information_due_on")
        event_record(claim, EventKind.REVIEW_STARTED, actor=actor, now=now, from_status=before, to_status=claim.status)


def claim_information_request(
    *, actor: Actor, claim_id: int, seen_status: str, text: str, due_on: datetime.date, now: datetime.datetime
) -> None:
    """Ask the claimant for information by a date; the decision's deadline waits meanwhile."""
    message = _text(text, code="text_required")
    today = timezone.localdate(now)
    latest = today + datetime.timedelta(days=settings.CLAIM_INFORMATION_DAYS_MAX)
    if not today < due_on <= latest:
        raise ClaimRefused("due_date_invalid", params={"day": day(latest)})
    with transaction.atomic():
        claim = _staff_lock(actor=actor, claim_id=claim_id, seen_status=seen_status)
        if not can_proceed(claim.request_information):
            raise _refuse_move(claim)
        _require_assigned(claim, actor)
        before = claim.status
        claim.request_information()
        claim.waiting_since = now
        claim.information_due_on = due_on
        _save(claim, now, "waiting_since", "information_due_on")
        event_record(
            claim,
            EventKind.INFORMATION_REQUESTED,
            actor=actor,
            now=now,
            from_status=before,
            to_status=claim.status,
            text=message,
            due_on=due_on,
        )
        tell_claimant(claim, event="claim_information_requested", now=now, text=message, due_on=day(due_on))


def claim_staff_message(*, actor: Actor, claim_id: int, seen_status: str, text: str, now: datetime.datetime) -> None:
    """The case worker writes to the claimant (their inbox, the claim's timeline)."""
    message = _text(text, code="text_required")
    with transaction.atomic():
        claim = _staff_lock(actor=actor, claim_id=claim_id, seen_status=seen_status)
        if claim.status == ClaimStatus.WITHDRAWN:
            raise _refuse_move(claim)
        event_record(claim, EventKind.MESSAGE_FROM_STAFF, actor=actor, now=now, text=message)
        claim.updated_at = now
        claim.save(update_fields=["updated_at"])
        tell_claimant(claim, event="claim_message", now=now, text=message)


def computed(claim: Claim, *, today: datetime.date) -> Computed:
    """The claim computed now, from the registers and the corrections recorded."""
    scheme = scheme_of_claim(claim)
    return compute(
        scheme_code=claim.scheme,
        scheme=scheme if isinstance(scheme, ComposedScheme) else None,
        person_id=claim.person_id,
        subject_person_id=claim.subject_person_id,
        month=Period.parse(claim.month),
        today=today,
        corrections=claim.corrections,
    )


def claim_input_correct(
    *,
    actor: Actor,
    claim_id: int,
    seen_status: str,
    member: int,
    input_name: str,
    period: str,
    value: str,
    reason: str,
    now: datetime.datetime,
) -> None:
    """Record a corrected input with its reason: the engine computes over it from then on."""
    why = _text(reason)
    with transaction.atomic():
        claim = _staff_lock(actor=actor, claim_id=claim_id, seen_status=seen_status)
        if claim.status not in (ClaimStatus.IN_REVIEW, ClaimStatus.APPEALED):
            raise _refuse_move(claim)
        _require_assigned(claim, actor)
        members = len(computed(claim, today=timezone.localdate(now)).family.members)
        try:
            checked_period, checked_value = correction_check(
                input_name=input_name, period=period, value=value, members=members, member=member
            )
        except CorrectionRefused as refused:
            # Each reason its own message (the engine's code is no sentence).
            raise ClaimRefused(f"correction_{refused.code}") from None
        correction = {
            "member": member,
            "input": input_name,
            "period": checked_period,
            "value": checked_value,
            "reason": why,
            "by": actor.user_id,
            "at": now.isoformat(),
        }
        claim.corrections = [*claim.corrections, correction]
        _save(claim, now, "corrections")
        shown = f"{input_name}{f' ({checked_period})' if checked_period else ''} = {checked_value}: {why}"
        event_record(claim, EventKind.INPUT_CORRECTED, actor=actor, now=now, text=shown)


def _needs_second_person(*, kind: str, outcome: str, amount: Decimal) -> bool:
    if kind == DecisionKind.APPEAL or outcome == DecisionOutcome.REFUSED:
        return True
    return amount > settings.BENEFIT_FOUR_EYES_ABOVE


def _proposal(claim: Claim, *, actor: Actor, kind: str, outcome: str, reason: str, now: datetime.datetime) -> Decision:
    result = computed(claim, today=timezone.localdate(now))
    explanation = result.explanation
    granting = outcome in (DecisionOutcome.GRANTED, DecisionOutcome.REVISED)
    if granting and (not explanation.eligible or explanation.amount <= 0):
        raise ClaimRefused("amount_invalid")
    amount = explanation.amount if granting else Decimal("0.00")
    if outcome == DecisionOutcome.UPHELD:
        final = claim.decisions.filter(kind=DecisionKind.FIRST, state=DecisionState.FINAL).first()
        amount = final.amount if final is not None else Decimal("0.00")
    scheme = scheme_of_claim(claim)
    start = Period.parse(claim.month).first_day
    end: datetime.date | None = None
    if periodicity_of(scheme) == Periodicity.ONCE:
        end = start
    else:
        death = result.family.members[0].person.death_date
        if death is not None:
            end = Period.of(death).last_day
        if isinstance(scheme, ComposedScheme) and scheme.valid_until is not None:
            end = min(end, scheme.valid_until) if end is not None else scheme.valid_until
    Decision.objects.filter(claim=claim, kind=kind, state=DecisionState.PROPOSED).update(state=DecisionState.RETURNED)
    return Decision.objects.create(
        claim=claim,
        kind=kind,
        outcome=outcome,
        amount=amount,
        periodicity=periodicity_of(scheme),
        start_on=start if granting or outcome == DecisionOutcome.UPHELD else None,
        end_on=end if granting or outcome == DecisionOutcome.UPHELD else None,
        reason=reason,
        computation=explanation_json(result, corrections=claim.corrections),
        rules_fingerprint=explanation.rules_version.fingerprint,
        openfisca_core=explanation.rules_version.openfisca_core,
        needs_second_person=_needs_second_person(kind=kind, outcome=outcome, amount=amount),
        proposed_by_id=actor.signed_in_user_id,
        proposed_at=now,
    )


def claim_decision_propose(
    *, actor: Actor, claim_id: int, seen_status: str, outcome: str, reason: str, now: datetime.datetime
) -> str:
    """The assigned case worker proposes to grant (the engine's amount) or refuse, with the
    reasons the claimant reads. A grant within the four-eyes amount is decided at once; any other
    waits for a second case worker. Returns the claim's new status."""
    why = _text(reason)
    if outcome not in (DecisionOutcome.GRANTED, DecisionOutcome.REFUSED):
        raise ClaimRefused("outcome_required")
    with transaction.atomic():
        claim = _staff_lock(actor=actor, claim_id=claim_id, seen_status=seen_status)
        if not can_proceed(claim.propose):
            raise _refuse_move(claim)
        _require_assigned(claim, actor)
        decision = _proposal(claim, actor=actor, kind=DecisionKind.FIRST, outcome=outcome, reason=why, now=now)
        before = claim.status
        claim.propose()
        _save(claim, now)
        event_record(
            claim, EventKind.PROPOSED, actor=actor, now=now, from_status=before, to_status=claim.status, text=why
        )
        if not decision.needs_second_person:
            _finalise(claim, decision, actor=actor, now=now)
    return claim.status


def claim_appeal_propose(
    *, actor: Actor, claim_id: int, seen_status: str, outcome: str, reason: str, now: datetime.datetime
) -> None:
    """A case worker who took no part in the decision proposes the appeal's outcome: the
    decision confirmed, or changed to a grant of the engine's amount (over the corrections)."""
    why = _text(reason)
    if outcome not in (DecisionOutcome.UPHELD, DecisionOutcome.REVISED):
        raise ClaimRefused("outcome_required")
    with transaction.atomic():
        claim = _staff_lock(actor=actor, claim_id=claim_id, seen_status=seen_status)
        if not can_proceed(claim.propose_appeal_decision):
            raise _refuse_move(claim)
        if actor.user_id in _first_deciders(claim):
            raise ClaimRefused("appeal_by_decider")
        if claim.assigned_to_id is None:
            claim.assigned_to_id = actor.user_id
        _require_assigned(claim, actor)
        _proposal(claim, actor=actor, kind=DecisionKind.APPEAL, outcome=outcome, reason=why, now=now)
        before = claim.status
        claim.propose_appeal_decision()
        _save(claim, now, "assigned_to")
        event_record(
            claim, EventKind.APPEAL_PROPOSED, actor=actor, now=now, from_status=before, to_status=claim.status, text=why
        )


def claim_proposal_approve(*, actor: Actor, claim_id: int, seen_status: str, now: datetime.datetime) -> str:
    """A second case worker approves the proposal waiting (never its proposer; on an appeal,
    never one who took part in the decision appealed). Returns the claim's new status."""
    with transaction.atomic():
        claim = _staff_lock(actor=actor, claim_id=claim_id, seen_status=seen_status)
        if claim.status not in (ClaimStatus.PROPOSED, ClaimStatus.APPEAL_PROPOSED):
            raise _refuse_move(claim)
        kind = DecisionKind.FIRST if claim.status == ClaimStatus.PROPOSED else DecisionKind.APPEAL
        decision = claim.decisions.select_for_update().get(kind=kind, state=DecisionState.PROPOSED)
        if decision.proposed_by_id == actor.user_id:
            raise ClaimRefused("own_proposal")
        if kind == DecisionKind.APPEAL and actor.user_id in _first_deciders(claim):
            raise ClaimRefused("appeal_by_decider")
        if not staff_has_permission(user_id=actor.user_id or 0, permission=CASE_WORKER_PERMISSION):
            raise NotFound
        _finalise(claim, decision, actor=actor, now=now)
    return claim.status


def claim_proposal_return(
    *, actor: Actor, claim_id: int, seen_status: str, reason: str, now: datetime.datetime
) -> None:
    """The second case worker sends the proposal back, with why: the claim is examined again."""
    why = _text(reason)
    with transaction.atomic():
        claim = _staff_lock(actor=actor, claim_id=claim_id, seen_status=seen_status)
        if claim.status == ClaimStatus.PROPOSED:
            kind, move, event = DecisionKind.FIRST, claim.return_proposal, EventKind.PROPOSAL_RETURNED
        elif claim.status == ClaimStatus.APPEAL_PROPOSED:
            kind, move, event = DecisionKind.APPEAL, claim.return_appeal_proposal, EventKind.PROPOSAL_RETURNED
        else:
            raise _refuse_move(claim)
        decision = claim.decisions.select_for_update().get(kind=kind, state=DecisionState.PROPOSED)
        if decision.proposed_by_id == actor.user_id:
            raise ClaimRefused("own_proposal")
        decision.state, decision.returned_reason = DecisionState.RETURNED, why
        decision.save(update_fields=["state", "returned_reason"])
        before = claim.status
        move()
        _save(claim, now)
        event_record(claim, event, actor=actor, now=now, from_status=before, to_status=claim.status, text=why)


def _finalise(claim: Claim, decision: Decision, *, actor: Actor, now: datetime.datetime) -> None:
    """The decision becomes final: the claim moves, an entitlement opens on a grant (an
    appeal's grant replaces the one in force), the letter is issued and sent as a legal notice."""
    today = timezone.localdate(now)
    decision.state = DecisionState.FINAL
    decision.approved_by_id = actor.user_id
    decision.approved_at = now
    before = claim.status
    event: str
    if decision.kind == DecisionKind.FIRST:
        if decision.outcome == DecisionOutcome.GRANTED:
            claim.grant()
            event = EventKind.GRANTED
        else:
            claim.refuse()
            event = EventKind.REFUSED
        claim.appeal_until = today + datetime.timedelta(days=settings.CLAIM_APPEAL_DAYS)
    else:
        claim.decide_appeal()
        event = EventKind.APPEAL_DECIDED
        claim.appeal_until = None
    claim.decided_at = now
    _save(claim, now, "decided_at", "appeal_until")
    if decision.outcome in (DecisionOutcome.GRANTED, DecisionOutcome.REVISED):
        Entitlement.objects.filter(claim=claim, ended_at__isnull=True).update(
            ended_at=now, state=EntitlementState.ENDED
        )
        entitlement = Entitlement.objects.create(
            person_id=claim.person_id,
            claim=claim,
            decision=decision,
            scheme=claim.scheme,
            periodicity=decision.periodicity,
            amount=decision.amount,
            start_on=decision.start_on or Period.parse(claim.month).first_day,
            end_on=decision.end_on,
            iban=claim.iban,
            opened_at=now,
        )
        entitlement_amounts_open(entitlement, now=now)
    letter = letters.decision_letter_issue(
        claim=claim, decision=decision, scheme=scheme_of_claim(claim), issued_by_id=actor.user_id, now=now
    )
    decision.letter_document_id = letter.document_id
    decision.letter = letter.content
    decision.letter_language = letter.language
    decision.save()
    event_record(claim, event, actor=actor, now=now, from_status=before, to_status=claim.status, text=decision.reason)
    tell_claimant(
        claim,
        event="claim_decided",
        now=now,
        outcome=decision.outcome,
        kind=decision.kind,
        appeal_until=day(claim.appeal_until) if claim.appeal_until else "",
    )


# The work queues of the back office, each a condition on claims for one case worker and day.
QUEUES = ("unassigned", "mine", "waiting", "late", "appeals", "to_approve")


def queue_condition(queue: str, *, user_id: int, today: datetime.date) -> Q:
    """The claims in ``queue`` for the case worker ``user_id`` on ``today``: unassigned or
    assigned to them among those with work to do; waiting for the claimant; past the deadline
    (which does not run while the claimant is waited for: the services move it); appeals; and
    proposals waiting for a second case worker, but not their own."""
    work = [str(state) for state in TO_WORK_ON]
    appeals = [str(ClaimStatus.APPEALED), str(ClaimStatus.APPEAL_PROPOSED)]
    proposals = [str(ClaimStatus.PROPOSED), str(ClaimStatus.APPEAL_PROPOSED)]
    own_proposal = Exists(
        Decision.objects.filter(claim=OuterRef("pk"), state=DecisionState.PROPOSED, proposed_by_id=user_id)
    )
    conditions = {
        "unassigned": Q(assigned_to__isnull=True, status__in=work),
        "mine": Q(assigned_to_id=user_id, status__in=work),
        "waiting": Q(status=ClaimStatus.INFORMATION_REQUESTED),
        "late": Q(status__in=work, due_on__lt=today),
        "appeals": Q(status__in=appeals),
        "to_approve": Q(~own_proposal, status__in=proposals),
    }
    return conditions[queue]


def queue_counts(*, user_id: int, today: datetime.date) -> dict[str, int]:
    """How many claims each work queue holds (one query)."""
    found: dict[str, Any] = Claim.objects.aggregate(
        **{name: Count("pk", filter=queue_condition(name, user_id=user_id, today=today)) for name in QUEUES}
    )
    return {name: int(found[name] or 0) for name in QUEUES}
