"""Case work in the back office: the work queues, the case page with the claim computed now, the
forms that call the services (refusals shown, nothing changed), the documents, and who may do
what."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from benefits import services
from benefits.admin.casework_forms import INPUT_LABELS
from benefits.claims.computation import CORRECTABLE
from benefits.models import Claim, ClaimDocument, ClaimEvent, Decision, Entitlement
from core.models import AccessRecord
from tests.benefits.claim_helpers import case_worker, filed_claim, parent_with_newborn
from tests.helpers import sign_in
from tests.identity.factories import UserFactory, with_totp

pytestmark = pytest.mark.django_db

# 5 December 2026, 11:00 in Brussels, as in tests/benefits/test_claims.py.
NOW = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)
BORN = datetime.date(2026, 11, 14)
EN = {"Accept-Language": "en"}


def _worker(name: str = "Worker"):
    user, actor = case_worker(name)
    return with_totp(user), actor


def _change(claim_id: int) -> str:
    return reverse("admin:benefits_claim_change", args=[claim_id])


def _action(name: str, claim_id: int) -> str:
    return reverse(f"admin:benefits_claim_{name}", args=[claim_id])


def _message(response) -> str:
    """What the last request told the case worker (those before it wait in the session)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def _status(claim_id: int) -> str:
    return Claim.objects.get(pk=claim_id).status


@pytest.fixture
def ana():
    return parent_with_newborn(born=BORN)


def _references(client, queue: str = "") -> set[str]:
    url = reverse("admin:benefits_claim_changelist") + (f"?queue={queue}" if queue else "")
    response = client.get(url, headers=EN)
    assert response.status_code == 200
    return {claim.reference for claim in response.context["cl"].result_list}


@pytest.mark.time_machine(NOW, tick=False)
def test_the_queues_hold_the_right_claims_with_their_counts_and_never_a_draft(client, settings):
    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("1000.00")
    me, my_actor = _worker("Me")
    other, other_actor = _worker("Other")
    claims = {name: filed_claim(parent_with_newborn(born=BORN)) for name in ("new", "late", "mine", "waiting")}
    claims.update({name: filed_claim(parent_with_newborn(born=BORN)) for name in ("theirs", "own", "appeal")})
    Claim.objects.filter(pk=claims["late"]).update(due_on=datetime.date(2026, 12, 4))
    services.claim_review_start(actor=my_actor, claim_id=claims["mine"], seen_status="submitted", now=NOW)
    services.claim_review_start(actor=my_actor, claim_id=claims["waiting"], seen_status="submitted", now=NOW)
    services.claim_information_request(
        actor=my_actor,
        claim_id=claims["waiting"],
        seen_status="in_review",
        text="The certificate, please.",
        due_on=datetime.date(2026, 12, 20),
        now=NOW,
    )
    for name, actor in (("theirs", other_actor), ("own", my_actor)):
        services.claim_review_start(actor=actor, claim_id=claims[name], seen_status="submitted", now=NOW)
        services.claim_decision_propose(
            actor=actor, claim_id=claims[name], seen_status="in_review", outcome="granted", reason="Born.", now=NOW
        )
    appellant = Claim.objects.get(pk=claims["appeal"]).person
    services.claim_review_start(actor=other_actor, claim_id=claims["appeal"], seen_status="submitted", now=NOW)
    services.claim_decision_propose(
        actor=other_actor, claim_id=claims["appeal"], seen_status="in_review", outcome="refused", reason="No.", now=NOW
    )
    services.claim_proposal_approve(actor=my_actor, claim_id=claims["appeal"], seen_status="proposed", now=NOW)
    from tests.helpers import citizen_actor

    services.claim_appeal(
        actor=citizen_actor(appellant.account),
        claim_id=claims["appeal"],
        seen_status="refused",
        grounds="I am the mother.",
        upload=None,
        now=NOW,
    )
    draft_owner = parent_with_newborn(born=BORN)
    services.claim_start(actor=draft_owner["actor"], person_id=draft_owner["person"].pk, slug="birth-grant", now=NOW)
    reference = {name: Claim.objects.get(pk=claim_id).reference for name, claim_id in claims.items()}

    sign_in(client, me, mfa=True)

    assert _references(client) == set(reference.values())  # the draft is not there
    # The appeal waits for a case worker who took no part in the decision: unassigned again.
    assert _references(client, "unassigned") == {reference["new"], reference["late"], reference["appeal"]}
    assert _references(client, "mine") == {reference["mine"], reference["own"]}
    assert _references(client, "waiting") == {reference["waiting"]}
    assert _references(client, "late") == {reference["late"]}
    assert _references(client, "appeals") == {reference["appeal"]}
    assert _references(client, "to_approve") == {reference["theirs"]}
    page = client.get(reverse("admin:benefits_claim_changelist"), headers=EN).content.decode()
    assert "Unassigned (3)" in page and "To approve (proposed by someone else) (1)" in page
    assert "late" in page  # the late claim's deadline is flagged
    # Oldest deadline first: the late one leads.
    listed = [
        claim.reference for claim in client.get(reverse("admin:benefits_claim_changelist")).context["cl"].result_list
    ]
    assert listed[0] == reference["late"]

    client.logout()
    sign_in(client, other, mfa=True)
    assert _references(client, "to_approve") == {reference["own"]}


@pytest.mark.time_machine(NOW, tick=False)
def test_the_queue_list_reads_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    worker, _actor = _worker()
    sign_in(client, worker, mfa=True)
    filed_claim(parent_with_newborn(born=BORN))
    client.get(reverse("admin:benefits_claim_changelist"))  # warm the caches (permissions, content types)
    AccessRecord.objects.all().delete()  # each list records whom it showed: afresh both times
    with django_assert_max_num_queries(16) as few:
        client.get(reverse("admin:benefits_claim_changelist"))
    for _ in range(5):
        filed_claim(parent_with_newborn(born=BORN))
    AccessRecord.objects.all().delete()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("admin:benefits_claim_changelist"))
    assert len(response.context["cl"].result_list) == 6


@pytest.mark.time_machine(NOW, tick=False)
def test_the_case_page_shows_the_computation_and_the_read_is_in_the_trails(client, ana):
    claim_id = filed_claim(ana)
    worker, _actor = _worker()
    sign_in(client, worker, mfa=True)

    page = client.get(_change(claim_id), headers=EN)

    assert page.status_code == 200
    text = page.content.decode()
    assert "The claim computed today" in text
    assert "<strong>eligible</strong>, amount 1,200.00\xa0€" in text
    assert "Born on 14 November 2026." in text
    assert "A parent has 192 months credited to their record; 6 months are required." in text
    assert "Ana Martin — parent" in text and "Léo Martin — child" in text
    assert "Months credited to the record" in text
    assert "OpenFisca-core <code>46." in text
    assert "acte.pdf" in text and "Claim submitted" in text
    assert "Start the examination" in text and 'type="date"' not in text  # not in review yet
    read = AccessRecord.objects.filter(actor_user=worker, purpose="staff_registry_view")
    assert set(read.values_list("subject_person_id", "detail")) == {
        (ana["person"].pk, "claim"),
        (ana["baby"].pk, "claim"),
    }


@pytest.mark.time_machine(NOW, tick=False)
def test_a_correction_recorded_changes_the_amount_computed(client, ana):
    claim_id = filed_claim(ana)
    worker, _actor = _worker()
    sign_in(client, worker, mfa=True)
    client.post(_action("review", claim_id), {"seen_status": "submitted"})
    assert _status(claim_id) == "in_review"
    page = client.get(_change(claim_id), headers=EN).content.decode()
    assert 'type="date"' in page and "Record a corrected input" in page

    refused = client.post(
        _action("correct", claim_id),
        {
            "seen_status": "in_review",
            "member": "0",
            "input_name": "insured_months",
            "period": "",
            "value": "two",
            "reason": "The record counts an unpaid leave.",
        },
        headers=EN,
    )
    assert _message(refused).startswith("This value cannot be used")
    assert Claim.objects.get(pk=claim_id).corrections == []

    client.post(
        _action("correct", claim_id),
        {
            "seen_status": "in_review",
            "member": "0",
            "input_name": "insured_months",
            "period": "",
            "value": "2",
            "reason": "The record counts an unpaid leave.",
        },
    )

    [correction] = Claim.objects.get(pk=claim_id).corrections
    assert (correction["member"], correction["input"], correction["value"], correction["by"]) == (
        0,
        "insured_months",
        2,
        worker.pk,
    )
    text = client.get(_change(claim_id), headers=EN).content.decode()
    assert "<strong>not eligible</strong>" in text
    assert "A parent has 2 months credited to their record; 6 months are required." in text
    assert "The record counts an unpaid leave." in text
    assert "Input corrected by the case worker" in text


@pytest.mark.time_machine(NOW, tick=False)
def test_a_decision_through_the_back_office_with_four_eyes(client, ana, settings):
    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("1000.00")
    claim_id = filed_claim(ana)
    first, _actor = _worker("First")
    second, _actor2 = _worker("Second")
    sign_in(client, first, mfa=True)
    client.post(_action("review", claim_id), {"seen_status": "submitted"})
    proposed = client.post(
        _action("propose", claim_id),
        {"seen_status": "in_review", "outcome": "granted", "reason": "Born on 14 November 2026."},
        headers=EN,
    )
    assert _message(proposed) == "Decision proposed: another case worker approves it."
    assert _status(claim_id) == "proposed"
    assert "Approve the proposal" not in client.get(_change(claim_id), headers=EN).content.decode()

    refused = client.post(_action("approve", claim_id), {"seen_status": "proposed"}, headers=EN)

    assert _message(refused) == "No one approves their own proposal: another case worker must approve it."
    assert _status(claim_id) == "proposed" and not Entitlement.objects.exists()
    assert Decision.objects.get(claim_id=claim_id).state == "proposed"

    client.logout()
    sign_in(client, second, mfa=True)
    page = client.get(_change(claim_id), headers=EN).content.decode()
    assert "Approve the proposal" in page and "Send the proposal back" in page
    approved = client.post(_action("approve", claim_id), {"seen_status": "proposed"}, headers=EN)

    assert _message(approved) == "Proposal approved: the claim is granted. The claimant receives the letter."
    assert _status(claim_id) == "granted"
    decision = Decision.objects.get(claim_id=claim_id)
    assert (decision.state, decision.amount, decision.proposed_by, decision.approved_by) == (
        "final",
        Decimal("1200.00"),
        first,
        second,
    )
    assert Entitlement.objects.get(claim_id=claim_id).amount == Decimal("1200.00")
    letter = client.get(reverse("admin:benefits_claim_letter", args=[claim_id, decision.pk]))
    assert letter.status_code == 200 and bytes(letter.content).startswith(b"%PDF")
    assert letter["Content-Disposition"].startswith("attachment;")
    assert AccessRecord.objects.filter(actor_user=second, purpose="staff_claim_view", detail="claim decision letter")


@pytest.mark.time_machine(NOW, tick=False)
def test_a_stale_form_is_refused_and_changes_nothing(client, ana):
    claim_id = filed_claim(ana)
    worker, worker_actor = _worker()
    services.claim_review_start(actor=worker_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    events = ClaimEvent.objects.count()
    sign_in(client, worker, mfa=True)

    # The page was read while the claim was still submitted.
    response = client.post(_action("review", claim_id), {"seen_status": "submitted"}, headers=EN)

    assert response.status_code == 302 and response["Location"] == _change(claim_id)
    assert (
        _message(response)
        == "The claim changed meanwhile (now: being examined): nothing was done. Read it again and decide on what it is now."
    )
    assert _status(claim_id) == "in_review" and ClaimEvent.objects.count() == events
    # A form without what it needs is refused before any service.
    empty = client.post(_action("message", claim_id), {"seen_status": "in_review", "text": ""}, headers=EN)
    assert _message(empty) == "Message to the claimant: This field is required."
    assert ClaimEvent.objects.count() == events


@pytest.mark.time_machine(NOW, tick=False)
def test_a_document_is_downloaded_with_safe_headers_and_the_read_recorded(client, ana):
    claim_id = filed_claim(ana)
    document = ClaimDocument.objects.get(claim_id=claim_id)
    worker, _actor = _worker()
    sign_in(client, worker, mfa=True)

    response = client.get(reverse("admin:benefits_claim_document", args=[claim_id, document.pk]))

    assert response.status_code == 200
    assert bytes(response.content) == bytes(document.content)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="acte.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    read = AccessRecord.objects.get(actor_user=worker, purpose="staff_claim_view")
    assert (read.subject_person_id, read.detail) == (ana["person"].pk, "claim document")
    # A document of another claim under this claim's address is not found.
    other = filed_claim(parent_with_newborn(born=BORN))
    assert client.get(reverse("admin:benefits_claim_document", args=[other, document.pk])).status_code == 404


def _users() -> dict:
    citizen = UserFactory()
    supervisor = with_totp(UserFactory(is_staff=True))
    supervisor.groups.add(Group.objects.get(name="Supervisor"))
    worker, _actor = _worker()
    return {"anonymous": None, "citizen": citizen, "supervisor": supervisor, "case worker": worker}


ACTION_NAMES = [
    "assign",
    "review",
    "request_information",
    "message",
    "correct",
    "propose",
    "approve",
    "return",
    "appeal_propose",
]


@pytest.mark.time_machine(NOW, tick=False)
@pytest.mark.parametrize("who", ["anonymous", "citizen", "supervisor", "case worker"])
def test_who_may_open_and_use_the_case_work(client, ana, who):
    claim_id = filed_claim(ana)
    document = ClaimDocument.objects.get(claim_id=claim_id)
    user = _users()[who]
    if user is not None:
        sign_in(client, user, mfa=user.is_staff)
    login = reverse("admin:login")
    pages = [
        reverse("admin:benefits_claim_changelist"),
        _change(claim_id),
        reverse("admin:benefits_claim_document", args=[claim_id, document.pk]),
    ]
    events = ClaimEvent.objects.count()

    for url in pages:
        response = client.get(url)
        if who in ("anonymous", "citizen"):
            assert response.status_code == 302 and response["Location"].startswith(login), url
        elif who == "supervisor":
            assert response.status_code == 403, url
        else:
            assert response.status_code == 200, url
    for name in ACTION_NAMES:
        response = client.post(_action(name, claim_id), {"seen_status": "submitted", "reason": "x", "text": "x"})
        if who in ("anonymous", "citizen"):
            assert response.status_code == 302 and response["Location"].startswith(login), name
        elif who == "supervisor":
            assert response.status_code == 403, name
        else:
            assert response.status_code == 302 and response["Location"] == _change(claim_id), name
    if who != "case worker":
        assert _status(claim_id) == "submitted" and ClaimEvent.objects.count() == events
        assert not AccessRecord.objects.filter(purpose__in=["staff_claim_view", "staff_registry_view"]).exists()
    # The fields are never saved through the admin's own form.
    if who == "case worker":
        assert client.post(_change(claim_id), {"status": "granted"}).status_code == 403
        assert client.get(reverse("admin:benefits_claim_add")).status_code == 403


def test_every_input_a_case_worker_may_correct_has_its_words():
    assert set(INPUT_LABELS) == set(CORRECTABLE)


@pytest.mark.time_machine(NOW, tick=False)
def test_an_appeal_is_proposed_in_the_back_office_by_someone_who_took_no_part(client, ana, settings):
    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("5000.00")
    claim_id = filed_claim(ana)
    decider, decider_actor = _worker("Decider")
    services.claim_review_start(actor=decider_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    services.claim_decision_propose(
        actor=decider_actor, claim_id=claim_id, seen_status="in_review", outcome="granted", reason="Born.", now=NOW
    )
    services.claim_appeal(
        actor=ana["actor"], claim_id=claim_id, seen_status="granted", grounds="Twins.", upload=None, now=NOW
    )
    sign_in(client, decider, mfa=True)
    assert "Propose the decision on the appeal" not in client.get(_change(claim_id), headers=EN).content.decode()
    refused = client.post(
        _action("appeal_propose", claim_id),
        {"seen_status": "appealed", "outcome": "upheld", "reason": "Stands."},
        headers=EN,
    )
    assert _message(refused) == "The appeal is reviewed by a case worker who took no part in the decision appealed."
    assert _status(claim_id) == "appealed"

    reviewer, _actor = _worker("Reviewer")
    client.logout()
    sign_in(client, reviewer, mfa=True)
    assert "Propose the decision on the appeal" in client.get(_change(claim_id), headers=EN).content.decode()
    client.post(
        _action("appeal_propose", claim_id), {"seen_status": "appealed", "outcome": "upheld", "reason": "Stands."}
    )
    assert _status(claim_id) == "appeal_proposed"


@pytest.mark.time_machine(NOW, tick=False)
def test_once_the_date_given_to_the_claimant_passed_the_examination_resumes_from_the_page(client, ana):
    import time_machine

    claim_id = filed_claim(ana)
    worker, worker_actor = _worker()
    services.claim_review_start(actor=worker_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    services.claim_information_request(
        actor=worker_actor,
        claim_id=claim_id,
        seen_status="in_review",
        text="The certificate.",
        due_on=datetime.date(2026, 12, 15),
        now=NOW,
    )
    sign_in(client, worker, mfa=True)
    assert "Start the examination" not in client.get(_change(claim_id), headers=EN).content.decode()

    with time_machine.travel(NOW + datetime.timedelta(days=11), tick=False):
        assert "Start the examination" in client.get(_change(claim_id), headers=EN).content.decode()
        client.post(_action("review", claim_id), {"seen_status": "information_requested"})

    assert _status(claim_id) == "in_review"
