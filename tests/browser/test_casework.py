"""A claim decided in the back office, in a browser: a case worker examines it in French (the
queue, the case page with the claim computed, a corrected input, a proposal), a second one
approves it in English. Each page passes axe and reflows at phone width; with
GUICHET_SCREENSHOTS set, the queue and the case page are photographed (desktop and 390 px)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse
from playwright.sync_api import Page, expect

from benefits.models import Claim, Entitlement
from tests.benefits.claim_helpers import case_worker, filed_claim, parent_with_newborn
from tests.browser.conftest import NewPage, look
from tests.browser.test_journeys import _sign_in
from tests.identity.factories import TOTP_SECRET, with_totp


def _act(page: Page, claim_id: int, action: str) -> None:
    """Submits the case page's form that posts to ``action``."""
    url = reverse(f"admin:benefits_claim_{action}", args=[claim_id])
    page.locator(f"form[action='{url}'] input[type=submit]").click()
    page.wait_for_load_state("load")


def test_a_case_worker_proposes_in_french_and_another_approves_in_english(new_page: NewPage, settings) -> None:
    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("1000.00")
    born = datetime.date.today().replace(day=1) - datetime.timedelta(days=20)
    claim_id = filed_claim(parent_with_newborn(born=born))
    first, _first_actor = case_worker("Dupont")
    second, _second_actor = case_worker("Smith")
    first, second = with_totp(first), with_totp(second)
    queue = reverse("admin:benefits_claim_changelist")
    case = reverse("admin:benefits_claim_change", args=[claim_id])

    french = new_page()
    _sign_in(french, first.email, totp_secret=TOTP_SECRET)
    french.goto(queue + "?queue=unassigned")
    expect(french.locator("#result_list")).to_contain_text(Claim.objects.get(pk=claim_id).reference)
    look(french, "casework-queue-fr")
    french.goto(case)
    _act(french, claim_id, "review")
    french.select_option("#id_correct_member", "0")
    french.select_option("#id_correct_input_name", "insured_months")
    french.fill("#id_correct_value", "120")
    french.fill("#id_correct_reason", "Le relevé compte un congé sans solde.")
    _act(french, claim_id, "correct")
    expect(french.locator(".guichet-case").first).to_contain_text("200,00")
    french.check("#id_propose_outcome_0")
    french.fill("#id_propose_reason", "Né le mois demandé ; la mère est assurée.")
    _act(french, claim_id, "propose")
    assert Claim.objects.get(pk=claim_id).status == "proposed"
    look(french, "casework-case-fr")

    english = new_page(locale="en-GB")
    _sign_in(english, second.email, totp_secret=TOTP_SECRET)
    english.goto(queue + "?queue=to_approve")
    look(english, "casework-queue-en")
    english.goto(case)
    expect(english.locator("#act-approve")).to_have_text("Approve the proposal")
    look(english, "casework-case-en")
    _act(english, claim_id, "approve")
    expect(english.locator(".messagelist")).to_contain_text("the claim is granted")
    assert Entitlement.objects.get(claim_id=claim_id).amount == Decimal("1200.00")
