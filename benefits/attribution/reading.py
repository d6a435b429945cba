"""What the person, and those acting for them, read of the benefits proposed without an
application: the list, and a proposal's page — what it pays and from when, about whom, what
triggered it, why it is due (the conditions the engine checked, worded again in the reader's
language from the computation kept), whether a bank account is on file, and whether the reader
may answer.

Only a proposal offered to the person is theirs to read: one still waiting for a case worker's
verification (or withdrawn by one before it was offered) is not shown. Who may read them is who
may read the person's claims; every read by anyone but the person is written in their trail."""

from __future__ import annotations

import datetime

from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext as _

from benefits.catalogue import BY_CODE, Periodicity
from benefits.claims.computation import conditions_of
from benefits.models import Proposal, ProposalStatus, ProposalTrigger
from benefits.payments.wording import masked, scheme_titles
from benefits.policies import can_manage_claims, can_view_claims
from benefits.types import ProposalPage, ProposalRow
from benefits.wording import reasons
from core.actor import Actor
from core.audit import file_view_record
from core.types import Scope
from identity.selectors import bank_account_on_file, person_names

# What the trail says was read (core.audit words it for the person).
READ_DETAIL = "benefits proposed"
# The note the re-evaluation writes on a proposal no longer due (attribution.proposals): told to
# the person in their language rather than as stored.
NO_LONGER_DUE_NOTE = "re-evaluated: no longer due"


def _status_label(status: str) -> str:
    return str(ProposalStatus(status).label)


def proposal_list(*, actor: Actor, person_id: int, now: datetime.datetime) -> list[ProposalRow] | None:
    """The benefits proposed to the person: those waiting for an answer first, then the others,
    newest first. None when the actor may not read the person's claims. Three queries, however
    many proposals."""
    if not can_view_claims(actor=actor, person_id=person_id):
        return None
    file_view_record(actor=actor, subject_person_id=person_id, what=READ_DETAIL, now=now)
    rows = list(
        Proposal.objects.filter(person_id=person_id, offered_at__isnull=False)
        .annotate(
            waiting=Case(
                When(status=ProposalStatus.OFFERED, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .only(
            "reference",
            "subject_id",
            "scheme",
            "periodicity",
            "month",
            "amount",
            "status",
            "created_at",
            "offered_at",
            "answered_at",
        )
        .order_by("waiting", "-created_at", "-pk")
    )
    titles = scheme_titles()
    names = person_names(person_ids=sorted({row.subject_id for row in rows if row.subject_id}))
    return [
        ProposalRow(
            proposal_id=row.pk,
            reference=row.reference,
            title=titles.get(row.scheme, row.scheme),
            about=names.get(row.subject_id, "") if row.subject_id else "",
            amount=row.amount,
            monthly=row.periodicity == Periodicity.MONTHLY,
            month=row.month,
            status=row.status,
            status_label=_status_label(row.status),
            offered_at=row.offered_at or row.created_at,
            answered_at=row.answered_at,
        )
        for row in rows
    ]


def _note(proposal: Proposal) -> str:
    if proposal.status == ProposalStatus.WITHDRAWN and proposal.note == NO_LONGER_DUE_NOTE:
        return _("Computed again on the data as they are now, the benefit is not due.")
    return proposal.note


def proposal_page(*, actor: Actor, proposal_id: int, now: datetime.datetime) -> ProposalPage | None:
    """A benefit proposed, for who may read the person's claims; None for anyone else, and for a
    proposal that does not exist or was not offered (the page answers 404 alike)."""
    proposal = (
        Proposal.objects.select_related("event", "entitlement", "explanation_template")
        .filter(pk=proposal_id, offered_at__isnull=False)
        .first()
    )
    if proposal is None or not can_view_claims(actor=actor, person_id=proposal.person_id):
        return None
    file_view_record(actor=actor, subject_person_id=proposal.person_id, what=READ_DETAIL, now=now)
    description = BY_CODE.get(proposal.scheme)
    account = bank_account_on_file(person_id=proposal.person_id)
    about = person_names(person_ids=[proposal.subject_id]).get(proposal.subject_id, "") if proposal.subject_id else ""
    entitlement = proposal.entitlement
    return ProposalPage(
        proposal_id=proposal.pk,
        reference=proposal.reference,
        title=scheme_titles().get(proposal.scheme, proposal.scheme),
        slug=description.slug if description is not None else "",
        about=about,
        trigger_label=str(ProposalTrigger(proposal.trigger).label),
        event_on=proposal.event.occurred_on if proposal.event is not None else None,
        amount=proposal.amount,
        monthly=proposal.periodicity == Periodicity.MONTHLY,
        month=proposal.month,
        status=proposal.status,
        status_label=_status_label(proposal.status),
        offered_at=proposal.offered_at or proposal.created_at,
        answered_at=proposal.answered_at,
        reasons=reasons(conditions_of(proposal.explanation)),
        legal_basis=description.legal_basis if description is not None else "",
        account_on_file=account.masked if account is not None else "",
        may_answer=proposal.status == ProposalStatus.OFFERED
        and can_manage_claims(actor=actor, person_id=proposal.person_id),
        may_set_account=actor.may(Scope.MANAGE_PAYMENT_DETAILS),
        note=_note(proposal),
        entitlement_id=entitlement.pk if entitlement is not None else None,
        paid_to=masked(entitlement.iban) if entitlement is not None else "",
        claim_id=proposal.claim_id,
    )
