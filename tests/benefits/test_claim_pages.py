"""The claimant's pages, through HTTP: filing step by step without JavaScript, resuming, the
double submit, uploads, following the claim; who may see and do what (the authorization
matrix), and what a proxy did, in the principal's trail."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from benefits import services
from benefits.models import Claim, ClaimDocument, ClaimEvent
from core.models import AccessRecord
from core.types import Scope
from mandates.models import Mandate
from tests.benefits.claim_helpers import case_worker, filed_claim, parent_with_newborn, pdf_bytes
from tests.helpers import act_for, sign_in
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)
BORN = datetime.date(2026, 11, 14)
EN = {"Accept-Language": "en"}


def _text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\N{NO-BREAK SPACE}", " ").split())


@pytest.fixture
def ana():
    return parent_with_newborn(born=BORN)


def _step(claim_id: int, step: str) -> str:
    return reverse("benefits:claim_step", args=[claim_id, step])


@pytest.mark.time_machine(NOW, tick=False)
def test_a_claim_filed_page_by_page_without_javascript(client, ana):
    sign_in(client, ana["user"])
    scheme = client.get(reverse("benefits:scheme", args=["birth-grant"]), headers=EN)
    assert "Claim it online" in _text(scheme)

    started = client.post(reverse("benefits:claim_start", args=["birth-grant"]), headers=EN)
    claim_id = Claim.objects.get(person=ana["person"]).pk
    assert started.status_code == 302 and started["Location"] == _step(claim_id, "about")

    about = client.get(_step(claim_id, "about"), headers=EN)
    assert "Léo, born on 14 November 2026" in _text(about)
    # A step not reached yet shows the furthest reached.
    assert client.get(_step(claim_id, "declaration"))["Location"] == _step(claim_id, "about")
    forged = client.post(_step(claim_id, "about"), {"subject": "999999", "remarks": ""}, headers=EN)
    assert forged.status_code == 400
    assert (
        client.post(_step(claim_id, "about"), {"subject": str(ana["baby"].pk), "remarks": "Twins?"}).status_code == 302
    )

    upload = SimpleUploadedFile("acte.pdf", pdf_bytes(), content_type="application/pdf")
    added = client.post(reverse("benefits:claim_document_add", args=[claim_id]), {"which": "0", "file": upload})
    assert added.status_code == 302
    documents = client.get(_step(claim_id, "documents"), headers=EN)
    assert "acte.pdf" in _text(documents)
    assert "Back to the previous step: Whom and from when" in _text(documents)
    assert client.post(_step(claim_id, "documents"))["Location"] == _step(claim_id, "bank")
    bank = client.get(_step(claim_id, "bank"), headers=EN)
    assert "The account on file: BE** **** **** 6769" in _text(bank)
    assert client.post(_step(claim_id, "bank"), {"account": "on_file"})["Location"] == _step(claim_id, "declaration")

    declaration = client.get(_step(claim_id, "declaration"), headers=EN)
    assert "I declare on honour" in _text(declaration)
    refused = client.post(_step(claim_id, "declaration"), {}, headers=EN)
    assert refused.status_code == 400 and "Tick the declaration on honour" in _text(refused)
    assert Claim.objects.get(pk=claim_id).status == "draft"

    filed = client.post(_step(claim_id, "declaration"), {"honour": "on"}, headers=EN)
    assert filed["Location"] == reverse("benefits:claim", args=[claim_id])
    # The back button and a second click: the same claim, filed once.
    again = client.post(_step(claim_id, "declaration"), {"honour": "on"}, headers=EN)
    assert again.status_code == 302
    assert Claim.objects.filter(person=ana["person"]).count() == 1
    assert ClaimEvent.objects.filter(claim_id=claim_id, kind="submitted").count() == 1

    page = _text(client.get(reverse("benefits:claim", args=[claim_id]), headers=EN))
    reference = Claim.objects.get(pk=claim_id).reference
    assert f"Claim {reference}: submitted, waiting for a case worker." in page
    assert "Decision expected by 4 January 2027" in page
    assert "Claim submitted" in page and "Download the receipt (PDF)" in page
    receipt = client.get(reverse("benefits:claim_receipt", args=[claim_id]))
    assert receipt["Content-Type"] == "application/pdf" and receipt.content.startswith(b"%PDF")

    listed = _text(client.get(reverse("benefits:claims"), headers=EN))
    assert "Birth grant" in listed and reference in listed


@pytest.mark.time_machine(NOW, tick=False)
def test_a_draft_is_resumed_from_the_list_on_another_device(client, ana):
    claim_id = services.claim_start(actor=ana["actor"], person_id=ana["person"].pk, slug="birth-grant", now=NOW)
    services.claim_about_save(
        actor=ana["actor"], claim_id=claim_id, subject_person_id=ana["baby"].pk, month="", remarks="", now=NOW
    )
    sign_in(client, ana["user"])  # another browser
    listed = client.get(reverse("benefits:claims"), headers=EN)
    assert "Not submitted yet — continue at: Documents" in _text(listed)
    assert client.get(_step(claim_id, "about"), headers=EN).status_code == 200
    assert client.get(_step(claim_id, "bank"))["Location"] == _step(claim_id, "documents")


@pytest.mark.time_machine(NOW, tick=False)
def test_a_too_large_upload_is_refused_while_read_and_nothing_is_kept(client, ana, settings):
    settings.CLAIM_DOCUMENT_MAX_BYTES = 2000
    claim_id = services.claim_start(actor=ana["actor"], person_id=ana["person"].pk, slug="birth-grant", now=NOW)
    services.claim_about_save(
        actor=ana["actor"], claim_id=claim_id, subject_person_id=ana["baby"].pk, month="", remarks="", now=NOW
    )
    sign_in(client, ana["user"])
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 50_000, content_type="application/pdf")
    answer = client.post(
        reverse("benefits:claim_document_add", args=[claim_id]), {"which": "0", "file": big}, headers=EN
    )
    assert answer.status_code == 400
    assert "The file is too large: at most" in _text(answer)
    assert not ClaimDocument.objects.exists()
    # The CSRF check still holds on the upload, after the handler is set.
    from django.test import Client

    strict = sign_in(Client(enforce_csrf_checks=True), ana["user"])
    small = SimpleUploadedFile("a.pdf", pdf_bytes(), content_type="application/pdf")
    assert (
        strict.post(reverse("benefits:claim_document_add", args=[claim_id]), {"which": "0", "file": small}).status_code
        == 403
    )


@pytest.mark.time_machine(NOW, tick=False)
def test_following_the_claim_information_withdrawal(client, ana):
    claim_id = filed_claim(ana)
    _worker, worker_actor = case_worker()
    services.claim_review_start(actor=worker_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    services.claim_information_request(
        actor=worker_actor,
        claim_id=claim_id,
        seen_status="in_review",
        text="The stamped certificate, please.",
        due_on=datetime.date(2026, 12, 20),
        now=NOW,
    )
    sign_in(client, ana["user"])
    page = _text(client.get(reverse("benefits:claim", args=[claim_id]), headers=EN))
    assert "The case worker needs information, by 20 December 2026" in page
    assert "The stamped certificate, please." in page
    url = reverse("benefits:claim", args=[claim_id])

    empty = client.post(
        reverse("benefits:claim_information", args=[claim_id]), {"seen_status": "information_requested"}, headers=EN
    )
    assert empty.status_code == 400 and "Write the message." in _text(empty)
    scan = SimpleUploadedFile("stamp.pdf", pdf_bytes("stamped"), content_type="application/pdf")
    sent = client.post(
        reverse("benefits:claim_information", args=[claim_id]),
        {"seen_status": "information_requested", "text": "Attached.", "file": scan},
    )
    assert sent["Location"] == url
    assert Claim.objects.get(pk=claim_id).status == "information_provided"
    assert ClaimDocument.objects.filter(claim_id=claim_id, purpose="information").count() == 1

    message = client.post(reverse("benefits:claim_message", args=[claim_id]), {"text": "Any news?"})
    assert message["Location"] == url
    stale = client.post(reverse("benefits:claim_withdraw", args=[claim_id]), {"seen_status": "submitted"}, headers=EN)
    assert stale.status_code == 400 and Claim.objects.get(pk=claim_id).status == "information_provided"
    withdrawn = client.post(
        reverse("benefits:claim_withdraw", args=[claim_id]), {"seen_status": "information_provided"}
    )
    assert withdrawn["Location"] == url
    final = _text(client.get(url, headers=EN))
    assert "Claim withdrawn" in final and "Withdraw the claim" not in final


@pytest.mark.time_machine(NOW, tick=False)
def test_the_decision_letter_and_the_appeal_online(client, ana, settings):
    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("5000.00")
    claim_id = filed_claim(ana)
    _worker, worker_actor = case_worker()
    services.claim_review_start(actor=worker_actor, claim_id=claim_id, seen_status="submitted", now=NOW)
    services.claim_decision_propose(
        actor=worker_actor, claim_id=claim_id, seen_status="in_review", outcome="granted", reason="Born.", now=NOW
    )
    sign_in(client, ana["user"])
    url = reverse("benefits:claim", args=[claim_id])
    page = _text(client.get(url, headers=EN))
    assert "Decision on the claim: granted" in page and "1,200.00 €, paid once." in page
    assert "you may appeal until 3 February 2027" in page
    decision_id = Claim.objects.get(pk=claim_id).decisions.get().pk
    letter = client.get(reverse("benefits:claim_letter", args=[claim_id, decision_id]))
    assert letter.content.startswith(b"%PDF") and letter["Content-Disposition"].startswith("attachment")

    appealed = client.post(
        reverse("benefits:claim_appeal", args=[claim_id]), {"seen_status": "granted", "grounds": "Twins."}
    )
    assert appealed["Location"] == url
    assert Claim.objects.get(pk=claim_id).status == "appealed"
    assert "Appeal lodged" in _text(client.get(url, headers=EN))


@pytest.mark.time_machine(NOW, tick=False)
def test_who_may_see_and_do_what(client, ana):
    claim_id = filed_claim(ana)
    document_id = ClaimDocument.objects.get(claim_id=claim_id).pk
    pages = [
        reverse("benefits:claims"),
        reverse("benefits:claim", args=[claim_id]),
        reverse("benefits:claim_receipt", args=[claim_id]),
        reverse("benefits:claim_document", args=[claim_id, document_id]),
    ]
    posts = [
        (reverse("benefits:claim_message", args=[claim_id]), {"text": "Hello"}),
        (reverse("benefits:claim_withdraw", args=[claim_id]), {"seen_status": "submitted"}),
        (reverse("benefits:claim_start", args=["family-allowance"]), {}),
    ]
    # Anonymous: asked to sign in, nothing changes.
    for url in pages[1:]:
        assert client.get(url)["Location"].startswith(reverse("account_login"))
    for url, data in posts:
        assert client.post(url, data)["Location"].startswith(reverse("account_login"))

    # Another citizen: the claim does not exist for them.
    sign_in(client, UserFactory(person=PersonFactory()))
    for url in pages[1:]:
        assert client.get(url).status_code == 404
    for url, data in posts[:2]:
        assert client.post(url, data).status_code == 404

    # A proxy allowed to view the file reads the claim, but may not act on it.
    act_for(client, ana["user"], [Scope.VIEW_FILE])
    for url in pages:
        assert client.get(url).status_code == 200, url
    for url, data in posts[:2]:
        assert client.post(url, data).status_code == 404
    assert client.post(*posts[2]).status_code == 404

    # A proxy for payment details only: neither.
    act_for(client, ana["user"], [Scope.MANAGE_PAYMENT_DETAILS], last_name="Payer")
    for url in pages[1:]:
        assert client.get(url).status_code == 404
    assert client.get(pages[0]).status_code == 403

    # An ended mandate: nothing.
    _proxy, mandate_id = act_for(client, ana["user"], [Scope.MANAGE_CLAIMS], last_name="Ended")
    Mandate.objects.filter(pk=mandate_id).update(status="revoked")
    for url in pages[1:]:
        assert client.get(url).status_code in (302, 404)
    assert Claim.objects.get(pk=claim_id).status == "submitted"
    assert ClaimEvent.objects.filter(claim_id=claim_id).count() == 1


@pytest.mark.time_machine(NOW, tick=False)
def test_a_proxy_files_a_claim_and_the_principal_sees_it_in_the_trail_of_the_mandate(client, ana):
    proxy, mandate_id = act_for(client, ana["user"], [Scope.MANAGE_CLAIMS])
    client.post(reverse("benefits:claim_start", args=["birth-grant"]))
    claim_id = Claim.objects.get(person=ana["person"]).pk
    client.post(_step(claim_id, "about"), {"subject": str(ana["baby"].pk), "remarks": ""})
    client.post(_step(claim_id, "documents"))
    # Without the payment-details scope, only the account on file may be chosen.
    bank = client.get(_step(claim_id, "bank"), headers=EN)
    assert "Another account" not in _text(bank)
    client.post(_step(claim_id, "bank"), {"account": "on_file"})
    client.post(_step(claim_id, "declaration"), {"honour": "on"})
    claim = Claim.objects.get(pk=claim_id)
    assert (claim.status, claim.created_by, claim.submitted_by) == ("submitted", proxy, proxy)
    assert claim.created_under_mandate_id == mandate_id

    details = set(
        AccessRecord.objects.filter(mandate_id=mandate_id, purpose="proxy_claim_action").values_list(
            "detail", flat=True
        )
    )
    assert {"claim started", "claim step saved", "claim submitted"} <= details
    client.logout()
    sign_in(client, ana["user"])
    trail = _text(client.get(reverse("mandates:trail", args=[mandate_id]), headers=EN))
    assert "acted on your benefit claims: a benefit claim submitted for you" in trail
    page = _text(client.get(reverse("benefits:claim", args=[claim_id]), headers=EN))
    assert "under a mandate" in page
