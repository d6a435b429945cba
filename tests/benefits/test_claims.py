"""Claims, through the benefits services: filing step by step, the case work's state machine,
four eyes, the decision kept with its computation, the entitlement it opens, the appeal."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone, translation
from pypdf import PdfReader

from benefits import services
from benefits.claims import casework
from benefits.models import Claim, ClaimEvent, ClaimStatus, Decision, Entitlement
from benefits.types import ClaimRefused
from core.errors import NotFound
from core.models import VerifiableDocument
from notifications.models import Notification
from tests.benefits.claim_helpers import case_worker, filed_claim, parent_with_newborn, pdf_bytes
from tests.helpers import citizen_actor
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

# 5 December 2026, 11:00 in Brussels.
NOW = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)
BORN = datetime.date(2026, 11, 14)


def _text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def _status(claim_id: int) -> str:
    return Claim.objects.get(pk=claim_id).status


@pytest.fixture
def ana():
    return parent_with_newborn(born=BORN)


@pytest.mark.time_machine(NOW, tick=False)
def test_a_claim_is_filed_step_by_step_once_with_a_verifiable_receipt(ana):
    claim_id = filed_claim(ana)

    claim = Claim.objects.get(pk=claim_id)
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.reference == f"BEN-2026-{claim_id:06d}"
    assert (claim.subject_person_id, claim.month, claim.iban) == (ana["baby"].pk, "2026-11", "BE71096123456769")
    assert claim.due_on == datetime.date(2026, 12, 5) + datetime.timedelta(days=30)
    receipt = _text(bytes(claim.receipt_pdf))
    assert claim.reference in receipt and "Léo" in receipt and "acte.pdf" in receipt
    document = VerifiableDocument.objects.get(pk=claim.receipt_document_id)
    assert document.kind == "claim_receipt" and document.content_sha256

    # A second submit (double click, back button) files nothing more.
    again = services.claim_submit(actor=ana["actor"], claim_id=claim_id, declared_on_honour=True, now=timezone.now())
    assert again == claim_id
    assert ClaimEvent.objects.filter(claim_id=claim_id, kind="submitted").count() == 1
    assert VerifiableDocument.objects.filter(kind="claim_receipt").count() == 1
    assert Notification.objects.filter(recipient=ana["user"], event_type="claim_received").count() == 1


@pytest.mark.time_machine(NOW, tick=False)
def test_a_draft_is_resumed_not_duplicated_and_a_second_claim_for_the_same_child_is_refused(ana):
    actor, now = ana["actor"], timezone.now()
    first = services.claim_start(actor=actor, person_id=ana["person"].pk, slug="birth-grant", now=now)
    assert services.claim_start(actor=actor, person_id=ana["person"].pk, slug="birth-grant", now=now) == first
    services.claim_about_save(
        actor=actor, claim_id=first, subject_person_id=ana["baby"].pk, month="", remarks="", now=now
    )
    assert Claim.objects.get(pk=first).step == "documents"
    # Another device: the same draft, at the step reached.
    Claim.objects.filter(pk=first).update(status=ClaimStatus.SUBMITTED, reference="BEN-X")
    second = services.claim_start(actor=actor, person_id=ana["person"].pk, slug="birth-grant", now=now)
    assert second != first
    with pytest.raises(ClaimRefused) as refused:
        services.claim_about_save(
            actor=actor, claim_id=second, subject_person_id=ana["baby"].pk, month="", remarks="", now=now
        )
    assert refused.value.code == "already_claimed"
    assert Claim.objects.get(pk=second).subject_person_id == 0


@pytest.mark.time_machine(NOW, tick=False)
@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("fake.pdf", b"%PDF-1.4 not really a pdf", "document_type"),
        ("script.pdf", b"<script>alert(1)</script>", "document_type"),
        ("photo.png", b"\x89PNG\r\n\x1a\nbroken", "document_type"),
        ("empty.pdf", b"", "document_empty"),
    ],
)
def test_a_document_is_checked_by_its_content_and_a_refusal_keeps_nothing(ana, name, content, code):
    actor, now = ana["actor"], timezone.now()
    claim_id = services.claim_start(actor=actor, person_id=ana["person"].pk, slug="birth-grant", now=now)
    with pytest.raises(ClaimRefused) as refused:
        services.claim_document_add(
            actor=actor,
            claim_id=claim_id,
            required_index=0,
            name=name,
            size=len(content),
            read=lambda: content,
            now=now,
        )
    assert refused.value.code == code
    assert not Claim.objects.get(pk=claim_id).documents.exists()


@pytest.mark.time_machine(NOW, tick=False)
def test_a_huge_document_is_refused_before_it_is_read(ana, settings):
    settings.CLAIM_DOCUMENT_MAX_BYTES = 1000
    actor, now = ana["actor"], timezone.now()
    claim_id = services.claim_start(actor=actor, person_id=ana["person"].pk, slug="birth-grant", now=now)

    def read() -> bytes:
        raise AssertionError("read although too large")

    with pytest.raises(ClaimRefused) as refused:
        services.claim_document_add(
            actor=actor, claim_id=claim_id, required_index=0, name="big.pdf", size=5000, read=read, now=now
        )
    assert refused.value.code == "document_too_large"
    assert "1000" in refused.value.message or "1,000" in refused.value.message or "KB" in refused.value.message


@pytest.mark.time_machine(NOW, tick=False)
def test_the_name_of_a_document_is_made_safe_and_its_type_is_the_one_found(ana):
    actor, now = ana["actor"], timezone.now()
    claim_id = services.claim_start(actor=actor, person_id=ana["person"].pk, slug="birth-grant", now=now)
    content = pdf_bytes()
    services.claim_document_add(
        actor=actor,
        claim_id=claim_id,
        required_index=0,
        name="../../etc/Acte de naissance é.png",
        size=len(content),
        read=lambda: content,
        now=now,
    )
    document = Claim.objects.get(pk=claim_id).documents.get()
    assert (document.filename, document.content_type) == ("Acte-de-naissance-e.pdf", "application/pdf")


@pytest.mark.time_machine(NOW, tick=False)
def test_another_person_cannot_touch_the_claim(ana):
    claim_id = services.claim_start(actor=ana["actor"], person_id=ana["person"].pk, slug="birth-grant", now=NOW)
    stranger = citizen_actor(UserFactory(person=PersonFactory()))
    with pytest.raises(NotFound):
        services.claim_about_save(
            actor=stranger, claim_id=claim_id, subject_person_id=ana["baby"].pk, month="", remarks="", now=NOW
        )
    with pytest.raises(NotFound):
        services.claim_start(actor=stranger, person_id=ana["person"].pk, slug="birth-grant", now=NOW)
    assert Claim.objects.get(pk=claim_id).subject_person_id == 0


@pytest.mark.time_machine(NOW, tick=False)
def test_the_lifecycle_with_information_requested_and_a_proposal_above_the_four_eyes_amount(ana):
    claim_id = filed_claim(ana)
    worker, worker_actor = case_worker()
    services.claim_review_start(actor=worker_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    assert (_status(claim_id), Claim.objects.get(pk=claim_id).assigned_to_id) == ("in_review", worker.pk)

    services.claim_information_request(
        actor=worker_actor,
        claim_id=claim_id,
        seen_status="in_review",
        text="Send the birth certificate with the stamp of the registry.",
        due_on=datetime.date(2026, 12, 20),
        now=NOW,
    )
    assert _status(claim_id) == "information_requested"
    asked = Notification.objects.get(recipient=ana["user"], event_type="claim_information_requested")
    assert asked.context["due_on"]

    # Ten days later the claimant answers: the deadline moves by the ten days waited.
    later = NOW + datetime.timedelta(days=10)
    content = pdf_bytes("Stamped certificate")
    services.claim_information_provide(
        actor=ana["actor"],
        claim_id=claim_id,
        seen_status="information_requested",
        text="Here it is.",
        upload=("stamped.pdf", len(content), lambda: content),
        now=later,
    )
    claim = Claim.objects.get(pk=claim_id)
    assert claim.status == "information_provided"
    assert claim.due_on == datetime.date(2027, 1, 4) + datetime.timedelta(days=10)
    assert Notification.objects.filter(recipient=worker, event_type="claim_claimant_wrote").exists()

    services.claim_review_start(actor=worker_actor, claim_id=claim_id, seen_status="information_provided", now=later)
    status = services.claim_decision_propose(
        actor=worker_actor,
        claim_id=claim_id,
        seen_status="in_review",
        outcome="granted",
        reason="Born on 14 November 2026; the mother is insured.",
        now=later,
    )
    # 1,200.00 is above the four-eyes amount (1,000.00 by default): a second person approves.
    assert status == "proposed"
    assert not Entitlement.objects.exists()


@pytest.mark.time_machine(NOW, tick=False)
def test_a_grant_within_the_four_eyes_amount_is_decided_by_one_case_worker(ana, settings):
    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("1500.00")
    claim_id = filed_claim(ana)
    worker, worker_actor = case_worker()
    services.claim_review_start(actor=worker_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    status = services.claim_decision_propose(
        actor=worker_actor, claim_id=claim_id, seen_status="in_review", outcome="granted", reason="Born.", now=NOW
    )
    assert status == "granted"
    decision = Decision.objects.get(claim_id=claim_id)
    assert (decision.state, decision.proposed_by, decision.approved_by, decision.needs_second_person) == (
        "final",
        worker,
        worker,
        False,
    )


@pytest.mark.time_machine(NOW, tick=False)
def test_four_eyes_no_one_approves_their_own_proposal_and_the_decision_keeps_its_computation(ana, settings):
    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("1000.00")
    claim_id = filed_claim(ana)
    first, first_actor = case_worker("First")
    second, second_actor = case_worker("Second")
    services.claim_review_start(actor=first_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    status = services.claim_decision_propose(
        actor=first_actor,
        claim_id=claim_id,
        seen_status="in_review",
        outcome="granted",
        reason="Born in November.",
        now=NOW,
    )
    assert status == "proposed"  # 1,200.00 > 1,000.00
    with pytest.raises(ClaimRefused) as refused:
        services.claim_proposal_approve(actor=first_actor, claim_id=claim_id, seen_status="proposed", now=NOW)
    assert refused.value.code == "own_proposal"
    assert _status(claim_id) == "proposed" and not Entitlement.objects.exists()

    assert (
        services.claim_proposal_approve(actor=second_actor, claim_id=claim_id, seen_status="proposed", now=NOW)
        == "granted"
    )
    decision = Decision.objects.get(claim_id=claim_id, state="final")
    assert (decision.amount, decision.proposed_by, decision.approved_by) == (Decimal("1200.00"), first, second)
    assert decision.computation["scheme"] == "birth_grant" and decision.computation["month"] == "2026-11"
    assert decision.rules_fingerprint and decision.openfisca_core.startswith("46")
    assert {condition["code"] for condition in decision.computation["conditions"]} >= {"born_in_month"}
    entitlement = Entitlement.objects.get(claim_id=claim_id)
    assert (entitlement.amount, entitlement.start_on, entitlement.end_on, entitlement.periodicity) == (
        Decimal("1200.00"),
        datetime.date(2026, 11, 1),
        datetime.date(2026, 11, 1),
        "once",
    )
    letter = _text(bytes(decision.letter))
    # In the claimant's language (French here): the amount, the computation, the right to appeal.
    assert decision.letter_language == "fr"
    assert "La prestation est accordée : 1 200,00 €, versés une fois" in letter.replace("\u00a0", " ")
    assert "Rempli : Né(e) le 14 novembre 2026." in letter.replace("\u00a0", " ")
    assert "SIA art. 51" in letter  # the legal references of the parameters used
    assert "Votre droit de recours" in letter and "3 février 2027" in letter
    assert Notification.objects.get(recipient=ana["user"], event_type="claim_decided").importance == "legal"


@pytest.mark.time_machine(NOW, tick=False)
def test_every_refusal_needs_a_second_person(ana):
    claim_id = filed_claim(ana)
    _first, first_actor = case_worker("First")
    services.claim_review_start(actor=first_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    status = services.claim_decision_propose(
        actor=first_actor,
        claim_id=claim_id,
        seen_status="in_review",
        outcome="refused",
        reason="Not the parent.",
        now=NOW,
    )
    assert status == "proposed"
    assert Decision.objects.get(claim_id=claim_id).needs_second_person


@pytest.mark.time_machine(NOW, tick=False)
def test_an_illegal_move_is_refused_and_changes_nothing(ana):
    claim_id = filed_claim(ana)
    _worker, worker_actor = case_worker()
    with pytest.raises(ClaimRefused) as refused:
        services.claim_decision_propose(
            actor=worker_actor, claim_id=claim_id, seen_status="submitted", outcome="granted", reason="x", now=NOW
        )
    assert refused.value.code == "not_allowed_now"
    with pytest.raises(ClaimRefused) as moved:
        services.claim_review_start(actor=worker_actor, claim_id=claim_id, seen_status="in_review", now=NOW)
    assert moved.value.code == "moved"
    assert _status(claim_id) == "submitted" and not Decision.objects.exists()
    assert list(ClaimEvent.objects.filter(claim_id=claim_id).values_list("kind", flat=True)) == ["submitted"]


@pytest.mark.time_machine(NOW, tick=False)
def test_withdrawal_before_the_decision_and_not_after(ana):
    claim_id = filed_claim(ana)
    services.claim_withdraw(actor=ana["actor"], claim_id=claim_id, seen_status="submitted", reason="Mistake.", now=NOW)
    assert _status(claim_id) == "withdrawn"
    with pytest.raises(ClaimRefused):
        services.claim_withdraw(actor=ana["actor"], claim_id=claim_id, seen_status="withdrawn", reason="", now=NOW)


@pytest.mark.time_machine(NOW, tick=False)
def test_an_appeal_is_reviewed_by_someone_else_and_a_revised_grant_replaces_the_entitlement(ana, settings):
    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("5000.00")
    claim_id = filed_claim(ana)
    _decider, decider_actor = case_worker("Decider")
    services.claim_review_start(actor=decider_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    assert (
        services.claim_decision_propose(
            actor=decider_actor, claim_id=claim_id, seen_status="in_review", outcome="granted", reason="Born.", now=NOW
        )
        == "granted"
    )
    first_entitlement = Entitlement.objects.get(claim_id=claim_id)

    later = NOW + datetime.timedelta(days=20)
    services.claim_appeal(
        actor=ana["actor"],
        claim_id=claim_id,
        seen_status="granted",
        grounds="Twins: two children.",
        upload=None,
        now=later,
    )
    assert _status(claim_id) == "appealed"
    with pytest.raises(ClaimRefused) as refused:
        services.claim_appeal_propose(
            actor=decider_actor, claim_id=claim_id, seen_status="appealed", outcome="upheld", reason="x", now=later
        )
    assert refused.value.code == "appeal_by_decider"

    _reviewer, reviewer_actor = case_worker("Reviewer")
    _approver, approver_actor = case_worker("Approver")
    services.claim_appeal_propose(
        actor=reviewer_actor,
        claim_id=claim_id,
        seen_status="appealed",
        outcome="revised",
        reason="Recomputed.",
        now=later,
    )
    with pytest.raises(ClaimRefused):
        services.claim_proposal_approve(
            actor=decider_actor, claim_id=claim_id, seen_status="appeal_proposed", now=later
        )
    with pytest.raises(ClaimRefused):
        services.claim_proposal_approve(
            actor=reviewer_actor, claim_id=claim_id, seen_status="appeal_proposed", now=later
        )
    services.claim_proposal_approve(actor=approver_actor, claim_id=claim_id, seen_status="appeal_proposed", now=later)
    assert _status(claim_id) == "appeal_decided"
    first_entitlement.refresh_from_db()
    assert first_entitlement.ended_at == later
    assert Entitlement.objects.filter(claim_id=claim_id, ended_at__isnull=True).count() == 1


@pytest.mark.time_machine(NOW, tick=False)
def test_no_appeal_after_the_window(ana, settings):
    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("5000.00")
    claim_id = filed_claim(ana)
    _decider, decider_actor = case_worker("Decider")
    services.claim_review_start(actor=decider_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    services.claim_decision_propose(
        actor=decider_actor, claim_id=claim_id, seen_status="in_review", outcome="granted", reason="Born.", now=NOW
    )
    too_late = NOW + datetime.timedelta(days=61)
    with pytest.raises(ClaimRefused) as refused:
        services.claim_appeal(
            actor=ana["actor"], claim_id=claim_id, seen_status="granted", grounds="Late.", upload=None, now=too_late
        )
    assert refused.value.code == "appeal_window_closed"
    assert _status(claim_id) == "granted"


@pytest.mark.django_db(transaction=True)
def test_two_case_workers_at_once_one_wins_the_other_is_told(django_db_blocker):
    with time_machine_at(NOW):
        ana = parent_with_newborn(born=BORN)
        claim_id = filed_claim(ana)
        actors = [case_worker("One")[1], case_worker("Two")[1]]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def start(actor) -> None:
        try:
            barrier.wait(timeout=5)
            services.claim_review_start(actor=actor, claim_id=claim_id, seen_status="submitted", now=NOW)
            outcomes.append("won")
        except ClaimRefused as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved", "won"]
    assert ClaimEvent.objects.filter(claim_id=claim_id, kind="review_started").count() == 1


def time_machine_at(moment):
    import time_machine

    return time_machine.travel(moment, tick=False)


@pytest.mark.time_machine(NOW, tick=False)
def test_without_an_answer_by_the_date_given_the_examination_resumes_and_the_deadline_moves(ana):
    claim_id = filed_claim(ana)
    _worker, worker = case_worker()
    services.claim_review_start(actor=worker, claim_id=claim_id, seen_status="submitted", now=NOW)
    services.claim_information_request(
        actor=worker,
        claim_id=claim_id,
        seen_status="in_review",
        text="The certificate.",
        due_on=datetime.date(2026, 12, 15),
        now=NOW,
    )
    with pytest.raises(ClaimRefused) as early:
        services.claim_review_start(
            actor=worker, claim_id=claim_id, seen_status="information_requested", now=NOW + datetime.timedelta(days=10)
        )
    assert early.value.code == "information_not_due"
    assert _status(claim_id) == "information_requested"
    services.claim_review_start(
        actor=worker, claim_id=claim_id, seen_status="information_requested", now=NOW + datetime.timedelta(days=11)
    )
    claim = Claim.objects.get(pk=claim_id)
    assert (claim.status, claim.waiting_since, claim.information_due_on) == ("in_review", None, None)
    assert claim.due_on == datetime.date(2027, 1, 4) + datetime.timedelta(days=11)


@pytest.mark.time_machine(NOW, tick=False)
def test_a_pensioner_who_dies_before_the_decision_is_paid_until_the_month_of_death(settings):
    """Born on 3 May 1958, 65 in May 2023: the pension from the month claimed (March 2026) to
    the end of the month of death (21 October 2026), which comes before the decision."""
    from identity.models import BankAccount, Person
    from tests.benefits.career_helpers import career
    from tests.benefits.claim_helpers import IBAN

    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("99999.00")
    person = PersonFactory(first_name="Henri", birth_date=datetime.date(1958, 5, 3), country="BE")
    career(person, "1985-01", "2023-04", "3000.00")
    user = UserFactory(person=person)
    BankAccount.objects.create(person=person, iban=IBAN, holder_name="Henri", created_at=NOW, created_by=user)
    actor = citizen_actor(user)
    claim_id = services.claim_start(actor=actor, person_id=person.pk, slug="old-age-pension", now=NOW)
    services.claim_about_save(actor=actor, claim_id=claim_id, subject_person_id=0, month="2026-03", remarks="", now=NOW)
    services.claim_documents_done(actor=actor, claim_id=claim_id, now=NOW)
    services.claim_bank_save(actor=actor, claim_id=claim_id, use_account_on_file=True, iban="", holder_name="", now=NOW)
    services.claim_submit(actor=actor, claim_id=claim_id, declared_on_honour=True, now=NOW)
    Person.objects.filter(pk=person.pk).update(death_date=datetime.date(2026, 10, 21))

    _worker, worker = case_worker()
    services.claim_review_start(actor=worker, claim_id=claim_id, seen_status="submitted", now=NOW)
    assert (
        services.claim_decision_propose(
            actor=worker, claim_id=claim_id, seen_status="in_review", outcome="granted", reason="Due.", now=NOW
        )
        == "granted"
    )
    entitlement = Entitlement.objects.get(claim_id=claim_id)
    assert (entitlement.start_on, entitlement.end_on) == (datetime.date(2026, 3, 1), datetime.date(2026, 10, 31))
    assert entitlement.amount > 0


@pytest.mark.time_machine(NOW, tick=False)
def test_the_queue_of_proposals_to_approve_leaves_out_ones_own(ana, settings):
    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("1000.00")
    claim_id = filed_claim(ana)
    proposer, proposer_actor = case_worker("Proposer")
    other, _other_actor = case_worker("Other")
    services.claim_review_start(actor=proposer_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    services.claim_decision_propose(
        actor=proposer_actor, claim_id=claim_id, seen_status="in_review", outcome="granted", reason="Born.", now=NOW
    )
    today = NOW.date()

    assert casework.queue_counts(user_id=proposer.pk, today=today)["to_approve"] == 0
    assert casework.queue_counts(user_id=other.pk, today=today)["to_approve"] == 1
    assert casework.queue_counts(user_id=proposer.pk, today=today)["mine"] == 1


@pytest.mark.time_machine(NOW, tick=False)
def test_a_corrected_value_the_engine_cannot_take_is_refused_in_words(ana):
    claim_id = filed_claim(ana)
    _worker, worker_actor = case_worker()
    services.claim_review_start(actor=worker_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    with pytest.raises(ClaimRefused) as refused:
        casework.claim_input_correct(
            actor=worker_actor,
            claim_id=claim_id,
            seen_status="in_review",
            member=0,
            input_name="yearly_wage",
            period="last year",
            value="30000",
            reason="Pay slips.",
            now=NOW,
        )
    assert refused.value.code == "correction_period_invalid"
    with translation.override("en"):
        assert refused.value.message.startswith("Give the period of the value")
    assert Claim.objects.get(pk=claim_id).corrections == []
