"""The catalogue's cards say online exactly when the portal serves the page: walked card by card
for the persona it is for, and page by page of the portal."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from identity.types import EnterpriseRole
from portal.catalogue import CATALOGUE, CITIZEN, PENSIONER, Service
from tests.helpers import sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db

SERVICES = [service for situation in CATALOGUE for service in situation.services]

# The pages of the portal that are not a service of their own, and the service (or page) that
# leads to each. A new page is either a card of the catalogue or one of these.
REACHED_FROM = {
    "portal:home": "the catalogue itself",
    "portal:dashboard": "the menu",
    "portal:language_set": "the language switch",
    "portal:status": "the footer",
    "portal:assisted_stop": "staff at a counter",
    "identity:counter_sign_in_address": "staff at a counter",
    "identity:second_factor": "signing in",
    "identity:second_factor_again": "signing in",
    "identity:second_factor_set_up": "a page that needs the second factor (step-up)",
    "identity:api_keys": "api (Connect payroll software), for administrators",
    "notifications:mark_all_read": "inbox",
    "notifications:preferences": "inbox",
    "notifications:phone": "inbox",
    "mandates:enterprise_clients": "monthly-declaration, for payroll bureaus",
    "mandates:grant": "mandate",
    "mandates:grant_professional": "mandate",
    "mandates:request": "mandate",
    "mandates:stop_acting": "mandate",
    "mandates:enterprise_bureaus": "representatives",
    "contributions:record_report": "contribution-record",
    "contributions:pay": "payment",
    "contributions:refund": "payment",
    "contributions:statement_csv": "payment",
    "contributions:bulk_uploads": "monthly-declaration, by file",
    "contributions:bulk_format": "monthly-declaration, by file",
    "portal:enterprise_service": "the employer's cards",
    "benefits:payment_statement": "benefit-payments, its yearly statement form",
    "benefits:life_certificate_send": "life-certificate, its form",
    "benefits:life_check_start": "life-certificate, its identity check button",
    "benefits:proposals": "the dashboard (a link, and an alert while some wait for an answer)",
}
APPS = {"portal", "identity", "notifications", "mandates", "contributions", "benefits"}


def _pages() -> set[str]:
    """The URL names of the portal's own pages that stand alone: without an argument, or with
    only the enterprise whose page it is (details of one object are reached from their list)."""
    found: set[str] = set()

    def walk(patterns: list, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name and namespace in APPS:
                arguments = set(getattr(pattern.pattern, "converters", {}))
                if arguments <= {"enterprise_id"} or pattern.name == "enterprise_service":
                    found.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, "")
    return found


def test_every_page_of_the_portal_is_a_card_or_reached_from_one():
    claimed = {name for service in SERVICES for name in (service.url_name, service.enterprise_url_name) if name}
    pages = _pages()
    assert "contributions:statement" in pages
    unclaimed = pages - claimed - set(REACHED_FROM)
    assert not unclaimed, f"pages no card leads to (a service shown offline?): {sorted(unclaimed)}"
    assert not set(REACHED_FROM) - pages, "REACHED_FROM names a page that no longer exists"
    assert not claimed & set(REACHED_FROM)


def test_every_card_is_online_now_the_life_certificate_is():
    # The last card offline, the life certificate from abroad, has its page.
    assert [service.key for service in SERVICES if not service.is_online] == []
    life = next(service for service in SERVICES if service.key == "life-certificate")
    assert life.url == reverse("benefits:life_certificate")


def test_contribution_statement_is_online():
    statement = next(service for service in SERVICES if service.key == "contribution-statement")
    assert statement.url == reverse("contributions:statement")


@pytest.fixture
def visitors(client_factory):
    citizen = client_factory()
    sign_in(citizen, UserFactory(person=PersonFactory()))
    employer_user = with_totp(UserFactory(person=PersonFactory()))
    enterprise = EnterpriseFactory()
    representation(employer_user, enterprise)
    employer = client_factory()
    sign_in(employer, employer_user, mfa=True)
    return {"citizen": citizen, "employer": employer, "enterprise": enterprise}


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client


def _visitor_for(service: Service, visitors: dict) -> object:
    if CITIZEN in service.personas or PENSIONER in service.personas:
        return visitors["citizen"]
    return visitors["employer"]


def test_every_online_card_answers_for_its_persona(visitors):
    online = [service for service in SERVICES if service.is_online]
    assert len(online) >= 15
    for service in online:
        client = _visitor_for(service, visitors)
        response = client.get(service.url)
        assert response.status_code in {200, 302}, service.key
        if service.enterprise_url_name:
            # Its one enterprise's own page, not the dashboard.
            expected = service.enterprise_url(enterprise_id=visitors["enterprise"].id)
            assert response.status_code == 302, service.key
            assert response["Location"] == expected
        if response.status_code == 302:
            assert client.get(response["Location"], follow=True).status_code == 200, service.key


def test_an_enterprise_card_offers_a_choice_to_whoever_acts_for_several(client):
    user = with_totp(UserFactory())
    first = EnterpriseFactory(name="Boulangerie Dupont")
    second = EnterpriseFactory(name="Garage Voisin")
    EnterpriseFactory(name="Pharmacie Autre")
    representation(user, first)
    representation(user, second, role=EnterpriseRole.DECLARANT)
    sign_in(client, user, mfa=True)

    response = client.get(reverse("portal:enterprise_service", kwargs={"service": "monthly-declaration"}))

    assert response.status_code == 200
    body = response.content.decode()
    assert f'href="{reverse("contributions:declarations", kwargs={"enterprise_id": first.id})}"' in body
    assert f'href="{reverse("contributions:declarations", kwargs={"enterprise_id": second.id})}"' in body
    assert "Pharmacie Autre" not in body


def test_an_enterprise_card_counts_only_the_roles_that_reach_its_page(client):
    user = with_totp(UserFactory())
    enterprise = EnterpriseFactory()
    representation(user, enterprise, role=EnterpriseRole.VIEWER)
    sign_in(client, user, mfa=True)

    declarations = client.get(reverse("portal:enterprise_service", kwargs={"service": "monthly-declaration"}))
    assert declarations.status_code == 200
    assert reverse("contributions:declarations", kwargs={"enterprise_id": enterprise.id}) not in (
        declarations.content.decode()
    )
    assert reverse("mandates:enterprise_clients") in declarations.content.decode()

    representatives = client.get(reverse("portal:enterprise_service", kwargs={"service": "representatives"}))
    assert representatives["Location"] == reverse("identity:representatives", kwargs={"enterprise_id": enterprise.id})


def test_enterprise_cards_need_a_sign_in_and_a_known_service(client):
    url = reverse("portal:enterprise_service", kwargs={"service": "payment"})
    assert client.get(url)["Location"].startswith(reverse("account_login"))
    sign_in(client, UserFactory())
    assert client.get(reverse("portal:enterprise_service", kwargs={"service": "birth-grant"})).status_code == 404
    assert client.get(reverse("portal:enterprise_service", kwargs={"service": "nothing"})).status_code == 404


def test_dashboard_points_to_the_catalogue_without_promising_what_is_online(client):
    sign_in(client, UserFactory(person=PersonFactory()))
    body = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "will appear here" not in body
    assert "See all services and how to reach them today" in body


def test_employer_persona_cards_lead_to_the_enterprise_pages(client):
    body = client.get(reverse("portal:home") + "?persona=employer").content.decode()
    for key in ("representatives", "hire", "monthly-declaration", "payment", "compliance-certificate"):
        assert f'href="{reverse("portal:enterprise_service", kwargs={"service": key})}"' in body
    assert f'href="{reverse("portal:dashboard")}"' not in body.split("<main", 1)[1]
