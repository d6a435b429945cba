"""Life certificates in the back office: the work queue and a certificate's page (the document,
its read recorded; accepted, the year is confirmed and the benefits it suspended resume;
refused with a reason, the person is told; four eyes; once), the letters to post printed as one
PDF in each person's language with the text of the request's stage, the suspension and
resumption of a benefit by a case worker, the remote identity checks, and who may see and do
what."""

from __future__ import annotations

import datetime
import io
from dataclasses import replace
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from pypdf import PdfReader

from benefits import services
from benefits.life import campaign
from benefits.models import (
    CertificateReview,
    Entitlement,
    EntitlementState,
    LifeCertificate,
    LifeCertificateRequest,
    LifeCheck,
    LifeConfirmation,
    LifeRequestStatus,
    SuspensionReason,
)
from core.actor import ActingMode
from core.models import AccessRecord
from core.types import AccessPurpose, Scope
from notifications.models import Notification
from tests.benefits.claim_helpers import case_worker, png_bytes
from tests.benefits.life_helpers import ASKED, at, certificate_send
from tests.benefits.payment_helpers import aware, finance_officer, pensioner
from tests.helpers import citizen_actor, sign_in, staff_actor
from tests.identity.factories import PersonFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db

D = datetime.date
EN = {"Accept-Language": "en"}


def _abroad(first_name: str, *, country: str = "ES", account: bool = True, language: str = "fr") -> dict:
    """A pensioner living abroad, paid since 1 February 2026; without ``account``, nobody can
    tell them on the portal (their letters are posted)."""
    with at(ASKED.date()):
        found = pensioner(start_on=D(2026, 2, 1), now=ASKED, first_name=first_name)
    person = found["person"]
    person.country, person.preferred_language = country, language
    person.street, person.postal_code, person.city = "Calle Mayor 7", "28013", "Madrid"
    person.save()
    if not account:
        found["user"].person = None
        found["user"].save()
    return found


def _ask() -> None:
    with at(ASKED.date()):
        campaign.life_certificates_ask(now=ASKED)


def _request(person) -> LifeCertificateRequest:
    return LifeCertificateRequest.objects.get(person=person)


def _worker(name: str = "Worker"):
    user, _actor = case_worker(name)
    return with_totp(user)


def _at_counter(worker, person_id: int):
    """A case worker serving the person at the counter (may send a certificate for them)."""
    return replace(
        staff_actor(worker),
        mode=ActingMode.ASSISTED,
        subject_person_id=person_id,
        scopes=frozenset(Scope.values),
        assisted_reason="Came with the certificate",
    )


def _send(actor, person_id: int, day: datetime.date) -> int:
    with at(day):
        return certificate_send(actor, person_id, day)


def _message(response) -> str:
    """What the last request said (those before it wait in the session)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def _events(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("event_type", flat=True))


def _certificate_url(name: str, certificate_id: int) -> str:
    return reverse(f"admin:benefits_lifecertificate_{name}", args=[certificate_id])


def _entitlement_state(entitlement_id: int) -> tuple:
    found = Entitlement.objects.get(pk=entitlement_id)
    return (found.state, found.suspension_reason, found.suspended_at)


def _request_state(request_id: int) -> tuple:
    found = LifeCertificateRequest.objects.get(pk=request_id)
    return (found.status, found.confirmed_at, found.confirmed_by, found.letter_due)


def _certificate_state(certificate_id: int) -> tuple:
    found = LifeCertificate.objects.get(pk=certificate_id)
    return (found.review, found.reviewed_at, found.reviewed_by_id, found.refusal_reason)


def _pdf_pages(content: bytes) -> list[str]:
    """Each page's text, its spaces and line breaks folded."""
    assert content.startswith(b"%PDF-")
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


# --- Accepting a certificate -------------------------------------------------------------------------


def _suspended_with_a_certificate() -> dict:
    """Jean (Spain): asked on 2 February, not answered by 3 May, his pension suspended on 4 May
    (his second benefit, suspended by a case worker in April, keeps its reason); he sends a
    certificate on 6 May."""
    jean = _abroad("Jean")
    _ask()
    with at(D(2026, 4, 1)):
        second = Entitlement.objects.create(
            person=jean["person"],
            scheme="disability_pension",
            periodicity="monthly",
            amount=Decimal("300.00"),
            start_on=D(2026, 2, 1),
            opened_at=aware(D(2026, 4, 1)),
        )
        services.entitlement_suspend(
            entitlement_id=second.pk,
            user_id=_worker().pk,
            note="An inquiry on the disability.",
            now=aware(D(2026, 4, 1)),
        )
    with at(D(2026, 5, 4)):
        campaign.life_certificates_lapse(now=aware(D(2026, 5, 4)))
    certificate_id = _send(citizen_actor(jean["user"]), jean["person"].pk, D(2026, 5, 6))
    return {**jean, "second": second, "certificate_id": certificate_id, "request": _request(jean["person"])}


def test_a_case_worker_accepts_a_certificate_the_year_is_confirmed_and_the_pension_resumes(client):
    jean = _suspended_with_a_certificate()
    pension, second = jean["entitlement"], jean["second"]
    assert _entitlement_state(pension.pk) == ("suspended", "life_certificate", aware(D(2026, 5, 4)))
    worker = _worker()
    sign_in(client, worker, mfa=True)

    with at(D(2026, 5, 7)):
        page = client.get(_certificate_url("change", jean["certificate_id"]), headers=EN)
        assert page.status_code == 200
        content = page.content.decode()
        assert f"Life certificate {jean['request'].reference}" in content
        # The scan shown in the page, through the view that records the read.
        assert f'src="{_certificate_url("document", jean["certificate_id"])}?inline=1"' in content
        assert 'value="Accept"' in content and 'value="Refuse"' in content

        response = client.post(_certificate_url("accept", jean["certificate_id"]), headers=EN)

    now = aware(D(2026, 5, 7))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:benefits_lifecertificate_changelist") + "?review__exact=pending"
    assert _message(response) == (
        "Certificate accepted: the year is confirmed, and the benefits it suspended are paid again."
    )
    assert _certificate_state(jean["certificate_id"]) == ("accepted", now, worker.pk, "")
    assert _request_state(jean["request"].pk) == ("confirmed", now, "certificate", False)
    # The pension suspended for the certificate resumes; the one a case worker suspended waits.
    assert _entitlement_state(pension.pk) == ("active", "", None)
    assert _entitlement_state(second.pk) == ("suspended", "staff", aware(D(2026, 4, 1)))
    assert _events(jean["user"]) == [
        "life_certificate_asked",
        "benefit_suspended",
        "life_certificate_suspended",
        "life_certificate_confirmed",
    ]
    confirmed = Notification.objects.filter(recipient=jean["user"], event_type="life_certificate_confirmed").get()
    assert confirmed.context["resumed"] == "yes"

    # A second check, by anyone, changes nothing.
    other = _worker("Other")
    sign_in(client, other, mfa=True)
    with at(D(2026, 5, 8)):
        again = client.post(_certificate_url("refuse", jean["certificate_id"]), {"reason": "unreadable"}, headers=EN)
        page = client.get(_certificate_url("change", jean["certificate_id"]), headers=EN).content.decode()
    assert again.status_code == 302
    assert _message(again) == "This certificate was already checked: nothing was done."
    assert _certificate_state(jean["certificate_id"]) == ("accepted", now, worker.pk, "")
    assert _request_state(jean["request"].pk) == ("confirmed", now, "certificate", False)
    assert "life_certificate_refused" not in _events(jean["user"])
    assert 'value="Accept"' not in page and 'value="Refuse"' not in page


def test_a_refused_certificate_keeps_the_request_asked_and_the_person_is_told_why(client):
    jean = _abroad("Jean")
    _ask()
    certificate_id = _send(citizen_actor(jean["user"]), jean["person"].pk, D(2026, 2, 20))
    request_id = _request(jean["person"]).pk
    worker = _worker()
    sign_in(client, worker, mfa=True)

    with at(D(2026, 2, 21)):
        # No reason chosen: refused, nothing changed.
        blank = client.post(_certificate_url("refuse", certificate_id), {"reason": ""}, headers=EN)
        assert _message(blank) == "Choose why the certificate is refused."
        assert _certificate_state(certificate_id) == ("pending", None, None, "")
        assert _request_state(request_id)[0] == "received"

        response = client.post(_certificate_url("refuse", certificate_id), {"reason": "not_signed"}, headers=EN)

    assert response.status_code == 302
    assert _message(response) == "Certificate refused: the person is told why, and may send another."
    assert _certificate_state(certificate_id) == ("refused", aware(D(2026, 2, 21)), worker.pk, "not_signed")
    assert _request_state(request_id) == ("asked", None, "", False)
    refused = Notification.objects.filter(recipient=jean["user"], event_type="life_certificate_refused").get()
    assert (refused.context["reason"], refused.context["reference"]) == (
        "not_signed",
        _request(jean["person"]).reference,
    )
    assert refused.link == reverse("benefits:life_certificate")
    assert _entitlement_state(jean["entitlement"].pk) == ("active", "", None)
    # He may send another: the queue holds it first.
    again = _send(citizen_actor(jean["user"]), jean["person"].pk, D(2026, 2, 25))
    with at(D(2026, 2, 26)):
        queue = client.get(reverse("admin:benefits_lifecertificate_changelist"), headers=EN)
    assert [row.pk for row in queue.context["cl"].result_list] == [again, certificate_id]


def test_four_eyes_a_case_worker_does_not_check_a_certificate_they_sent_at_the_counter(client):
    paper = _abroad("Paula", account=False)
    _ask()
    counter = _worker("Counter")
    certificate_id = _send(_at_counter(counter, paper["person"].pk), paper["person"].pk, D(2026, 2, 20))
    request_id = _request(paper["person"]).pk
    sign_in(client, counter, mfa=True)

    with at(D(2026, 2, 21)):
        page = client.get(_certificate_url("change", certificate_id), headers=EN).content.decode()
        response = client.post(_certificate_url("accept", certificate_id), headers=EN)

    assert "Four eyes: another member of staff checks a certificate you sent." in page
    assert 'value="Accept"' not in page
    assert _message(response) == "Four eyes: another member of staff checks a certificate you sent."
    assert response["Location"] == _certificate_url("change", certificate_id)
    assert _certificate_state(certificate_id) == ("pending", None, None, "")
    assert _request_state(request_id) == ("received", None, "", True)  # the letter of the request


def test_the_work_queue_lists_the_certificates_to_check_first_oldest_first_then_the_others(client):
    people = [_abroad(name) for name in ("Anne", "Bert", "Carl", "Dora")]
    _ask()
    sent = {
        person["person"].first_name: _send(citizen_actor(person["user"]), person["person"].pk, day)
        for person, day in zip(people, (D(2026, 2, 12), D(2026, 2, 10), D(2026, 2, 11), D(2026, 2, 9)), strict=True)
    }
    reviewer = _worker("Reviewer")
    with at(D(2026, 2, 13)):
        services.life_certificate_review(
            staff_user_id=reviewer.pk, certificate_id=sent["Dora"], accept=True, reason="", now=aware(D(2026, 2, 13))
        )
        services.life_certificate_review(
            staff_user_id=reviewer.pk,
            certificate_id=sent["Carl"],
            accept=False,
            reason="unreadable",
            now=aware(D(2026, 2, 13)),
        )
    sign_in(client, _worker(), mfa=True)

    with at(D(2026, 2, 14)):
        response = client.get(reverse("admin:benefits_lifecertificate_changelist"), headers=EN)
        pending = client.get(reverse("admin:benefits_lifecertificate_changelist") + "?review__exact=pending")

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    # Pending oldest first (Bert 10th, Anne 12th), then the checked ones newest first.
    assert [row.pk for row in rows] == [sent["Bert"], sent["Anne"], sent["Carl"], sent["Dora"]]
    assert [row.pk for row in pending.context["cl"].result_list] == [sent["Bert"], sent["Anne"]]
    page = response.content.decode()
    assert "Life certificates: those to check first, the oldest first" in page
    assert "Bert Dubois" in page and _request(people[1]["person"]).reference in page
    assert "the person" in page  # each sent their own
    # The persons listed are recorded in their trails.
    listed = set(
        AccessRecord.objects.filter(purpose=AccessPurpose.STAFF_REGISTRY_SEARCH).values_list(
            "subject_person_id", flat=True
        )
    )
    assert {person["person"].pk for person in people} <= listed


def test_the_work_queue_reads_in_a_fixed_number_of_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    people = [_abroad(f"P{index}") for index in range(6)]
    _ask()
    for person in people[:2]:
        _send(citizen_actor(person["user"]), person["person"].pk, D(2026, 2, 10))
    sign_in(client, _worker(), mfa=True)
    queue = reverse("admin:benefits_lifecertificate_changelist")

    def count() -> int:
        with at(D(2026, 2, 11)), CaptureQueriesContext(connection) as queries:
            assert client.get(queue).status_code == 200
        return len(queries)

    # Each time once before: the caches warm (permissions, content types), the persons listed
    # recorded (not again within the window).
    count()
    two = count()
    for person in people[2:]:
        _send(citizen_actor(person["user"]), person["person"].pk, D(2026, 2, 10))
    count()
    assert count() == two


# --- The document --------------------------------------------------------------------------------


def test_the_document_is_served_to_case_workers_with_safe_headers_and_the_read_recorded(client):
    jean = _abroad("Jean")
    _ask()
    certificate_id = _send(citizen_actor(jean["user"]), jean["person"].pk, D(2026, 2, 20))
    worker = _worker()
    sign_in(client, worker, mfa=True)

    with at(D(2026, 2, 21)):
        download = client.get(_certificate_url("document", certificate_id))
        shown = client.get(_certificate_url("document", certificate_id) + "?inline=1")

    assert download.status_code == 200 and shown.status_code == 200
    assert download.content == png_bytes() == shown.content
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="certificat-de-vie.png"' in download["Content-Disposition"]
    assert shown["Content-Disposition"].startswith("inline;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"].startswith("private, no-store")
    records = AccessRecord.objects.filter(subject_person=jean["person"], purpose=AccessPurpose.STAFF_CLAIM_VIEW)
    # The same reader, purpose and detail within the window: recorded once.
    assert list(records.values_list("actor_user_id", "detail", "at")) == [
        (worker.pk, "life certificate", aware(D(2026, 2, 21)))
    ]
    # Nothing else is served as a certificate.
    with at(D(2026, 2, 21)):
        assert client.get(_certificate_url("document", certificate_id + 999)).status_code == 404


# --- The letters to post --------------------------------------------------------------------------


def _print_selected(client, request_ids: list[int]):
    return client.post(
        reverse("admin:benefits_lifecertificaterequest_changelist"),
        {"action": "print_letters", "_selected_action": [str(pk) for pk in request_ids]},
    )


def _print_one(client, request_id: int, day: datetime.date) -> str:
    """The selected request's letter, printed on ``day``: the text of its one page; it is no
    longer due."""
    with at(day, hour=15):
        response = _print_selected(client, [request_id])
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="life-certificate-letters-')
    pages = _pdf_pages(response.content)
    assert len(pages) == 1
    found = LifeCertificateRequest.objects.get(pk=request_id)
    assert (found.letter_due, found.letters_printed_at) == (False, aware(day, hour=15))
    return pages[0]


def test_the_letters_follow_the_request_from_the_first_letter_to_the_confirmation(client):
    """Pablo has no account: each step of his request flags a letter, printed with the text of
    that step, in English (his language), with his name, address and the reference."""
    pablo = _abroad("Pablo", account=False, language="en")
    _ask()
    request = _request(pablo["person"])
    assert (request.by_post, request.letter_due) == (True, True)
    reference = request.reference
    worker, counter = _worker(), _worker("Counter")
    sign_in(client, worker, mfa=True)

    first = _print_one(client, request.pk, D(2026, 2, 3))
    assert "Pablo Dubois" in first and "Calle Mayor 7, 28013 Madrid, ES" in first and reference in first
    assert "Life certificate 2026" in first
    assert "once a year, we ask you for proof that you are alive. Please answer by 3 May 2026." in first
    assert "By post: have a life certificate signed and stamped by a local authority" in first
    assert f"with the reference {reference}." in first
    assert "/my-file/life-certificate/" in first
    assert "reminder" not in first and "suspended since" not in first

    with at(D(2026, 3, 5)):
        campaign.life_certificates_remind(now=aware(D(2026, 3, 5)))
    reminder = _print_one(client, request.pk, D(2026, 3, 6))
    assert "Life certificate 2026: reminder 1" in reminder
    assert "We have not received your life certificate yet. Please answer by 3 May 2026" in reminder

    with at(D(2026, 5, 4)):
        campaign.life_certificates_lapse(now=aware(D(2026, 5, 4)))
    suspended = _print_one(client, request.pk, D(2026, 5, 5))
    assert "Your pension is suspended: life certificate missing" in suspended
    assert "We did not receive your life certificate by 3 May 2026. Your pension is suspended since 4 May 2026" in (
        suspended
    )
    assert "you may contest it within two months" in suspended

    certificate_id = _send(_at_counter(counter, pablo["person"].pk), pablo["person"].pk, D(2026, 5, 6))
    with at(D(2026, 5, 7)):
        client.post(_certificate_url("refuse", certificate_id), {"reason": "not_signed"})
    refused = _print_one(client, request.pk, D(2026, 5, 7))
    assert "Your life certificate could not be accepted" in refused
    assert "cannot be accepted: it is not signed and stamped by an authority." in refused
    assert "Your pension stays suspended since 4 May 2026" in refused
    assert "How to answer" in refused

    certificate_id = _send(_at_counter(counter, pablo["person"].pk), pablo["person"].pk, D(2026, 5, 8))
    with at(D(2026, 5, 9)):
        client.post(_certificate_url("accept", certificate_id))
    confirmed = _print_one(client, request.pk, D(2026, 5, 9))
    assert "Your life certificate 2026 is accepted (on 9 May 2026): nothing more is asked of you this year." in (
        confirmed
    )
    assert "Your pension is paid again" in confirmed
    assert "How to answer" not in confirmed and reference in confirmed
    # Printing is a read of the person's data, recorded once in the window.
    assert AccessRecord.objects.filter(
        subject_person=pablo["person"], actor_user=worker, purpose=AccessPurpose.STAFF_CLAIM_VIEW
    ).exists()


def test_the_button_prints_every_letter_waiting_each_in_its_persons_language(client):
    pablo = _abroad("Pablo", account=False, language="en")
    pierre = _abroad("Pierre", account=False, language="fr", country="FR")
    jean = _abroad("Jean")  # told on the portal: no letter
    _ask()
    worker = _worker()
    sign_in(client, worker, mfa=True)
    changelist = reverse("admin:benefits_lifecertificaterequest_changelist")
    with at(D(2026, 2, 3)):
        page = client.get(changelist, headers=EN).content.decode()
        response = client.post(reverse("admin:benefits_lifecertificaterequest_letters"))

    assert "2 letters are waiting to be posted" in page
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = _pdf_pages(response.content)
    assert len(pages) == 2
    english, french = pages
    assert "Pablo Dubois" in english and _request(pablo["person"]).reference in english
    assert "Please answer by 3 May 2026." in english
    assert "Pierre Dubois" in french and _request(pierre["person"]).reference in french
    assert "3 mai 2026" in french  # the dates in French
    assert LifeCertificateRequest.objects.filter(letter_due=True).count() == 0
    assert _request(jean["person"]).letters_printed_at is None

    with at(D(2026, 2, 3)):
        nothing = client.post(reverse("admin:benefits_lifecertificaterequest_letters"), headers=EN)
        page = client.get(changelist, headers=EN).content.decode()
    assert nothing.status_code == 302 and _message(nothing) == "No letter is waiting to be posted."
    assert "No letter is waiting to be posted." in page


def test_a_reminder_flagged_while_the_letters_are_printed_is_not_cleared_unprinted():
    """The rows are locked while rendering: what the campaign flags meanwhile waits for the
    commit (here: the two steps in one transaction, then a reminder)."""
    from django.db import transaction

    pablo = _abroad("Pablo", account=False, language="en")
    _ask()
    request = _request(pablo["person"])
    with at(D(2026, 3, 5)), transaction.atomic():
        content = services.life_letters_pdf(request_ids=[request.pk], now=aware(D(2026, 3, 5)))
        marked = services.life_letters_printed(request_ids=[request.pk], now=aware(D(2026, 3, 5)))
    assert marked == 1 and "Please answer by" in _pdf_pages(content)[0]
    with at(D(2026, 3, 5)):
        campaign.life_certificates_remind(now=aware(D(2026, 3, 5)))
    assert LifeCertificateRequest.objects.get(pk=request.pk).letter_due is True


# --- Suspending and resuming a benefit ---------------------------------------------------------------


def test_a_case_worker_suspends_and_resumes_a_benefit_the_person_is_told_each_time(client):
    jean = _abroad("Jean")
    entitlement_id = jean["entitlement"].pk
    worker = _worker()
    sign_in(client, worker, mfa=True)
    change = reverse("admin:benefits_entitlement_change", args=[entitlement_id])
    suspend = reverse("admin:benefits_entitlement_suspend", args=[entitlement_id])
    resume = reverse("admin:benefits_entitlement_resume", args=[entitlement_id])

    with at(D(2026, 3, 2)):
        page = client.get(change, headers=EN).content.decode()
        assert 'value="Suspend"' in page and 'value="Resume"' not in page
        without_reason = client.post(suspend, {"note": "  "}, headers=EN)
        assert _message(without_reason) == "Give the reason: the person is told it."
        assert _entitlement_state(entitlement_id) == ("active", "", None)
        response = client.post(suspend, {"note": "Your address abroad is\n being checked."}, headers=EN)
    assert response.status_code == 302 and response["Location"] == change
    assert _message(response) == "Benefit suspended: the runs do not pay it until it is resumed; the person is told."
    assert _entitlement_state(entitlement_id) == ("suspended", "staff", aware(D(2026, 3, 2)))
    found = Entitlement.objects.get(pk=entitlement_id)
    assert (found.suspended_by_id, found.suspension_note) == (worker.pk, "Your address abroad is being checked.")
    assert _events(jean["user"]) == ["benefit_suspended"]
    assert (
        Notification.objects.get(recipient=jean["user"], event_type="benefit_suspended").context["note"]
        == "Your address abroad is being checked."
    )

    with at(D(2026, 3, 3)):
        twice = client.post(suspend, {"note": "Again."}, headers=EN)
        page = client.get(change, headers=EN).content.decode()
    assert _message(twice) == "Only a monthly benefit in payment can be suspended."
    assert _entitlement_state(entitlement_id) == ("suspended", "staff", aware(D(2026, 3, 2)))
    assert 'value="Resume"' in page and 'value="Suspend"' not in page
    assert "suspended by a case worker" in page

    with at(D(2026, 3, 10)):
        response = client.post(resume, headers=EN)
    assert _message(response) == "Benefit resumed: the next run pays it, with the months not paid; the person is told."
    assert _entitlement_state(entitlement_id) == ("active", "", None)
    assert _events(jean["user"]) == ["benefit_suspended", "benefit_resumed"]
    assert Notification.objects.filter(recipient=jean["user"], event_type="benefit_resumed").get().context == {
        "beneficiary": "Jean Dubois",
        "note": "",
    }


def test_a_benefit_suspended_for_a_life_certificate_is_not_resumed_by_hand(client):
    jean = _abroad("Jean")
    _ask()
    with at(D(2026, 5, 4)):
        campaign.life_certificates_lapse(now=aware(D(2026, 5, 4)))
    entitlement_id = jean["entitlement"].pk
    before = _entitlement_state(entitlement_id)
    assert before == ("suspended", "life_certificate", aware(D(2026, 5, 4)))
    sign_in(client, _worker(), mfa=True)
    change = reverse("admin:benefits_entitlement_change", args=[entitlement_id])

    with at(D(2026, 5, 5)):
        page = client.get(change, headers=EN).content.decode()
        response = client.post(reverse("admin:benefits_entitlement_resume", args=[entitlement_id]), headers=EN)

    assert 'value="Resume"' not in page and 'value="Suspend"' not in page
    assert "Suspended for a missing life certificate" in page
    assert f"The request {_request(jean['person']).reference}" in page
    assert _message(response) == (
        "This benefit is suspended for a missing life certificate: it resumes when a certificate is accepted or the"
        " identity is checked online."
    )
    assert _entitlement_state(entitlement_id) == before
    assert "benefit_resumed" not in _events(jean["user"])


# --- The requests and the identity checks ----------------------------------------------------------


def test_the_requests_list_filters_and_searches_and_a_request_page_shows_its_certificates(client):
    jean = _abroad("Jean")
    paula = _abroad("Paula", account=False)
    _ask()
    with at(D(2026, 5, 4)):
        campaign.life_certificates_lapse(now=aware(D(2026, 5, 4)))
    # Jean answered before the due day (his certificate is being checked): not suspended.
    _send(citizen_actor(jean["user"]), jean["person"].pk, D(2026, 4, 1))
    LifeCertificateRequest.objects.filter(person=jean["person"]).update(suspended_at=None)
    sign_in(client, _worker(), mfa=True)
    changelist = reverse("admin:benefits_lifecertificaterequest_changelist")

    def listed(query: str) -> set[int]:
        response = client.get(changelist + query, headers=EN)
        assert response.status_code == 200, query
        return {row.person_id for row in response.context["cl"].result_list}

    with at(D(2026, 5, 5)):
        everyone = {jean["person"].pk, paula["person"].pk}
        assert listed("") == everyone
        assert listed("?suspended=yes") == {paula["person"].pk}
        assert listed("?suspended=no") == {jean["person"].pk}
        assert listed("?letter_due__exact=1") == {paula["person"].pk}
        assert listed("?by_post__exact=0") == {jean["person"].pk}
        assert listed("?status__exact=received") == {jean["person"].pk}
        assert listed(f"?q={_request(paula['person']).reference}") == {paula["person"].pk}
        assert listed(f"?q={paula['person'].national_number}") == {paula["person"].pk}
        page = client.get(
            reverse("admin:benefits_lifecertificaterequest_change", args=[_request(jean["person"]).pk]), headers=EN
        )

    assert page.status_code == 200
    content = page.content.decode()
    assert "certificat-de-vie.png" in content and "to check" in content
    assert 'name="_save"' not in content  # read-only
    assert AccessRecord.objects.filter(
        subject_person=jean["person"], purpose=AccessPurpose.STAFF_REGISTRY_VIEW, detail="life certificate"
    ).exists()


def test_the_identity_checks_are_listed_read_only(client):
    jean = _abroad("Jean")
    _ask()
    check = LifeCheck.objects.create(
        request=_request(jean["person"]),
        provider="sandbox",
        provider_check_id="chk-42",
        started_at=aware(D(2026, 2, 3)),
        started_by=jean["user"],
    )
    sign_in(client, _worker(), mfa=True)
    with at(D(2026, 2, 4)):
        listing = client.get(reverse("admin:benefits_lifecheck_changelist") + "?q=chk-42", headers=EN)
        page = client.get(reverse("admin:benefits_lifecheck_change", args=[check.pk]), headers=EN)
    assert [row.pk for row in listing.context["cl"].result_list] == [check.pk]
    assert page.status_code == 200 and "chk-42" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:benefits_lifecheck_add")).status_code == 403
    assert client.post(reverse("admin:benefits_lifecheck_delete", args=[check.pk]), {"post": "yes"}).status_code == 403
    assert LifeCheck.objects.filter(pk=check.pk).exists()


# --- Who may see and do what -----------------------------------------------------------------------


def _viewer():
    """A member of staff who may see the life certificates and entitlements, not act on them."""
    user = with_totp(UserFactory(is_staff=True, person=PersonFactory(last_name="Viewer")))
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="benefits",
            codename__in=["view_lifecertificaterequest", "view_lifecertificate", "view_lifecheck", "view_entitlement"],
        )
    )
    return user


def _people() -> dict:
    return {
        "anonymous": None,
        "citizen": UserFactory(),
        "staff without permissions": with_totp(UserFactory(is_staff=True)),
        "finance officer": with_totp(finance_officer()),
        "viewer": _viewer(),
        "case worker": _worker(),
    }


# (page, who may open it): the viewer opens the pages, not the letters nor the document's buttons.
_SEE = {"viewer", "case worker"}
_ACT = {"case worker"}


@pytest.mark.parametrize(
    "who", ["anonymous", "citizen", "staff without permissions", "finance officer", "viewer", "case worker"]
)
def test_who_may_open_and_use_the_life_certificate_back_office(client, who):
    jean = _abroad("Jean")
    paula = _abroad("Paula", account=False)
    _ask()
    certificate_id = _send(citizen_actor(jean["user"]), jean["person"].pk, D(2026, 2, 20))
    request_id = _request(jean["person"]).pk
    check = LifeCheck.objects.create(
        request_id=request_id, provider="sandbox", started_at=ASKED, started_by=jean["user"]
    )
    user = _people()[who]
    if user is not None:
        sign_in(client, user, mfa=True)
    login = reverse("admin:login")
    entitlement_id = jean["entitlement"].pk
    pages = [
        reverse("admin:benefits_lifecertificaterequest_changelist"),
        reverse("admin:benefits_lifecertificaterequest_change", args=[request_id]),
        reverse("admin:benefits_lifecertificate_changelist"),
        _certificate_url("change", certificate_id),
        _certificate_url("document", certificate_id),
        reverse("admin:benefits_lifecheck_changelist"),
        reverse("admin:benefits_lifecheck_change", args=[check.pk]),
        reverse("admin:benefits_entitlement_change", args=[entitlement_id]),
    ]
    actions = [
        (_certificate_url("accept", certificate_id), {}),
        (_certificate_url("refuse", certificate_id), {"reason": "unreadable"}),
        (reverse("admin:benefits_lifecertificaterequest_letters"), {}),
        (reverse("admin:benefits_entitlement_suspend", args=[entitlement_id]), {"note": "An inquiry."}),
    ]
    with at(D(2026, 2, 21)):
        for url in pages:
            response = client.get(url, headers=EN)
            if who in ("anonymous", "citizen"):
                assert response.status_code == 302 and response["Location"].startswith(login), url
            elif who in _SEE:
                assert response.status_code == 200, url
            else:
                assert response.status_code == 403, url
        if who == "viewer":
            # No button where the viewer may not act.
            assert 'value="Accept"' not in client.get(_certificate_url("change", certificate_id)).content.decode()
            assert 'value="Suspend"' not in client.get(pages[-1]).content.decode()
            assert "Print the letters to post" not in client.get(pages[0]).content.decode()
        before = (
            _certificate_state(certificate_id),
            _request_state(request_id),
            _request_state(_request(paula["person"]).pk),
            _entitlement_state(entitlement_id),
        )
        for url, data in actions:
            response = client.post(url, data)
            if who in ("anonymous", "citizen"):
                assert response.status_code == 302 and response["Location"].startswith(login), url
            elif who not in _ACT:
                assert response.status_code == 403, url
        # The action of the list, for the viewer: not offered, nothing printed (the list again).
        if who == "viewer":
            response = _print_selected(client, [_request(paula["person"]).pk])
            assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
        after = (
            _certificate_state(certificate_id),
            _request_state(request_id),
            _request_state(_request(paula["person"]).pk),
            _entitlement_state(entitlement_id),
        )
    if who in _ACT:
        assert after[0][0] == CertificateReview.ACCEPTED  # the first button pressed (the refusal came too late)
        assert after[1][:3] == (LifeRequestStatus.CONFIRMED, aware(D(2026, 2, 21)), LifeConfirmation.CERTIFICATE)
        assert after[2][3] is False  # Paula's letter printed
        assert after[3][:2] == (EntitlementState.SUSPENDED, SuspensionReason.STAFF)
    else:
        assert after == before
    # Nobody adds, changes or deletes a request or a certificate by hand.
    with at(D(2026, 2, 21)):
        for url in (
            reverse("admin:benefits_lifecertificaterequest_add"),
            reverse("admin:benefits_lifecertificate_add"),
            reverse("admin:benefits_lifecertificaterequest_delete", args=[request_id]),
            reverse("admin:benefits_lifecertificate_delete", args=[certificate_id]),
        ):
            response = client.post(url, {"post": "yes"})
            assert response.status_code in (302, 403), url
            if who not in ("anonymous", "citizen"):
                assert response.status_code == 403, url
        assert client.post(
            reverse("admin:benefits_lifecertificaterequest_change", args=[request_id]), {"status": "confirmed"}
        ).status_code in (302, 403)
    assert LifeCertificateRequest.objects.filter(pk=request_id).exists()
