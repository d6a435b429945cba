"""Signed-in pages hold personal data: no cache keeps them. Public pages may be cached."""

import pytest
from django.urls import reverse

from tests.helpers import sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "page",
    ["portal:dashboard", "contributions:record", "identity:bank_account", "portal:access_log", "notifications:inbox"],
)
def test_a_signed_in_page_is_never_stored(client, page):
    sign_in(client, UserFactory(person=PersonFactory()))
    response = client.get(reverse(page))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("page", ["contributions:account", "contributions:declarations", "contributions:employees"])
def test_an_employers_pages_are_never_stored(client, page):
    enterprise = EnterpriseFactory()
    user = with_totp(UserFactory())
    representation(user, enterprise, "administrator")
    sign_in(client, user, mfa=True)
    response = client.get(reverse(page, args=[enterprise.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_public_page_to_someone_not_signed_in_is_not_marked(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
