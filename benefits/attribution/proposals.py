"""Benefits proposed without any application.

- **From a life event** (``event_propose``, queued once the event is applied): a birth proposes
  the birth grant and the family allowance to the first parent entitled; a marriage, the
  marriage grant to each spouse entitled; a death, the survivor's pension (from the month after)
  and the funeral grant to the surviving spouse.
- Each proposal is computed by the rules engine from the registry and the record as they are, the
  events of a batch together (``together``: the families a case worker's decision reads, one
  simulation per benefit and month): its amount, every condition with its values, the rules'
  fingerprint and the data's version. A right already proposed (the same person, benefit,
  subject and month; a benefit about a child or the deceased, to anyone) is never proposed
  again: database constraints.
- **Verification**: a rule switched to automatic verification offers the proposal at once, but
  for a random share (the rule's sample) sent to the case workers' queue like the others.
- **Offered**: the person and the proxies who manage their claims are told what they would
  receive, from when, and whether a bank account is needed; the person (or such a proxy)
  **accepts** — the entitlement opens, paid by the next run — **declines**, or **disputes** it:
  a claim is filed for the same benefit with their words, decided in the claims' case work.
- **Re-evaluated** (``person_proposals_reevaluate``): when the person's data change, their open
  proposals are computed again; one no longer due is withdrawn.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import JSONField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone, translation

from benefits.attribution.together import (
    Birth,
    Candidate,
    RunReads,
    birth_candidates,
    candidates_propose,
    death_candidates,
    marriage_candidates,
)
from benefits.attribution.versions import data_version, data_versions
from benefits.attribution.writing import Written, written_of
from benefits.claims.computation import compute, explanation_json
from benefits.models import (
    OPEN_PROPOSAL_STATUSES,
    Claim,
    Entitlement,
    LifeEvent,
    LifeEventKind,
    LifeEventState,
    Proposal,
    ProposalStatus,
)
from benefits.payments.amounts import entitlement_amounts_open
from benefits.policies import can_manage_claims
from benefits.trail import trail
from benefits.types import ProposalRefused
from benefits.wording import euros
from core.actor import Actor
from core.db import any_of
from core.errors import NotFound
from core.periods import Period
from core.types import Scope
from identity.selectors import (
    account_facts,
    bank_account_on_file,
    last_marriages_of,
    person_ids_by_national_numbers,
    person_names,
    persons_with_bank_account,
)
from mandates.selectors import recipients_with_proxies_for
from notifications.services import notify_many
from notifications.types import Notice

logger = logging.getLogger(__name__)

# A number no proposal's address holds otherwise (``proposals_tell``).
_NUMBER = 987654321987


@dataclass(frozen=True)
class Computed:
    amount: Decimal
    computation: dict
    rules_fingerprint: str
    openfisca_core: str


def _computed(
    *, scheme: str, person_id: int, subject_id: int | None, month: Period, today: datetime.date
) -> Computed | None:
    """The benefit as the engine computes it for the month, None when not due."""
    result = compute(
        scheme_code=scheme,
        scheme=None,
        person_id=person_id,
        subject_person_id=subject_id or 0,
        month=month,
        today=today,
    )
    explanation = result.explanation
    if not explanation.eligible or explanation.amount <= 0:
        return None
    data = explanation_json(result)
    return Computed(
        amount=explanation.amount,
        computation=data,
        rules_fingerprint=explanation.rules_version.fingerprint,
        openfisca_core=explanation.rules_version.openfisca_core,
    )


def proposal_explain(proposal: Proposal, *, now: datetime.datetime) -> Computed | None:
    """The full computation of a proposal the pension-age scan made in bulk (its amount and the
    values of each condition, with the reasons), for the person, on today's data; None when it
    is not due any more."""
    return _computed(
        scheme=proposal.scheme,
        person_id=proposal.person_id,
        subject_id=proposal.subject_id,
        month=Period.of(proposal.month),
        today=timezone.localdate(now),
    )


def _offer(proposal: Proposal, *, user_id: int | None, now: datetime.datetime) -> None:
    proposal.status = ProposalStatus.OFFERED
    proposal.verified_at = now
    proposal.verified_by_id = user_id
    proposal.offered_at = now
    proposal.save(update_fields=["status", "verified_at", "verified_by", "offered_at"])
    proposal_tell(proposal, event="benefit_proposed", now=now)


def proposal_tell(proposal: Proposal, *, event: str, now: datetime.datetime) -> None:
    """The person and the proxies who manage their claims."""
    proposals_tell([written_of(proposal)], event=event, now=now)


def proposals_tell(proposals: Sequence[Written], *, event: str, now: datetime.datetime) -> int:
    """Each person and the proxies who manage their claims, about their proposal: the queries of
    one notice whatever the number of proposals (a batch of births). Returns the notices stored."""
    if not proposals:
        return 0
    recipients = recipients_with_proxies_for(
        person_ids=sorted({proposal.person_id for proposal in proposals}),
        scope=Scope.MANAGE_CLAIMS,
        on=timezone.localdate(now),
    )
    # Nobody to tell on the portal (no account, no proxy with one): no notice to store.
    told = [proposal for proposal in proposals if proposal.person_id in recipients]
    if not told:
        return 0
    person_ids = sorted({proposal.person_id for proposal in told})
    names = person_names(person_ids=person_ids)
    with_account = persons_with_bank_account(person_ids=person_ids)
    # Each proposal's page, its number put in one address made once (a batch tells thousands).
    link = reverse("benefits:proposal", args=[_NUMBER]).replace(str(_NUMBER), "{}")
    return notify_many(
        event=event,
        notices=(
            Notice(
                recipients=tuple(recipients.get(proposal.person_id, ())),
                context={
                    "beneficiary": names.get(proposal.person_id, ""),
                    "reference": proposal.reference,
                    "scheme": proposal.scheme,
                    "amount": euros(proposal.amount),
                    "periodicity": proposal.periodicity,
                    "month": str(Period.of(proposal.month)),
                    "account_needed": proposal.person_id not in with_account,
                    "note": proposal.note,
                },
                link=link.format(proposal.pk),
            )
            for proposal in told
        ),
        now=now,
    )


# --- From life events --------------------------------------------------------------------------


class _Applied(NamedTuple):
    """What proposing reads of an applied event (a batch reads 5,000: no model instance)."""

    pk: int
    kind: str
    occurred_on: datetime.date
    person_id: int | None
    numbers: list[str] | None  # a birth's parents, a marriage's spouses (read alone: not the whole data)


_NUMBERS = RawSQL(
    "CASE benefits_lifeevent.kind WHEN %s THEN benefits_lifeevent.data -> 'parents'"
    " WHEN %s THEN benefits_lifeevent.data -> 'spouses' END",
    [LifeEventKind.BIRTH, LifeEventKind.MARRIAGE],
    output_field=JSONField(),
)


def _candidates(events: Sequence[_Applied]) -> list[Candidate]:
    """What the events may open: a birth, the birth grant and the family allowance to the first
    parent entitled; a marriage, the marriage grant to each spouse; a death, the survivor's
    pension and the funeral grant to the spouse whose marriage it ended."""
    numbers = [
        number
        for event in events
        if event.kind in (LifeEventKind.BIRTH, LifeEventKind.MARRIAGE)
        for number in event.numbers or ()
    ]
    known = person_ids_by_national_numbers(numbers=numbers) if numbers else {}
    deaths = [event for event in events if event.kind == LifeEventKind.DEATH and event.person_id is not None]
    last = last_marriages_of(person_ids=[event.person_id for event in deaths if event.person_id]) if deaths else {}
    return [
        *birth_candidates(
            Birth(
                event_id=event.pk,
                child_id=event.person_id,
                month=Period.of(event.occurred_on),
                parent_ids=tuple(known[number] for number in event.numbers or () if number in known),
            )
            for event in events
            if event.kind == LifeEventKind.BIRTH and event.person_id is not None
        ),
        *marriage_candidates(
            (
                event.pk,
                tuple(known[number] for number in event.numbers or () if number in known),
                event.occurred_on,
            )
            for event in events
            if event.kind == LifeEventKind.MARRIAGE
        ),
        *death_candidates(
            (event.pk, event.person_id, event.occurred_on, last[event.person_id].spouse_id)
            for event in deaths
            if event.person_id in last and last[event.person_id].ended_on == event.occurred_on
        ),
    ]


def events_propose(*, event_ids: Sequence[int], now: datetime.datetime) -> int:
    """The proposals the applied events open, all together (``together``: one simulation per
    benefit and month), in one transaction (safe to run twice: each right once; events another
    worker holds are skipped). Marks the events proposed; returns the proposals created."""
    return _propose(_to_propose().filter(pk__in=any_of(event_ids)), now=now)[1]


def _to_propose() -> QuerySet[LifeEvent]:
    return LifeEvent.objects.filter(state=LifeEventState.APPLIED, proposed_at__isnull=True, person__isnull=False)


def _propose(
    events_query: QuerySet[LifeEvent],
    *,
    now: datetime.datetime,
    limit: int | None = None,
    reads: RunReads | None = None,
) -> tuple[int, int]:
    """The proposals of the events of ``events_query`` (to propose; the oldest ``limit``), in
    one transaction, those another worker holds skipped: the events proposed, and the
    proposals created. ``reads``: what the run's earlier batches read (``together.RunReads``)."""
    with transaction.atomic():
        events = [
            _Applied(*row)
            for row in events_query.select_for_update(skip_locked=True)
            .order_by("pk")
            .annotate(numbers=_NUMBERS)
            .values_list("pk", "kind", "occurred_on", "person_id", "numbers")[:limit]
        ]
        if not events:
            return 0, 0
        created = candidates_propose(candidates=_candidates(events), now=now, reads=reads)
        proposals_tell(
            [proposal for proposal in created if proposal.status == ProposalStatus.OFFERED],
            event="benefit_proposed",
            now=now,
        )
        LifeEvent.objects.filter(pk__in=any_of(event.pk for event in events)).update(proposed_at=now)
    return len(events), len(created)


def event_propose(*, event_id: int, now: datetime.datetime) -> list[int]:
    """The proposals an applied event opens (``events_propose`` for one); returns the event's
    proposals."""
    events_propose(event_ids=[event_id], now=now)
    return list(Proposal.objects.filter(event_id=event_id).order_by("pk").values_list("pk", flat=True))


def events_to_propose(*, limit: int = 500) -> list[int]:
    """Events applied whose proposals were not made."""
    return list(_to_propose().order_by("pk").values_list("pk", flat=True)[:limit])


def events_propose_all(*, now: datetime.datetime, chunk: int = 5000) -> int:
    """Every applied event's proposals, a batch after the other (what the queue's task and the
    reconciler run), each person's career read once for the run; returns the proposals
    created. Each batch takes the oldest events no other worker holds: two workers share the
    work."""
    created = 0
    reads = RunReads()
    while True:
        proposed, made = _propose(_to_propose(), now=now, limit=chunk, reads=reads)
        created += made
        if not proposed:
            return created  # none left, or all held by other workers


# --- Verification and the person's answer ------------------------------------------------------


def _locked(proposal_id: int) -> Proposal:
    proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound
    return proposal


def _computed_again(proposal: Proposal, computed: Computed, *, version: str) -> None:
    """The proposal's amount and computation as computed now (kept whole: no batch's template)."""
    proposal.amount, proposal.computation = computed.amount, computed.computation
    proposal.explanation_template, proposal.explanation_values = None, None
    proposal.rules_fingerprint, proposal.openfisca_core = computed.rules_fingerprint, computed.openfisca_core
    proposal.data_version = version
    proposal.save(
        update_fields=[
            "amount",
            "computation",
            "explanation_template",
            "explanation_values",
            "rules_fingerprint",
            "openfisca_core",
            "data_version",
        ]
    )


def proposal_verify(*, proposal_id: int, user_id: int, approve: bool, note: str, now: datetime.datetime) -> None:
    """A case worker confirms a proposal (it is offered to the person) or withdraws it, with the
    reason. Never their own."""
    with transaction.atomic():
        proposal = _locked(proposal_id)
        if proposal.status != ProposalStatus.TO_VERIFY:
            raise ProposalRefused("not_to_verify")
        if _own(proposal, user_id):
            raise ProposalRefused("own_proposal")
        if approve:
            if proposal.explanation.get("summary"):
                # Computed in bulk by the scan: computed in full for the person now.
                computed = proposal_explain(proposal, now=now)
                if computed is None:
                    raise ProposalRefused("not_due_any_more")
                _computed_again(
                    proposal,
                    computed,
                    version=data_version(person_id=proposal.person_id, today=timezone.localdate(now)),
                )
            _offer(proposal, user_id=user_id, now=now)
            return
        if not note.strip():
            raise ProposalRefused("reason_required")
        proposal.status, proposal.note = ProposalStatus.WITHDRAWN, note.strip()[:500]
        proposal.verified_at, proposal.verified_by_id = now, user_id
        proposal.save(update_fields=["status", "note", "verified_at", "verified_by"])


def _own(proposal: Proposal, user_id: int) -> bool:
    person_id = account_facts(user_id=user_id).person_id
    return person_id is not None and person_id in (proposal.person_id, proposal.subject_id)


def _answerable(actor: Actor, proposal_id: int) -> Proposal:
    proposal = _locked(proposal_id)
    if not can_manage_claims(actor=actor, person_id=proposal.person_id):
        raise NotFound
    if proposal.status != ProposalStatus.OFFERED:
        raise ProposalRefused("not_offered")
    return proposal


def proposal_accept(*, actor: Actor, proposal_id: int, now: datetime.datetime) -> int:
    """The person (or a proxy managing their claims) accepts: the entitlement opens from the
    proposal's month, paid by the next run to the account on file. Returns the entitlement."""
    with transaction.atomic():
        proposal = _answerable(actor, proposal_id)
        account = bank_account_on_file(person_id=proposal.person_id)
        if account is None:
            raise ProposalRefused("bank_account_needed")
        entitlement = Entitlement.objects.create(
            person_id=proposal.person_id,
            scheme=proposal.scheme,
            periodicity=proposal.periodicity,
            amount=proposal.amount,
            start_on=proposal.month,
            iban=account.iban,
            opened_at=now,
        )
        entitlement_amounts_open(entitlement, now=now)
        proposal.status, proposal.entitlement = ProposalStatus.ACCEPTED, entitlement
        proposal.answered_at, proposal.answered_by_id = now, actor.signed_in_user_id
        proposal.save(update_fields=["status", "entitlement", "answered_at", "answered_by"])
        trail(actor=actor, person_id=proposal.person_id, detail="benefit proposed accepted", now=now)
    return entitlement.pk


def proposal_decline(*, actor: Actor, proposal_id: int, reason: str, now: datetime.datetime) -> None:
    """The person (or a proxy managing their claims) declines; the right is not proposed again."""
    with transaction.atomic():
        proposal = _answerable(actor, proposal_id)
        proposal.status, proposal.note = ProposalStatus.DECLINED, reason.strip()[:500]
        proposal.answered_at, proposal.answered_by_id = now, actor.signed_in_user_id
        proposal.save(update_fields=["status", "note", "answered_at", "answered_by"])
        trail(actor=actor, person_id=proposal.person_id, detail="benefit proposed declined", now=now)


# --- Re-evaluation ------------------------------------------------------------------------------


def person_proposals_reevaluate(*, person_id: int, now: datetime.datetime) -> int:
    """The person's open proposals computed again on today's data: a new amount replaces the old
    (the person is told again if it was offered), one no longer due is withdrawn. Returns how
    many changed."""
    today = timezone.localdate(now)
    changed = 0
    for proposal_id in Proposal.objects.filter(person_id=person_id, status__in=OPEN_PROPOSAL_STATUSES).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            proposal = _locked(proposal_id)
            if proposal.status not in OPEN_PROPOSAL_STATUSES:
                continue
            computed = _computed(
                scheme=proposal.scheme,
                person_id=proposal.person_id,
                subject_id=proposal.subject_id,
                month=Period.of(proposal.month),
                today=today,
            )
            version = data_version(person_id=person_id, today=today)
            if computed is None:
                proposal.status, proposal.note = ProposalStatus.WITHDRAWN, "re-evaluated: no longer due"
                proposal.data_version = version
                proposal.save(update_fields=["status", "note", "data_version"])
                changed += 1
                continue
            if computed.amount == proposal.amount and version == proposal.data_version:
                continue
            moved = computed.amount != proposal.amount
            _computed_again(proposal, computed, version=version)
            if moved:
                changed += 1
                if proposal.status == ProposalStatus.OFFERED:
                    proposal_tell(proposal, event="benefit_proposed", now=now)
    return changed


def proposals_reevaluate_about(*, person_ids: Sequence[int], now: datetime.datetime) -> int:
    """The open proposals to or about these persons computed again at once: the registry changed
    what they are computed from (a death recorded or its date corrected, a move). Returns how
    many changed."""
    owners = sorted(
        set(
            Proposal.objects.filter(status__in=OPEN_PROPOSAL_STATUSES)
            .filter(Q(person_id__in=list(person_ids)) | Q(subject_id__in=list(person_ids)))
            .values_list("person_id", flat=True)
        )
    )
    return sum(person_proposals_reevaluate(person_id=person_id, now=now) for person_id in owners)


def proposals_reevaluate_changed(*, now: datetime.datetime) -> int:
    """Every open proposal whose person's record changed since it was computed (its data version
    is not the record's any more: all read in the queries of one) is computed again."""
    open_versions = list(
        Proposal.objects.filter(status__in=OPEN_PROPOSAL_STATUSES).values_list("person_id", "data_version")
    )
    versions = data_versions(
        person_ids=sorted({person_id for person_id, _version in open_versions}), today=timezone.localdate(now)
    )
    stale = {person_id for person_id, version in open_versions if versions[person_id] != version}
    return sum(person_proposals_reevaluate(person_id=person_id, now=now) for person_id in sorted(stale))


def proposal_dispute(
    *, actor: Actor, proposal_id: int, text: str, declared_on_honour: bool, now: datetime.datetime
) -> int:
    """The person (or a proxy managing their claims) disputes the proposal (the amount, the
    month, whom it is about): it becomes a claim filed for the same benefit, with their words,
    decided by a case worker in the claims' case work. Returns the claim."""
    from benefits.claims.filing import claim_submit

    words = text.strip()
    if not words:
        raise ProposalRefused("dispute_empty")
    if len(words) > 2000:
        raise ProposalRefused("dispute_too_long")
    with transaction.atomic():
        proposal = _answerable(actor, proposal_id)
        account = bank_account_on_file(person_id=proposal.person_id)
        if account is None:
            raise ProposalRefused("bank_account_needed")
        subject = (
            person_names(person_ids=[proposal.subject_id]).get(proposal.subject_id, "") if proposal.subject_id else ""
        )
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    person_id=proposal.person_id,
                    scheme=proposal.scheme,
                    subject_person_id=proposal.subject_id or 0,
                    subject_label=subject,
                    month=str(Period.of(proposal.month)),
                    step="declaration",
                    answers={"remarks": words, "disputes": proposal.reference},
                    iban=account.iban,
                    account_holder=account.holder_name,
                    created_at=now,
                    updated_at=now,
                    created_by_id=actor.signed_in_user_id,
                    created_under_mandate_id=actor.mandate_id if actor.acts_for_someone_else else None,
                    language=translation.get_language() or "fr",
                )
        except IntegrityError:
            raise ProposalRefused("claim_open") from None
        claim_submit(actor=actor, claim_id=claim.pk, declared_on_honour=declared_on_honour, now=now)
        proposal.status, proposal.note, proposal.claim = ProposalStatus.DISPUTED, words[:500], claim
        proposal.answered_at, proposal.answered_by_id = now, actor.signed_in_user_id
        proposal.save(update_fields=["status", "note", "claim", "answered_at", "answered_by"])
    return claim.pk
