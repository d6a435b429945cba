"""A page whose action needs the second factor says what is needed: confirm it when the account
has one, otherwise set one up (and come back). Setting one up raises the session at once."""

from __future__ import annotations

from html import unescape

import pyotp
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from identity.models import BankAccount
from tests.helpers import sign_in
from tests.identity import factories

pytestmark = pytest.mark.django_db

BANK_ACCOUNT = reverse("identity:bank_account")
SET_UP = "/accounts/2fa/totp/activate/?next=/my-file/bank-account/"
WHAT_IT_IS = (
    "You have not set up a second factor yet. It is an authenticator app on your phone that shows a new six-digit"
    " code every 30 seconds; setting it up takes two minutes, and you come back here afterwards."
)
CONFIRM = "/accounts/2fa/reauthenticate/?next=/my-file/bank-account/"


def _fr(text: str) -> str:
    with translation.override("fr"):
        return translation.gettext(text)


def _citizen():
    return factories.UserFactory(person=factories.PersonFactory())


def _password_typed_again(client):
    """allauth asks for the password again before a second factor is added."""
    session = client.session
    session["account_authentication_methods"][-1]["reauthenticated"] = True
    session.save()


def test_without_a_second_factor_the_page_says_what_it_is_and_leads_to_setting_it_up(client):
    sign_in(client, _citizen())

    html = client.get(BANK_ACCOUNT).content.decode()

    assert 'data-second-factor="set-up"' in html
    assert _fr("A change of bank account needs your second factor.") in html
    assert _fr(WHAT_IT_IS) in unescape(html)
    assert f'href="{SET_UP}"' in html
    assert CONFIRM not in html


def test_with_a_second_factor_not_yet_confirmed_the_page_asks_to_confirm_it(client):
    sign_in(client, factories.with_totp(_citizen()))

    html = client.get(BANK_ACCOUNT).content.decode()

    assert 'data-second-factor="confirm"' in html
    assert f'href="{CONFIRM}"' in html
    assert SET_UP not in html


def test_once_the_second_factor_is_confirmed_nothing_is_asked(client):
    sign_in(client, factories.with_totp(_citizen()), mfa=True)

    html = client.get(BANK_ACCOUNT).content.decode()

    assert "data-second-factor" not in html


@pytest.mark.parametrize("path", ["/mandates/"])
def test_the_mandates_page_leads_to_setting_up_a_second_factor(client, path):
    sign_in(client, _citizen())

    html = client.get(path).content.decode()

    assert _fr("Giving, changing or asking for a mandate needs your second factor.") in html
    assert f'href="/accounts/2fa/totp/activate/?next={path}"' in html


# allauth announces the new authenticator once the transaction commits: a real one here.
@pytest.mark.django_db(transaction=True)
def test_setting_up_the_app_raises_the_session_and_leads_back_to_the_page(client):
    user = _citizen()
    sign_in(client, user)
    _password_typed_again(client)

    form = client.get(SET_UP).context["form"]
    response = client.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(form.secret).now()})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    [back] = [str(m) for m in get_messages(response.wsgi_request) if BANK_ACCOUNT in str(m)]
    assert f'<a href="{BANK_ACCOUNT}">' in back
    html = client.get(BANK_ACCOUNT).content.decode()
    assert "data-second-factor" not in html
    response = client.post(BANK_ACCOUNT, {"iban": "BE71 0961 2345 6769", "holder_name": "Marie Dubois"})
    assert response.status_code == 302
    assert BankAccount.objects.get().iban == "BE71096123456769"


def test_an_outside_next_is_not_followed(client):
    user = _citizen()
    sign_in(client, user)
    _password_typed_again(client)

    form = client.get("/accounts/2fa/totp/activate/?next=https://evil.example/").context["form"]
    response = client.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(form.secret).now()})

    assert response.status_code == 302
    assert not [m for m in get_messages(response.wsgi_request) if "evil" in str(m)]
