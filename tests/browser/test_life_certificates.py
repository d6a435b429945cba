"""A life certificate as people meet it, without JavaScript, in French and English: a daughter
holding her father's mandate sends the certificate the town hall signed for him (his pension
suspended for want of it); he reads the answer once staff accepted it — axe and reflow at phone
width on every page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from benefits import services
from benefits.life import campaign
from benefits.models import LifeCertificate
from core.types import Scope
from mandates import services as mandate_services
from tests.benefits.claim_helpers import png_bytes
from tests.benefits.payment_helpers import aware, pensioner
from tests.browser.test_journeys import _sign_in
from tests.browser.test_payments import _look
from tests.helpers import citizen_actor
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.time_machine(datetime.datetime(2026, 6, 5, 9, 0, tzinfo=datetime.UTC))
D = datetime.date


def _suspended_jean() -> dict:
    jean = pensioner(amount="1000.00", start_on=D(2026, 1, 1), now=aware(D(2026, 1, 10)))
    jean["person"].country = "ES"
    jean["person"].save()
    campaign.life_certificates_ask(now=aware(D(2026, 2, 2)))
    campaign.life_certificates_lapse(now=aware(D(2026, 5, 4)))
    return jean


def _daughter_of(jean: dict):
    daughter = UserFactory(
        first_name="Sophie", last_name="Helper", person=PersonFactory(first_name="Sophie", last_name="Helper")
    )
    now = timezone.now()
    mandate_id = mandate_services.mandate_grant(
        actor=citizen_actor(jean["user"], level=2),
        proxy_national_number=daughter.person.national_number,
        proxy_last_name="Helper",
        scopes=[Scope.VIEW_FILE, Scope.MANAGE_CLAIMS],
        starts_on=now.date(),
        ends_on=now.date() + datetime.timedelta(days=30),
        now=now,
    )
    mandate_services.mandate_accept(actor=citizen_actor(daughter), mandate_id=mandate_id, now=now)
    return daughter


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_a_daughter_sends_her_fathers_life_certificate_and_he_reads_that_it_is_accepted(new_page, locale, tmp_path):
    fr = locale == "fr-FR"
    jean = _suspended_jean()
    daughter = _daughter_of(jean)
    page = new_page(java_script_enabled=False, locale=locale)
    _sign_in(page, daughter.email)
    page.goto("/mandates/")
    page.get_by_role("button", name="Agir pour" if fr else "Act on behalf", exact=False).first.click()
    page.goto("/my-file/life-certificate/")
    expect(page.locator("h1")).to_have_text(
        "Certificat de vie de Jean Dubois" if fr else "Life certificate of Jean Dubois"
    )
    main = page.locator("main")
    expect(main).to_contain_text("Pension suspendue" if fr else "Pension suspended")
    expect(main).to_contain_text("depuis le 4 mai 2026" if fr else "since 4 May 2026")
    # The identity check is the pensioner's own: his daughter sends the certificate instead.
    expect(
        page.get_by_role("button", name="Passer la vérification d’identité" if fr else "Pass the identity check")
    ).to_have_count(0)
    _look(new_page, page, f"life-certificate-proxy-{locale[:2]}", locale)

    scan = tmp_path / "fe-de-vida.png"
    scan.write_bytes(png_bytes())
    page.get_by_label("Le certificat" if fr else "The certificate").set_input_files(str(scan))
    page.get_by_role("button", name="Envoyer le certificat" if fr else "Send the certificate").click()
    expect(main).to_contain_text("Le certificat est envoyé" if fr else "The certificate is sent")
    expect(main).to_contain_text("fe-de-vida.png")
    _look(new_page, page, f"life-certificate-sent-{locale[:2]}", locale)

    agent = UserFactory(is_staff=True, person=PersonFactory(last_name="Agent"))
    services.life_certificate_review(
        staff_user_id=agent.pk,
        certificate_id=LifeCertificate.objects.get().pk,
        accept=True,
        reason="",
        now=timezone.now(),
    )
    own = new_page(java_script_enabled=False, locale=locale)
    _sign_in(own, jean["user"].email)
    own.goto("/my-file/life-certificate/")
    expect(own.locator("h1")).to_have_text("Mon certificat de vie" if fr else "My life certificate")
    expect(own.locator("main")).to_contain_text("Fait pour cette année" if fr else "Done for this year")
    _look(new_page, own, f"life-certificate-done-{locale[:2]}", locale)
