"""Lock-out without denial of service: wrong passwords lock an account from the address that
typed them, not everywhere; its owner is told once; wrong second-factor codes answer 429 too."""

import pyotp
import pytest
from django.urls import reverse

from notifications.models import Notification
from tests.identity.factories import PASSWORD, TOTP_SECRET, UserFactory, with_totp

pytestmark = pytest.mark.django_db

ATTACKER, OWNER = "198.51.100.66", "203.0.113.10"


def _guess(client, user, times, address=ATTACKER):
    for _ in range(times):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"}, REMOTE_ADDR=address)


def test_wrong_passwords_lock_the_account_from_that_address_only(client, settings):
    user = UserFactory()
    _guess(client, user, settings.AXES_FAILURE_LIMIT)

    from_attacker = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )
    assert from_attacker.status_code == 429
    assert "_auth_user_id" not in client.session

    from_owner = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}, REMOTE_ADDR=OWNER)
    assert from_owner.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_owner_is_told_once_by_e_mail_and_in_the_inbox(client, settings):
    user = UserFactory(email="pensioner@example.org")
    _guess(client, user, settings.AXES_FAILURE_LIMIT + 3)  # the locked address keeps trying

    [alert] = Notification.objects.filter(recipient=user, event_type="sign_in_locked")
    assert alert.importance == "legal"
    assert list(alert.deliveries.values_list("channel", "address")) == [("email", "pensioner@example.org")]


def test_guessing_an_address_of_no_account_tells_nobody(client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(reverse("account_login"), {"login": "nobody@example.org", "password": "x"}, REMOTE_ADDR=ATTACKER)
    assert not Notification.objects.filter(event_type="sign_in_locked").exists()


def test_too_many_wrong_second_factor_codes_answer_429(client):
    user = with_totp(UserFactory())
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    wrong = str((int(pyotp.TOTP(TOTP_SECRET).now()) + 1) % 1_000_000).zfill(6)

    statuses = [client.post(reverse("mfa_authenticate"), {"code": wrong}).status_code for _ in range(12)]

    assert statuses[0] == 200  # a wrong code: the form again, with its error
    assert statuses[-1] == 429
    assert "_auth_user_id" not in client.session
