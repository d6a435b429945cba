"""Claims as people file and follow them, without JavaScript, in French and in English: a mother
claims the birth grant step by step (a document uploaded, the account on file, the declaration
on honour), a daughter claims for her father under a mandate, and a claimant appeals a refusal —
axe and reflow at phone width on every page."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from benefits import services
from benefits.models import Claim
from core.types import Scope
from mandates import services as mandate_services
from tests.benefits.claim_helpers import case_worker, filed_claim, parent_with_newborn, pdf_bytes
from tests.browser.conftest import SHOTS, look
from tests.browser.test_journeys import _sign_in
from tests.helpers import citizen_actor
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.time_machine(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC))
BORN = datetime.date(2026, 11, 14)


def _checked(new_page, locale: str):
    page = new_page(java_script_enabled=False, locale=locale)
    checker = new_page(locale=locale)
    checker.goto("/")

    def look_at(name: str) -> None:
        checker.set_content(page.content())
        look(checker, f"claims-{name}-{locale[:2]}-checked")
        if SHOTS:
            for width, suffix in ((1280, "desktop"), (390, "phone")):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=f"{SHOTS}/claims-{name}-{locale[:2]}-{suffix}.png", full_page=True)
            page.set_viewport_size({"width": 1280, "height": 900})

    return page, look_at


def _button(page: Page, french: str, english: str, fr: bool) -> None:
    page.get_by_role("button", name=french if fr else english, exact=True).click()


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_a_mother_claims_the_birth_grant_step_by_step(new_page, tmp_path, locale):
    fr = locale == "fr-FR"
    ana = parent_with_newborn(born=BORN)
    page, look_at = _checked(new_page, locale)
    _sign_in(page, ana["user"].email)
    page.goto("/benefits/birth-grant/")
    _button(page, "La demander en ligne", "Claim it online", fr)
    expect(page.locator("h1")).to_contain_text("Allocation de naissance" if fr else "Claim: Birth grant")
    look_at("about")
    page.get_by_label("Léo, né(e) le 14 novembre 2026" if fr else "Léo, born on 14 November 2026").check()
    _button(page, "Enregistrer et continuer", "Save and continue", fr)

    scan = tmp_path / "acte-de-naissance.pdf"
    scan.write_bytes(pdf_bytes())
    fake = tmp_path / "photo.pdf"
    fake.write_bytes(b"%PDF-1.4 this is not a PDF")
    page.set_input_files("#id_file", str(fake))
    _button(page, "Ajouter ce document", "Add this document", fr)
    expect(page.locator(".usa-alert--error")).to_contain_text(
        "Envoyez un fichier PDF, JPEG ou PNG" if fr else "Send a PDF, JPEG or PNG file"
    )
    look_at("document-refused")
    page.set_input_files("#id_file", str(scan))
    _button(page, "Ajouter ce document", "Add this document", fr)
    expect(page.locator("table")).to_contain_text("acte-de-naissance.pdf")
    look_at("documents")
    _button(page, "Continuer", "Continue", fr)

    expect(page.locator("main")).to_contain_text("BE** **** **** 6769")
    look_at("bank")
    _button(page, "Enregistrer et continuer", "Save and continue", fr)
    look_at("declaration")
    _button(page, "Envoyer la demande", "Submit the claim", fr)
    expect(page.locator(".usa-alert--error")).to_contain_text(
        "Cochez la déclaration sur l’honneur" if fr else "Tick the declaration on honour"
    )
    page.locator("label[for=id_honour]").click()  # the design system's box: its label is what shows
    _button(page, "Envoyer la demande", "Submit the claim", fr)

    claim = Claim.objects.get(person=ana["person"])
    expect(page.locator(".usa-intro")).to_contain_text(claim.reference)
    expect(page.locator("main")).to_contain_text("4 janvier 2027" if fr else "4 January 2027")
    look_at("filed")
    page.goto("/my-file/claims/")
    expect(page.locator("tbody")).to_contain_text(claim.reference)
    look_at("list")


def test_a_daughter_claims_for_her_father_under_a_mandate(new_page):
    ana = parent_with_newborn(born=BORN)
    daughter = UserFactory(
        first_name="Sophie", last_name="Helper", person=PersonFactory(first_name="Sophie", last_name="Helper")
    )
    now = timezone.now()
    mandate_id = mandate_services.mandate_grant(
        actor=citizen_actor(ana["user"], level=2),
        proxy_national_number=daughter.person.national_number,
        proxy_last_name="Helper",
        scopes=[Scope.MANAGE_CLAIMS],
        starts_on=now.date(),
        ends_on=now.date() + datetime.timedelta(days=30),
        now=now,
    )
    mandate_services.mandate_accept(actor=citizen_actor(daughter), mandate_id=mandate_id, now=now)
    page, look_at = _checked(new_page, "fr-FR")
    _sign_in(page, daughter.email)
    page.goto("/mandates/")
    page.get_by_role("button", name="Agir pour", exact=False).first.click()
    page.goto("/benefits/birth-grant/")
    _button(page, "La demander pour Ana Martin", "", True)
    expect(page.locator("h1")).to_contain_text("Demande de Ana Martin")
    look_at("proxy-about")
    page.get_by_label("Léo, né(e) le 14 novembre 2026").check()
    _button(page, "Enregistrer et continuer", "", True)
    _button(page, "Continuer", "", True)
    # Without the payment-details scope: the account on file only.
    expect(page.locator("main")).not_to_contain_text("Un autre compte")
    _button(page, "Enregistrer et continuer", "", True)
    page.locator("label[for=id_honour]").click()
    _button(page, "Envoyer la demande", "", True)
    expect(page.locator("main")).to_contain_text("Sophie Helper, sous mandat")
    look_at("proxy-filed")


# In English (the French pages of a claim are walked above).
@pytest.mark.parametrize("locale", ["en-GB"])
def test_a_claimant_reads_the_refusal_and_appeals(new_page, tmp_path, locale, settings):
    fr = locale == "fr-FR"
    settings.BENEFIT_FOUR_EYES_ABOVE = Decimal("5000.00")
    ana = parent_with_newborn(born=BORN)
    claim_id = filed_claim(ana)
    _one, first = case_worker("First")
    _two, second = case_worker("Second")
    now = timezone.now()
    services.claim_review_start(actor=first, claim_id=claim_id, seen_status="submitted", now=now)
    services.claim_decision_propose(
        actor=first, claim_id=claim_id, seen_status="in_review", outcome="refused", reason="Not the parent.", now=now
    )
    services.claim_proposal_approve(actor=second, claim_id=claim_id, seen_status="proposed", now=now)

    page, look_at = _checked(new_page, locale)
    _sign_in(page, ana["user"].email)
    page.goto(f"/my-file/claims/{claim_id}/")
    expect(page.locator("main")).to_contain_text("refusée" if fr else "refused")
    look_at("refused")
    page.fill(
        "#id_grounds", "Je suis bien sa mère : voici l’acte." if fr else "I am his mother: here is the certificate."
    )
    proof = tmp_path / "acte.pdf"
    proof.write_bytes(pdf_bytes())
    page.set_input_files("#id_file", str(proof))
    _button(page, "Introduire le recours", "Lodge the appeal", fr)
    expect(page.locator("main")).to_contain_text("Recours introduit" if fr else "Appeal lodged")
    look_at("appealed")
    assert Claim.objects.get(pk=claim_id).status == "appealed"
