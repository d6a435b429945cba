"""The benefits proposed without an application, through HTTP: the list and a proposal's page
(what it pays, about whom, why it is due, in English and French), accepting it (the benefit
opens) or declining it, the second answer refused, a bank account missing, a forged address; who
may read and answer (the authorization matrix), and what a proxy read and did, in the
principal's trail."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from benefits.attribution.together import Birth, birth_candidates, candidates_propose
from benefits.models import Entitlement, Proposal
from core.models import AccessRecord
from core.periods import Period
from core.types import AccessPurpose, Scope
from identity.models import BankAccount
from mandates.models import Mandate
from tests.benefits.claim_helpers import IBAN, parent_with_newborn
from tests.benefits.proposal_helpers import birth_event, proposed
from tests.helpers import act_for, sign_in
from tests.identity.factories import PersonFactory, UserFactory, with_totp

NOW = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)
BORN = datetime.date(2026, 11, 14)
EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def _text(response) -> str:
    html = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("\N{NO-BREAK SPACE}", " ").replace("&#x27;", "'").split())


def _h1(response) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S)
    assert found, "no heading"
    return " ".join(found.group(1).split())


@pytest.fixture
def ana() -> dict:
    """Ana, insured since 2010 with an account on file; her baby Léo born on 14 November 2026,
    registered by the civil registry: the birth grant is proposed to her."""
    family = parent_with_newborn(born=BORN)
    family["event_id"] = birth_event(family, now=NOW)
    family["proposal_id"] = proposed(family, now=NOW, event_id=family["event_id"])
    return family


def _page(proposal_id: int) -> str:
    return reverse("benefits:proposal", args=[proposal_id])


def _accept(proposal_id: int) -> str:
    return reverse("benefits:proposal_accept", args=[proposal_id])


def _decline(proposal_id: int) -> str:
    return reverse("benefits:proposal_decline", args=[proposal_id])


def _unchanged(proposal_id: int) -> None:
    proposal = Proposal.objects.get(pk=proposal_id)
    assert (proposal.status, proposal.answered_at, proposal.answered_by_id, proposal.note) == (
        "offered",
        None,
        None,
        "",
    )
    assert not Entitlement.objects.exists()


def test_the_person_reads_why_the_grant_is_due_and_accepts_it(client, ana):
    sign_in(client, ana["user"])
    proposal_id = ana["proposal_id"]
    reference = Proposal.objects.get(pk=proposal_id).reference
    dashboard = _text(client.get(reverse("portal:dashboard"), headers=EN))
    assert "1 benefit is proposed to you, waiting for your answer. Read and answer" in dashboard

    listed = _text(client.get(reverse("benefits:proposals"), headers=EN))
    assert f"Birth grant {reference} Léo Martin 1,200.00 €, paid once. Waiting for an answer 5 December 2026" in listed

    page = client.get(_page(proposal_id), headers=EN)
    text = _text(page)
    assert _h1(page) == "Birth grant"
    assert f"Benefit proposed without any application, {reference}: waiting for your answer." in text
    assert "1,200.00 €, paid once." in text
    assert "About Léo Martin" in text
    assert "Proposed because of A birth on 14 November 2026" in text
    assert "From the month November 2026" in text
    assert "Paid to BE** **** **** 6769" in text
    assert (
        "You are entitled to it: from your file (the registry and your contribution record), every condition is met."
        " Met: Born on 14 November 2026."
        " Met: A parent has 192 months credited to their record; 6 months are required."
        " Legal basis: SIA art. 51."
    ) in text
    assert f'action="{_accept(proposal_id)}"' in page.content.decode()

    accepted = client.post(_accept(proposal_id), headers=EN)

    assert accepted.status_code == 302 and accepted["Location"] == _page(proposal_id)
    entitlement = Entitlement.objects.get()
    assert (
        entitlement.person_id,
        entitlement.scheme,
        entitlement.periodicity,
        entitlement.amount,
        entitlement.start_on,
        entitlement.iban,
        entitlement.opened_at,
        entitlement.state,
    ) == (ana["person"].pk, "birth_grant", "once", Decimal("1200.00"), datetime.date(2026, 11, 1), IBAN, NOW, "active")
    proposal = Proposal.objects.get(pk=proposal_id)
    assert (proposal.status, proposal.entitlement_id, proposal.answered_at, proposal.answered_by_id) == (
        "accepted",
        entitlement.pk,
        NOW,
        ana["user"].pk,
    )
    after = _text(client.get(_page(proposal_id), headers=EN))
    assert "Accepted: the benefit is open, and paid with the next monthly payment." in after
    assert (
        "Accepted on 5 December 2026: the benefit is open, paid to the account BE** **** **** 6769 with the monthly"
        " payments. My benefit payments"
    ) in after
    assert "Decline the proposal" not in after
    assert "benefit is proposed to you" not in _text(client.get(reverse("portal:dashboard"), headers=EN))
    # Her own reads and answer are hers: nothing in her trail.
    assert not AccessRecord.objects.filter(subject_person_id=ana["person"].pk).exists()


def test_a_second_answer_is_refused_with_the_message_and_changes_nothing(client, ana):
    sign_in(client, ana["user"])
    proposal_id = ana["proposal_id"]
    client.post(_accept(proposal_id))

    again = client.post(_accept(proposal_id), headers=EN)
    declined = client.post(_decline(proposal_id), {"reason": "Changed my mind."}, headers=EN)

    for response in (again, declined):
        assert response.status_code == 400
        assert "This proposal is not waiting for an answer any more: read it again." in _text(response)
        assert 'role="alert"' in response.content.decode()
    assert Entitlement.objects.count() == 1
    proposal = Proposal.objects.get(pk=proposal_id)
    assert (proposal.status, proposal.note) == ("accepted", "")


def test_declining_keeps_the_reason_and_the_right_is_not_proposed_again(client, ana):
    sign_in(client, ana["user"])
    proposal_id = ana["proposal_id"]

    too_long = client.post(_decline(proposal_id), {"reason": "x" * 501}, headers=EN)
    assert too_long.status_code == 400
    assert "Ensure this value has at most 500 characters (it has 501)." in _text(too_long)
    _unchanged(proposal_id)

    declined = client.post(_decline(proposal_id), {"reason": "  We already receive it abroad.  "}, headers=EN)

    assert declined.status_code == 302 and declined["Location"] == _page(proposal_id)
    proposal = Proposal.objects.get(pk=proposal_id)
    assert (proposal.status, proposal.note, proposal.answered_at, proposal.answered_by_id) == (
        "declined",
        "We already receive it abroad.",
        NOW,
        ana["user"].pk,
    )
    assert not Entitlement.objects.exists()
    page = _text(client.get(_page(proposal_id), headers=EN))
    assert "Declined: this benefit will not be proposed again." in page
    assert (
        "Declined on 5 December 2026: it is not proposed again. The reason given: “We already receive it abroad.”"
        in page
    )
    listed = _text(client.get(reverse("benefits:proposals"), headers=EN))
    assert "Declined by the person" in listed
    assert _same_right(ana) == []
    assert list(Proposal.objects.values_list("pk", "status")) == [(proposal_id, "declined")]


def test_disputing_files_a_claim_with_the_persons_words_and_opens_its_page(client, ana):
    from benefits.models import Claim

    sign_in(client, ana["user"])
    proposal_id = ana["proposal_id"]
    dispute = reverse("benefits:proposal_dispute", args=[proposal_id])

    no_honour = client.post(dispute, {"text": "Twins: two grants are due."}, headers=EN)
    assert no_honour.status_code == 400 and "This field is required." in _text(no_honour)
    _unchanged(proposal_id)
    assert not Claim.objects.exists()

    response = client.post(dispute, {"text": "Twins: two grants are due.", "honour": "on"}, headers=EN)

    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("benefits:claim", args=[claim.pk])
    assert (claim.status, claim.scheme, claim.answers["remarks"], claim.submitted_by_id) == (
        "submitted",
        "birth_grant",
        "Twins: two grants are due.",
        ana["user"].pk,
    )
    proposal = Proposal.objects.get(pk=proposal_id)
    assert (proposal.status, proposal.claim_id) == ("disputed", claim.pk)
    page = _text(client.get(_page(proposal_id), headers=EN))
    assert "Disputed on 5 December 2026: a claim is open instead, decided by a case worker." in page


def _same_right(family: dict) -> list:
    """The same right proposed again (the registry's event sent twice): what was created."""
    birth = Birth(
        event_id=family["event_id"],
        child_id=family["baby"].pk,
        month=Period.of(BORN),
        parent_ids=(family["person"].pk,),
    )
    return candidates_propose(
        candidates=[candidate for candidate in birth_candidates([birth]) if candidate.scheme == "birth_grant"], now=NOW
    )


def test_without_a_bank_account_the_page_says_so_and_accepting_changes_nothing(client, ana):
    BankAccount.objects.filter(person=ana["person"]).update(ended_at=NOW)
    sign_in(client, ana["user"])
    proposal_id = ana["proposal_id"]

    page = client.get(_page(proposal_id), headers=EN)
    text = _text(page)
    assert "Paid to No bank account on file" in text
    assert (
        "No bank account is on file: give the account the benefit is paid to first, then accept the proposal."
        " Record a bank account"
    ) in text
    assert f'action="{_accept(proposal_id)}"' not in page.content.decode()

    refused = client.post(_accept(proposal_id), headers=EN)

    assert refused.status_code == 400
    assert "Give the bank account the benefit is paid to first (My bank account), then accept the proposal." in _text(
        refused
    )
    _unchanged(proposal_id)


def test_a_proposal_withdrawn_on_new_data_says_why_in_words_and_cannot_be_answered(client, ana):
    Proposal.objects.filter(pk=ana["proposal_id"]).update(status="withdrawn", note="re-evaluated: no longer due")
    sign_in(client, ana["user"])

    page = client.get(_page(ana["proposal_id"]), headers=EN)
    refused = client.post(_accept(ana["proposal_id"]), headers=EN)

    text = _text(page)
    assert (
        "This proposal was withdrawn: nothing is paid under it."
        " Computed again on the data as they are now, the benefit is not due."
    ) in text
    assert "re-evaluated" not in text
    assert "When it was proposed, every condition was met: Met: Born on 14 November 2026." in text
    assert "Accept the proposal" not in text and "Decline the proposal" not in text
    assert refused.status_code == 400 and "This proposal is not waiting for an answer any more" in _text(refused)
    assert not Entitlement.objects.exists()


def test_a_forged_or_unoffered_proposal_is_not_found(client, ana):
    sign_in(client, ana["user"])
    waiting = Proposal.objects.get(pk=ana["proposal_id"])
    waiting.pk, waiting.scheme, waiting.reference, waiting.status, waiting.offered_at = (
        None,
        "family_allowance",
        "PRO-2026-999999",
        "to_verify",
        None,
    )
    waiting.save()  # still with the case workers: not the person's to read yet

    for proposal_id in (999_999, waiting.pk):
        assert client.get(_page(proposal_id)).status_code == 404
        assert client.post(_accept(proposal_id)).status_code == 404
        assert client.post(_decline(proposal_id), {"reason": ""}).status_code == 404
    assert "PRO-2026-999999" not in _text(client.get(reverse("benefits:proposals"), headers=EN))
    assert Proposal.objects.get(pk=waiting.pk).status == "to_verify"
    _unchanged(ana["proposal_id"])


def test_the_pages_in_french(client, ana):
    sign_in(client, ana["user"])
    proposal_id = ana["proposal_id"]

    listed = _text(client.get(reverse("benefits:proposals"), headers=FR))
    page = client.get(_page(proposal_id), headers=FR)
    text = _text(page)

    assert "Allocation de naissance" in listed and "1 200,00 €, versés une fois." in listed
    assert _h1(page) == "Allocation de naissance"
    assert "1 200,00 €, versés une fois." in text
    assert "Concerne Léo Martin" in text
    assert "À partir du mois novembre 2026" in text
    assert "Rempli : Né(e) le 14 novembre 2026." in text
    assert "Rempli : Un parent a 192 mois validés à son compte ; 6 mois sont requis." in text
    assert "Base légale : SIA art. 51." in text
    assert "Pourquoi (facultatif)" in text
    assert ">Accepter</button>" in page.content.decode() and ">Refuser</button>" in page.content.decode()
    assert 'lang="fr"' in page.content.decode()


def test_a_baby_born_on_the_15th_reads_born_during_the_month_not_a_negative_age(client):
    """The rules count the age on the first day of the month, before the birth (-1): the family
    allowance's explanation says when the baby was born instead."""
    family = parent_with_newborn(born=datetime.date(2026, 11, 15))
    proposal_id = proposed(family, scheme="family_allowance", now=NOW, event_id=birth_event(family, now=NOW))
    sign_in(client, family["user"])

    english = _text(client.get(_page(proposal_id), headers=EN))
    french = _text(client.get(_page(proposal_id), headers=FR))

    assert "Met: Born during the month, on 15 November 2026; the allowance ends at 18 years." in english
    assert "Rempli : Né(e) au cours du mois, le 15 novembre 2026 ; l’allocation prend fin à 18 ans." in french
    assert "Age on the first day" not in english and "Âge le premier jour" not in french


def test_the_list_reads_the_same_number_of_queries_for_more_proposals(client, ana):
    sign_in(client, ana["user"])
    client.get(reverse("benefits:proposals"))  # the session and caches warm

    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("benefits:proposals")).status_code == 200
    family_allowance = proposed(ana, scheme="family_allowance", now=NOW, event_id=ana["event_id"])
    twin = PersonFactory(first_name="Lou", last_name="Martin", birth_date=BORN, country="BE")
    Proposal.objects.filter(pk=family_allowance).update(status="declined", answered_at=NOW)
    copy = Proposal.objects.get(pk=ana["proposal_id"])
    copy.pk, copy.subject_id, copy.reference = None, twin.pk, "PRO-2026-000100"
    copy.save()
    with CaptureQueriesContext(connection) as three:
        listed = client.get(reverse("benefits:proposals"), headers=EN)

    assert len(three) == len(one)
    text = _text(listed)
    # Waiting for an answer first, then the others; newest first within each.
    assert text.index("PRO-2026-000100") < text.index("Lou Martin") < text.index("Family allowance")
    assert text.index(f"Birth grant {Proposal.objects.get(pk=ana['proposal_id']).reference}") < text.index(
        "Family allowance"
    )


# --- Who may read and answer ----------------------------------------------------------------------


def _counter_staff():
    staff = with_totp(UserFactory(is_staff=True, first_name="Camille", last_name="Leroy"))
    staff.groups.set([Group.objects.get(name="Case worker")])
    return staff


@pytest.mark.parametrize(
    ("who", "listed", "read", "answers"),
    [
        ("anonymous", 302, 302, 302),
        ("owner", 200, 200, 302),
        ("other_citizen", 200, 404, 404),
        ("proxy_managing_claims", 200, 200, 302),
        ("proxy_viewing_the_file", 200, 200, 404),
        ("proxy_for_payment_details", 403, 404, 404),
        ("expired_mandate", 200, 404, 404),
        ("staff_at_the_counter", 200, 200, 302),
    ],
)
def test_who_may_read_and_answer(client, ana, who, listed, read, answers):
    proposal_id = ana["proposal_id"]
    mandate_id = None
    if who == "owner":
        sign_in(client, ana["user"])
    elif who == "other_citizen":
        sign_in(client, UserFactory(person=PersonFactory()))
    elif who == "proxy_managing_claims":
        _proxy, mandate_id = act_for(client, ana["user"], [Scope.VIEW_FILE, Scope.MANAGE_CLAIMS])
    elif who == "proxy_viewing_the_file":
        _proxy, mandate_id = act_for(client, ana["user"], [Scope.VIEW_FILE])
    elif who == "proxy_for_payment_details":
        act_for(client, ana["user"], [Scope.MANAGE_PAYMENT_DETAILS])
    elif who == "expired_mandate":
        _proxy, mandate_id = act_for(client, ana["user"], [Scope.VIEW_FILE, Scope.MANAGE_CLAIMS])
        today = timezone.localdate()
        Mandate.objects.filter(pk=mandate_id).update(
            starts_on=today - datetime.timedelta(days=60), ends_on=today - datetime.timedelta(days=1)
        )
    elif who == "staff_at_the_counter":
        sign_in(client, _counter_staff(), mfa=True)
        opened = client.post(reverse("portal:assisted_start", args=[ana["person"].pk]), {"reason": "birth at desk"})
        assert opened.status_code == 302

    listing = client.get(reverse("benefits:proposals"), headers=EN)
    page = client.get(_page(proposal_id), headers=EN)
    declined_first = client.post(_decline(proposal_id), {"reason": "Not now."}) if answers != 302 else None
    accepted = client.post(_accept(proposal_id), headers=EN)

    assert listing.status_code == listed
    assert page.status_code == read
    assert accepted.status_code == answers
    if answers == 302 and who != "anonymous":
        assert accepted["Location"] == _page(proposal_id)
        assert Proposal.objects.get(pk=proposal_id).status == "accepted"
        assert Entitlement.objects.get().iban == IBAN
    else:
        if declined_first is not None:
            assert declined_first.status_code == answers
        _unchanged(proposal_id)
    if who == "anonymous":
        for response in (listing, page, accepted):
            assert response["Location"].startswith(reverse("account_login"))
    if read == 200:
        assert "1,200.00 €, paid once." in _text(page)
    if who == "proxy_viewing_the_file":
        text = _text(page)
        assert (
            "Your mandate allows reading this proposal, not answering it: the person, or a proxy who manages"
            " their benefit claims, answers."
        ) in text
        assert "Decline the proposal" not in text
    if who == "proxy_for_payment_details":
        assert "Your mandate does not allow seeing or managing the benefit claims of this file." in _text(listing)
    if who in ("other_citizen", "expired_mandate"):
        assert "Birth grant" not in _text(listing)
    if who in ("proxy_managing_claims", "proxy_viewing_the_file"):
        assert _h1(page) == "Birth grant: proposed to Ana Martin"
        assert _h1(listing) == "Benefits proposed to Ana Martin"
        # Each read is in Ana's trail, under the mandate.
        reads = AccessRecord.objects.filter(
            subject_person_id=ana["person"].pk, purpose=AccessPurpose.PROXY_FILE_VIEW, detail="benefits proposed"
        )
        assert set(reads.values_list("mandate_id", flat=True)) == {mandate_id}
    if who == "staff_at_the_counter":
        assert Proposal.objects.get(pk=proposal_id).answered_by.first_name == "Camille"
        assert set(
            AccessRecord.objects.filter(subject_person_id=ana["person"].pk).values_list("purpose", "detail")
        ) == {(AccessPurpose.ASSISTED_VIEW, "birth at desk")}


def test_a_proxy_answers_and_the_principal_reads_it_in_the_trail_of_the_mandate(client, ana):
    proxy, mandate_id = act_for(client, ana["user"], [Scope.VIEW_FILE, Scope.MANAGE_CLAIMS], last_name="Helper")
    proposal_id = ana["proposal_id"]
    dashboard = _text(client.get(reverse("portal:dashboard"), headers=EN))
    assert "1 benefit is proposed to Ana Martin, waiting for an answer. Read and answer" in dashboard
    assert "Benefits proposed to Ana Martin" in dashboard
    assert client.get(_page(proposal_id)).status_code == 200

    client.post(_decline(proposal_id), {"reason": "She asked me to."})

    proposal = Proposal.objects.get(pk=proposal_id)
    assert (proposal.status, proposal.note, proposal.answered_by_id) == ("declined", "She asked me to.", proxy.pk)
    assert list(
        AccessRecord.objects.filter(mandate_id=mandate_id, purpose=AccessPurpose.PROXY_CLAIM_ACTION).values_list(
            "detail", flat=True
        )
    ) == ["benefit proposed declined"]
    client.logout()
    sign_in(client, ana["user"])
    trail = _text(client.get(reverse("mandates:trail", args=[mandate_id]), headers=EN))
    assert "acted on your benefit claims: a benefit proposed to you, declined for you" in trail
    assert "consulted the benefits proposed to you" in trail
