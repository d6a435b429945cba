"""The portal's icon: named by every page, and served where browsers ask for it anyway."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.helpers import sign_in
from tests.identity.factories import UserFactory, with_totp

pytestmark = pytest.mark.django_db

LINK = '<link rel="icon" href="/static/guichet/img/favicon.svg" type="image/svg+xml">'


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/guichet/img/favicon.svg"

    icon = client.get("/favicon.ico", follow=True)
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)


def test_pages_name_the_icon(client):
    assert LINK in client.get("/").content.decode()
    assert LINK in client.get("/no-such-page/").content.decode()


def test_back_office_names_the_icon(client):
    sign_in(client, with_totp(UserFactory(is_staff=True, is_superuser=True)), mfa=True)
    assert LINK in client.get(reverse("admin:index")).content.decode()
