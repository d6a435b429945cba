"""The recovery codes page shows the codes allauth generated (the portal's design-system "field"
element once drew them as an empty <input type="textarea">)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

from tests.helpers import sign_in
from tests.identity import factories

pytestmark = pytest.mark.django_db


def _signed_in_just_now(client, user):
    """Signed in with both factors, and the password typed again a moment ago: allauth asks for it
    again before it shows or hands out the codes."""
    sign_in(client, user, mfa=True)
    session = client.session
    session["account_authentication_methods"][-1]["reauthenticated"] = True
    session.save()


def test_the_recovery_codes_page_shows_every_unused_code_in_a_textarea(client):
    user = factories.with_totp(factories.UserFactory())
    codes = RecoveryCodes.activate(user).get_unused_codes()
    assert len(codes) == 10
    _signed_in_just_now(client, user)

    response = client.get("/accounts/2fa/recovery-codes/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="textarea"' not in html
    start = html.index('<textarea class="usa-textarea')
    textarea = html[start : html.index("</textarea>", start)]
    assert 'id="recovery_codes"' in textarea and "readonly" in textarea and 'rows="10"' in textarea
    assert textarea.split(">", 1)[1].split("\n") == codes
    assert '<label class="usa-label" for="recovery_codes">' in html


def test_the_download_holds_the_same_codes(client):
    user = factories.with_totp(factories.UserFactory())
    codes = RecoveryCodes.activate(user).get_unused_codes()
    _signed_in_just_now(client, user)

    response = client.get("/accounts/2fa/recovery-codes/download/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert [line for line in response.content.decode().splitlines() if line] == codes
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).count() == 1
