"""Benefits proposed without any application, end to end: a life event received from the civil
registry is applied to the registry, turned into proposals through the rules engine, verified
(by a case worker, or automatically with a sample), told to the person and their proxies,
accepted (the entitlement opens) and paid in the next run; declined; re-evaluated on a late
declaration; and only when staff switched the rule on."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from benefits import selectors, services
from benefits.models import (
    AttributionRule,
    Claim,
    Entitlement,
    LifeEvent,
    Payment,
    Proposal,
    ProposalStatus,
)
from benefits.types import ProposalRefused
from core.errors import NotFound
from core.periods import Period
from core.types import Scope
from identity.country_profiles import country_profile
from identity.models import BankAccount, FamilyLink, Person
from notifications.models import Notification
from tests.benefits.career_helpers import career
from tests.benefits.claim_helpers import case_worker
from tests.benefits.payment_helpers import IBAN, checked_approved_written
from tests.helpers import act_for, citizen_actor
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
# A day fixed for everything: the event, the proposal, the run (the suite passes on any date).
NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
BORN = D(2026, 3, 2)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _switch_on(trigger: str, scheme: str, *, auto_verify: bool = False, share: str = "0") -> None:
    AttributionRule.objects.filter(trigger=trigger, scheme=scheme).update(
        enabled=True, auto_verify=auto_verify, sample_share=Decimal(share)
    )


def _partner() -> int:
    return services.partner_create(name="Registre", scopes=["birth", "marriage", "death"], user_id=None, now=NOW)[0]


def _mother(*, account: bool = True) -> dict:
    """Ana, insured since 2010 (the birth grant asks six months), with an account on the portal."""
    ana = PersonFactory(first_name="Ana", last_name="Martin", birth_date=D(1985, 3, 2))
    career(ana, "2010-01", "2025-12", "2500.00")
    user = UserFactory(person=ana)
    if account:
        BankAccount.objects.create(person=ana, iban=IBAN, holder_name="Ana Martin", created_at=NOW, created_by=user)
    return {"person": ana, "user": user, "actor": citizen_actor(user)}


def _birth_event(partner_id: int, mother: Person, serial: int = 31) -> str:
    number = country_profile().synthetic_person_number(BORN, serial)
    services.life_events_receive(
        partner_id=partner_id,
        events=[
            services.EventInput(
                partner_event_id=f"EC-{serial}",
                kind="birth",
                occurred_on=BORN,
                data={
                    "child": {"national_number": number, "first_name": "Léo", "last_name": "Martin"},
                    "parents": [mother.national_number],
                },
            )
        ],
        now=NOW,
    )
    services.life_events_apply(now=NOW)
    event = LifeEvent.objects.get(partner_event_id=f"EC-{serial}")
    services.life_event_propose(event_id=event.pk, now=NOW)
    return number


def test_a_birth_becomes_a_verified_birth_grant_told_accepted_and_paid_in_the_next_run():
    _switch_on("birth", "birth_grant")
    mother = _mother()
    # Her daughter manages her claims under a mandate: told too.
    daughter, _mandate = act_for(Client(), mother["user"], [Scope.MANAGE_CLAIMS], last_name="Daughter")

    child_number = _birth_event(_partner(), mother["person"])

    # The registry: the child and the link.
    child = Person.objects.get(national_number=child_number)
    assert FamilyLink.objects.filter(person=mother["person"], relative=child, kind="parent_child").exists()
    # The proposal: computed, waiting for a case worker.
    proposal = Proposal.objects.get()
    assert (proposal.person_id, proposal.subject_id, proposal.scheme, proposal.month, proposal.amount) == (
        mother["person"].pk,
        child.pk,
        "birth_grant",
        D(2026, 3, 1),
        Decimal("1200.00"),
    )
    assert (proposal.status, proposal.trigger, proposal.reference) == (
        ProposalStatus.TO_VERIFY,
        "birth",
        f"PRO-2026-{proposal.pk:06d}",
    )
    assert proposal.explanation["eligible"] is True and proposal.explanation["amount"] == "1200.00"
    assert proposal.rules_fingerprint and proposal.data_version
    assert not Notification.objects.filter(event_type="benefit_proposed").exists()

    # Verified by a case worker: told to Ana and her daughter.
    services.proposal_verify(proposal_id=proposal.pk, user_id=case_worker()[0].pk, approve=True, note="", now=NOW)
    told = Notification.objects.filter(event_type="benefit_proposed")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([mother["user"].pk, daughter.pk])

    # Accepted: the entitlement opens, and the March run pays it once.
    entitlement_id = services.proposal_accept(actor=mother["actor"], proposal_id=proposal.pk, now=NOW)
    entitlement = Entitlement.objects.get(pk=entitlement_id)
    assert (entitlement.scheme, entitlement.periodicity, entitlement.amount, entitlement.start_on) == (
        "birth_grant",
        "once",
        Decimal("1200.00"),
        D(2026, 3, 1),
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.entitlement_id, proposal.answered_by_id) == (
        ProposalStatus.ACCEPTED,
        entitlement_id,
        mother["user"].pk,
    )
    run = services.payment_run_prepare(period=Period(2026, 3), user_id=None, now=NOW)
    checked_approved_written(run.run_id, NOW)
    payment = Payment.objects.get(entitlement=entitlement)
    assert (payment.amount, payment.iban) == (Decimal("1200.00"), IBAN)
    # The outcomes staff read: opened without an application, proposed the hour the event came,
    # paid on the run of the month the right opened (28 March, 423 hours after the event).
    (outcome,) = selectors.attribution_outcomes(since=NOW - datetime.timedelta(days=1))
    assert (outcome.scheme, outcome.opened, outcome.proactive_percent) == ("birth_grant", 1, Decimal("100.0"))
    assert outcome.hours_to_proposal == (Decimal("0.0"), Decimal("0.0"))
    assert outcome.hours_to_payment == (Decimal("423.0"), Decimal("423.0"))
    assert (outcome.paid, outcome.paid_on_time_percent) == (1, Decimal("100.0"))
    # Answered: a second answer is refused, nothing changes.
    with pytest.raises(ProposalRefused) as refused:
        services.proposal_accept(actor=mother["actor"], proposal_id=proposal.pk, now=NOW)
    assert refused.value.code == "not_offered"
    assert Entitlement.objects.count() == 1


def test_a_rule_switched_off_proposes_nothing_and_the_same_event_twice_proposes_once():
    mother = _mother()
    partner_id = _partner()
    _birth_event(partner_id, mother["person"], serial=41)
    assert not Proposal.objects.exists()

    _switch_on("birth", "birth_grant", auto_verify=True)
    event = LifeEvent.objects.get()
    LifeEvent.objects.filter(pk=event.pk).update(proposed_at=None)
    first = services.life_event_propose(event_id=event.pk, now=NOW)
    LifeEvent.objects.filter(pk=event.pk).update(proposed_at=None)
    second = services.life_event_propose(event_id=event.pk, now=NOW)

    assert first == second and len(first) == 1
    assert Proposal.objects.count() == 1


@pytest.mark.parametrize(("share", "status", "sampled"), [("0", "offered", False), ("1", "to_verify", True)])
def test_automatic_verification_offers_at_once_but_for_the_sample_sent_to_a_case_worker(share, status, sampled):
    _switch_on("birth", "birth_grant", auto_verify=True, share=share)
    mother = _mother()

    _birth_event(_partner(), mother["person"])

    proposal = Proposal.objects.get()
    assert (proposal.status, proposal.sampled, proposal.verified_automatically) == (status, sampled, not sampled)
    told = Notification.objects.filter(event_type="benefit_proposed", recipient=mother["user"]).count()
    assert told == (1 if status == "offered" else 0)


def test_accepting_without_a_bank_account_is_refused_and_declining_keeps_the_reason():
    _switch_on("birth", "birth_grant", auto_verify=True)
    mother = _mother(account=False)
    _birth_event(_partner(), mother["person"])
    proposal = Proposal.objects.get()

    with pytest.raises(ProposalRefused) as refused:
        services.proposal_accept(actor=mother["actor"], proposal_id=proposal.pk, now=NOW)
    assert refused.value.code == "bank_account_needed"
    assert not Entitlement.objects.exists()

    services.proposal_decline(actor=mother["actor"], proposal_id=proposal.pk, reason="Paid by my employer", now=NOW)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.note) == (ProposalStatus.DECLINED, "Paid by my employer")
    # Another citizen cannot answer it.
    with pytest.raises(NotFound):
        services.proposal_decline(actor=citizen_actor(UserFactory()), proposal_id=proposal.pk, reason="", now=NOW)


def test_a_case_worker_never_verifies_a_proposal_about_themselves_and_withdraws_with_a_reason():
    _switch_on("birth", "birth_grant")
    mother = _mother()
    _birth_event(_partner(), mother["person"])
    proposal = Proposal.objects.get()
    herself = mother["user"]  # Ana works at the institution: her account is a case worker's too

    with pytest.raises(ProposalRefused) as own:
        services.proposal_verify(proposal_id=proposal.pk, user_id=herself.pk, approve=True, note="", now=NOW)
    with pytest.raises(ProposalRefused) as no_reason:
        services.proposal_verify(proposal_id=proposal.pk, user_id=case_worker()[0].pk, approve=False, note=" ", now=NOW)
    services.proposal_verify(
        proposal_id=proposal.pk, user_id=case_worker("Other")[0].pk, approve=False, note="Twins: two grants", now=NOW
    )

    assert (own.value.code, no_reason.value.code) == ("own_proposal", "reason_required")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.note) == (ProposalStatus.WITHDRAWN, "Twins: two grants")


def test_a_late_declaration_re_evaluates_an_open_proposal():
    """The marriage grant asks months credited: Bea has too few, then a late declaration adds
    them — her open proposal's data version moves and the proposal is computed again."""
    _switch_on("marriage", "marriage_grant", auto_verify=True)
    bea = PersonFactory(first_name="Bea", birth_date=D(1990, 1, 1))
    career(bea, "2015-01", "2025-12", "2000.00")
    UserFactory(person=bea)
    carl = PersonFactory(first_name="Carl", birth_date=D(1989, 1, 1))
    married = D(2026, 3, 7)
    services.life_events_receive(
        partner_id=_partner(),
        events=[
            services.EventInput(
                partner_event_id="EC-M",
                kind="marriage",
                occurred_on=married,
                data={"spouses": [bea.national_number, carl.national_number], "kind": "marriage"},
            )
        ],
        now=NOW,
    )
    services.life_events_apply(now=NOW)
    services.life_event_propose(event_id=LifeEvent.objects.get().pk, now=NOW)
    proposal = Proposal.objects.get()
    assert proposal.person_id == bea.pk  # Carl has no months credited
    version = proposal.data_version

    assert services.proposals_reevaluate_changed(now=NOW) == 0  # nothing changed
    career(bea, "2026-01", "2026-02", "2100.00")  # declared late
    services.proposals_reevaluate_changed(now=NOW)

    proposal.refresh_from_db()
    assert proposal.data_version != version
    assert proposal.status == ProposalStatus.OFFERED


def test_a_disputed_proposal_becomes_a_claim_filed_in_the_case_work():
    _switch_on("birth", "birth_grant", auto_verify=True)
    mother = _mother()
    _birth_event(_partner(), mother["person"])
    proposal = Proposal.objects.get()

    with pytest.raises(ProposalRefused) as empty:
        services.proposal_dispute(
            actor=mother["actor"], proposal_id=proposal.pk, text="  ", declared_on_honour=True, now=NOW
        )
    claim_id = services.proposal_dispute(
        actor=mother["actor"],
        proposal_id=proposal.pk,
        text="Twins were born: two grants are due.",
        declared_on_honour=True,
        now=NOW,
    )

    assert empty.value.code == "dispute_empty"
    claim = Claim.objects.get(pk=claim_id)
    assert (claim.status, claim.scheme, claim.subject_person_id, claim.month, claim.iban) == (
        "submitted",
        "birth_grant",
        proposal.subject_id,
        "2026-03",
        IBAN,
    )
    assert claim.reference == f"BEN-2026-{claim.pk:06d}" and claim.receipt_pdf
    assert claim.answers["remarks"] == "Twins were born: two grants are due."
    proposal.refresh_from_db()
    assert (proposal.status, proposal.claim_id) == (ProposalStatus.DISPUTED, claim_id)
    assert Notification.objects.filter(event_type="claim_received", recipient=mother["user"]).count() == 1
