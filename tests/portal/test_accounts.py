import re

import pytest
from django.urls import reverse

from identity.models import User
from notifications.models import Delivery
from tests.helpers import deliver_outbox
from tests.identity.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_sign_up_sends_a_verification_email_through_the_outbox(client, smtp_sink):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.citizen@example.org",
            "password1": "Un-mot-de-passe-solide-42",
            "password2": "Un-mot-de-passe-solide-42",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="new.citizen@example.org").exists()
    # Stored in the outbox by the request, sent by a worker: nothing went to SMTP yet.
    assert smtp_sink.messages == []
    delivery = Delivery.objects.get(address="new.citizen@example.org")
    assert (delivery.status, delivery.notification_id) == ("pending", None)
    assert deliver_outbox() == 1
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert message["To"] == "new.citizen@example.org"
    assert re.search(r"/accounts/confirm-email/[^/\s]+/", smtp_sink.bodies()[0])


def test_unverified_account_cannot_sign_in(client):
    user = UserFactory()
    user.emailaddress_set.update(verified=False)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")


def test_brute_force_is_locked_out_with_a_clear_message_even_with_the_right_password(client, settings):
    user = UserFactory()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_right_password_signs_in_with_a_low_level_of_assurance(client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    body = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "low (password)" in body


def test_login_with_totp_gives_a_substantial_session(client):
    import pyotp

    from tests.identity.factories import TOTP_SECRET, with_totp

    user = with_totp(UserFactory())
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert response.status_code == 302
    body = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "substantial (two-factor)" in body


def test_second_factor_guessing_is_rate_limited(client):
    import pyotp

    from tests.identity.factories import TOTP_SECRET, with_totp

    user = with_totp(UserFactory())
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    for _attempt in range(10):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})

    response = client.post(
        reverse("mfa_authenticate"), {"code": pyotp.TOTP(TOTP_SECRET).now()}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
