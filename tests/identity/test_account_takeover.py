"""No way into an account from the back office: staff never set a sign-in address, a password, a
verified address or a second factor; the address changes only through the verified flow,
started by the person or at the counter with the person, and the old address and the inbox are
told. Each field of an account that grants access, and who may change it, is tested."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.urls import reverse

from core.actor import ASSISTED_SESSION_KEY
from core.models import AccessRecord
from core.types import AccessPurpose
from identity.models import Representation, User
from notifications.models import Notification
from tests.helpers import deliver_outbox, sign_in
from tests.identity.factories import PASSWORD, EnterpriseFactory, PersonFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db

ROLES = ["Security officer", "Registry clerk", "Supervisor", "Case worker", "Finance"]


def _staff(group=None, *, superuser=False):
    user = with_totp(UserFactory(is_staff=True, is_superuser=superuser))
    if group:
        user.groups.set([Group.objects.get(name=group)])
    return user


def _change_form(user):
    return {
        "email": "attacker@evil.example",
        "first_name": user.first_name,
        "last_name": "Renamed",
        "preferred_language": "fr",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }


@pytest.mark.parametrize("role", ["Security officer", "superuser"])
def test_staff_cannot_change_a_citizens_sign_in_address_so_a_reset_cannot_take_the_account(client, smtp_sink, role):
    officer = _staff(superuser=True) if role == "superuser" else _staff(role)
    citizen = UserFactory(person=PersonFactory())
    sign_in(client, officer, mfa=True)

    response = client.post(reverse("admin:identity_user_change", args=[citizen.pk]), _change_form(citizen))
    client.logout()
    smtp_sink.messages.clear()
    client.post(reverse("account_reset_password"), {"email": "attacker@evil.example"})
    deliver_outbox()

    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.email != "attacker@evil.example"
    assert list(EmailAddress.objects.filter(user=citizen).values_list("email", flat=True)) == [citizen.email]
    to_attacker = [m for m in smtp_sink.messages if "attacker@evil.example" in str(m["To"])]
    assert not any("/accounts/password/reset/key/" in m.as_string() for m in to_attacker)


@pytest.mark.parametrize("role", [*ROLES, "superuser"])
def test_which_role_may_change_which_field_of_an_account(client, role):
    staff = _staff(superuser=True) if role == "superuser" else _staff(role)
    citizen = UserFactory(person=PersonFactory())
    sign_in(client, staff, mfa=True)

    page = client.get(reverse("admin:identity_user_change", args=[citizen.pk]))

    may_view = role in ("Security officer", "superuser")
    assert page.status_code == (200 if may_view else 403)
    if not may_view:
        return
    editable = set(re.findall(r'<(?:input|select|textarea)[^>]* name="([a-z_]+)', page.content.decode()))
    granting = {"email", "password", "person", "is_active", "is_staff", "is_superuser", "groups"}
    expected = {"is_active", "is_staff", "is_superuser", "groups"} if role == "superuser" else {"is_active"}
    assert editable & granting == expected


@pytest.mark.parametrize("role", ["Security officer", "superuser"])
def test_nobody_sets_someone_elses_password(client, role):
    staff = _staff(superuser=True) if role == "superuser" else _staff(role)
    citizen = UserFactory()
    sign_in(client, staff, mfa=True)

    page = client.get(reverse("admin:auth_user_password_change", args=[citizen.pk]))
    post = client.post(
        reverse("admin:auth_user_password_change", args=[citizen.pk]),
        {"password1": "Stolen-password-2026", "password2": "Stolen-password-2026"},
    )

    assert (page.status_code, post.status_code) == (403, 403)
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)


def test_a_staff_account_is_created_without_a_password_its_holder_sets_one(client):
    admin = _staff(superuser=True)
    sign_in(client, admin, mfa=True)

    response = client.post(
        reverse("admin:identity_user_add"),
        {"email": "new.colleague@guichet.example", "first_name": "Ana", "last_name": "Silva"},
    )

    assert response.status_code == 302
    created = User.objects.get(email="new.colleague@guichet.example")
    assert not created.has_usable_password()


def test_staff_neither_add_nor_verify_a_sign_in_address(client):
    admin = _staff(superuser=True)
    citizen = UserFactory()
    EmailAddress.objects.create(user=citizen, email="second@example.org", verified=False)
    sign_in(client, admin, mfa=True)

    add = client.get(reverse("admin:account_emailaddress_add"))
    listing = client.get(reverse("admin:account_emailaddress_changelist"))
    verify = client.post(
        reverse("admin:account_emailaddress_changelist"),
        {"action": "make_verified", "_selected_action": list(EmailAddress.objects.values_list("pk", flat=True))},
    )

    assert add.status_code == 403
    assert listing.status_code == 200 and "make_verified" not in listing.content.decode()
    assert verify.status_code in (200, 302)
    assert EmailAddress.objects.get(email="second@example.org").verified is False


def test_the_back_office_never_shows_a_second_factors_secret(client):
    admin = _staff(superuser=True)
    citizen = with_totp(UserFactory())
    sign_in(client, admin, mfa=True)
    authenticator = citizen.authenticator_set.get()

    page = client.get(reverse("admin:mfa_authenticator_change", args=[authenticator.pk]))

    assert page.status_code == 200
    assert "secret" not in page.content.decode().lower()
    assert str(authenticator.data.get("secret", "")) not in page.content.decode()


def test_staff_cannot_give_themselves_or_a_colleague_a_role_in_an_enterprise(client):
    clerk = _staff("Registry clerk")
    colleague = _staff("Finance")
    enterprise = EnterpriseFactory()
    sign_in(client, clerk, mfa=True)

    for target in (clerk, colleague):
        response = client.post(
            reverse("admin:identity_representation_add"),
            {"enterprise": enterprise.pk, "user": target.pk, "role": "administrator"},
        )
        assert response.status_code == 403

    assert not Representation.objects.filter(enterprise=enterprise).exists()


def _confirmation_link(smtp_sink, address):
    deliver_outbox()
    [message] = [m for m in smtp_sink.messages if address in str(m["To"])]
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", body).group(1)


def test_the_person_changes_their_address_through_the_verified_flow_and_the_old_one_is_told(client, smtp_sink):
    citizen = UserFactory(person=PersonFactory(), email="marie@example.org")
    sign_in(client, citizen)

    # A session left open is not enough: the password first.
    first = client.post(reverse("account_email"), {"action_add": "", "email": "marie.new@example.org"})
    assert first["Location"].startswith(reverse("account_reauthenticate"))
    assert deliver_outbox() == 0
    assert smtp_sink.messages == []
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    asked = client.post(reverse("account_email"), {"action_add": "", "email": "marie.new@example.org"})
    citizen.refresh_from_db()
    assert asked.status_code == 302
    assert citizen.email == "marie@example.org"  # not before the new address is proved

    link = _confirmation_link(smtp_sink, "marie.new@example.org")
    smtp_sink.messages.clear()
    client.post(link)
    deliver_outbox()

    citizen.refresh_from_db()
    assert citizen.email == "marie.new@example.org"
    assert list(EmailAddress.objects.filter(user=citizen).values_list("email", "verified", "primary")) == [
        ("marie.new@example.org", True, True)
    ]
    told_old = [m for m in smtp_sink.messages if "marie@example.org" in str(m["To"])]
    assert len(told_old) == 1
    alert = Notification.objects.get(recipient=citizen, event_type="sign_in_address_changed")
    assert alert.importance == "legal"


def test_at_the_counter_staff_start_the_change_the_person_proves_it_and_the_trail_shows_it(client, smtp_sink):
    person = PersonFactory()
    citizen = UserFactory(person=person, email="jean@example.org")
    clerk = _staff("Registry clerk")
    sign_in(client, clerk, mfa=True)
    session = client.session
    session[ASSISTED_SESSION_KEY] = {
        "person_id": person.pk,
        "reason": "lost access to his mailbox",
        "user_id": clerk.pk,
    }
    session.save()

    page = client.get(reverse("identity:counter_sign_in_address"))
    asked = client.post(
        reverse("identity:counter_sign_in_address"),
        {"address": "Jean.New@example.org", "address_again": "jean.new@example.org"},
    )

    assert page.status_code == 200
    assert asked.status_code == 302
    citizen.refresh_from_db()
    assert citizen.email == "jean@example.org"
    record = AccessRecord.objects.get(subject_person=person, purpose=AccessPurpose.COUNTER_SIGN_IN_ADDRESS)
    assert (record.actor_user_id, record.detail) == (clerk.pk, "lost access to his mailbox")
    link = _confirmation_link(smtp_sink, "jean.new@example.org")
    client.logout()
    smtp_sink.messages.clear()
    client.post(link)
    deliver_outbox()
    citizen.refresh_from_db()
    assert citizen.email == "jean.new@example.org"
    assert [str(m["To"]) for m in smtp_sink.messages if "jean@example.org" in str(m["To"])]
    assert Notification.objects.filter(recipient=citizen, event_type="sign_in_address_changed").count() == 1


@pytest.mark.parametrize(
    ("address", "again", "error"),
    [
        ("jean@example.org", "jean@example.org", "This is already the address the person signs in with."),
        ("taken@example.org", "taken@example.org", "Another account signs in with this address."),
        ("one@example.org", "two@example.org", "The two addresses differ."),
    ],
)
def test_a_counter_change_that_cannot_be_made_says_why_and_changes_nothing(client, smtp_sink, address, again, error):
    person = PersonFactory()
    UserFactory(person=person, email="jean@example.org")
    UserFactory(email="taken@example.org")
    clerk = _staff("Registry clerk")
    sign_in(client, clerk, mfa=True)
    session = client.session
    session[ASSISTED_SESSION_KEY] = {"person_id": person.pk, "reason": "at the desk", "user_id": clerk.pk}
    session.save()
    smtp_sink.messages.clear()

    response = client.post(
        reverse("identity:counter_sign_in_address"),
        {"address": address, "address_again": again},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert error in response.content.decode()
    assert deliver_outbox() == 0
    assert smtp_sink.messages == []
    assert not AccessRecord.objects.filter(purpose=AccessPurpose.COUNTER_SIGN_IN_ADDRESS).exists()
    assert EmailAddress.objects.filter(email__in=[address, again]).exclude(email="taken@example.org").count() == (
        1 if address == "jean@example.org" else 0
    )


def test_the_counter_page_is_for_staff_serving_a_person_only(client):
    citizen = UserFactory(person=PersonFactory())
    clerk = _staff("Registry clerk")

    sign_in(client, citizen)
    as_citizen = client.get(reverse("identity:counter_sign_in_address"))
    sign_in(client, clerk, mfa=True)
    as_staff_without_a_file = client.get(reverse("identity:counter_sign_in_address"))
    client.logout()
    anonymous = client.get(reverse("identity:counter_sign_in_address"))

    assert (as_citizen.status_code, as_staff_without_a_file.status_code) == (404, 404)
    assert anonymous.status_code == 302
