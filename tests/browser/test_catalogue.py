"""The catalogue in a browser: an employer acting for two enterprises follows a card of the
home page to the chooser, then to that enterprise's own page."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import expect

from identity.types import EnterpriseRole
from tests.browser.conftest import NewPage, look
from tests.browser.test_journeys import _in, _sign_in, _url
from tests.identity import factories


def test_an_employer_card_leads_to_the_chosen_enterprises_page(new_page: NewPage) -> None:
    user = factories.with_totp(factories.UserFactory())
    bakery = factories.EnterpriseFactory(name="Boulangerie Dupont")
    garage = factories.EnterpriseFactory(name="Garage Voisin")
    factories.representation(user, bakery)
    factories.representation(user, garage, role=EnterpriseRole.DECLARANT)
    page = new_page()
    _sign_in(page, user.email, totp_secret=factories.TOTP_SECRET)

    page.goto("/?persona=employer")
    look(page, "catalogue-employer")
    page.get_by_role("link", name=_in("fr", "File the monthly declaration")).click()
    expect(page).to_have_url(_url(reverse("portal:enterprise_service", kwargs={"service": "monthly-declaration"})))
    look(page, "catalogue-enterprise-choice")
    page.get_by_role("link", name="Garage Voisin").click()
    expect(page).to_have_url(_url(reverse("contributions:declarations", kwargs={"enterprise_id": garage.id})))
