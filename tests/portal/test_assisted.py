"""Assisted digital: staff serve a citizen at the counter in the citizen's file, with a reason."""

import pytest
from django.urls import reverse

from core.models import AccessRecord
from core.types import AccessPurpose
from identity.models import BankAccount
from tests.helpers import sign_in
from tests.identity.factories import PersonFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db


def _counter_staff(**fields):
    from django.contrib.auth.models import Group

    staff = with_totp(UserFactory(is_staff=True, **fields))
    staff.groups.set([Group.objects.get(name="Case worker")])
    return staff


def _open(client, person, reason="came to change the bank account"):
    return client.post(reverse("portal:assisted_start", args=[person.pk]), {"reason": reason})


def test_staff_open_a_file_with_a_reason_and_the_citizen_sees_it(client):
    staff = _counter_staff(first_name="Camille", last_name="Leroy")
    citizen = UserFactory(person=PersonFactory(first_name="Jean", last_name="Peeters"))
    sign_in(client, staff, mfa=True)

    assert _open(client, citizen.person)["Location"] == reverse("portal:dashboard")
    page = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Counter: you are serving Jean Peeters (came to change the bank account)." in page
    # Opening the file and the page it shows are one visit: one line in the trail, with the reason.
    assert list(
        AccessRecord.objects.filter(purpose=AccessPurpose.ASSISTED_VIEW).values_list(
            "actor_user_id", "subject_person_id", "detail"
        )
    ) == [(staff.pk, citizen.person_id, "came to change the bank account")]
    client.logout()
    sign_in(client, citizen)
    trail = client.get(reverse("portal:access_log"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "Camille Leroy, of our staff, served you at the counter in your file: “came to change the bank account”."
        in trail
    )


def test_staff_change_the_bank_account_at_the_counter_and_the_citizen_is_told(client):
    staff = _counter_staff()
    citizen = UserFactory(person=PersonFactory())
    sign_in(client, staff, mfa=True)
    _open(client, citizen.person)

    response = client.post(reverse("identity:bank_account"), {"iban": "BE71 0961 2345 6769", "holder_name": "J P"})

    assert response.status_code == 302
    account = BankAccount.objects.get()
    assert (account.person_id, account.created_by_id) == (citizen.person_id, staff.pk)
    from notifications.models import Notification

    assert Notification.objects.filter(recipient=citizen, event_type="payment_details_changed").count() == 1


def test_closing_the_file_returns_to_the_back_office(client):
    staff = _counter_staff()
    citizen = UserFactory(person=PersonFactory())
    sign_in(client, staff, mfa=True)
    _open(client, citizen.person)

    response = client.post(reverse("portal:assisted_stop"))

    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("portal:dashboard"))["Location"] == reverse("admin:index")


@pytest.mark.parametrize("who", ["anonymous", "citizen", "staff_without_mfa_session", "staff_not_at_the_counter"])
def test_only_staff_with_a_second_factor_open_a_file(client, who):
    person = PersonFactory()
    if who == "citizen":
        sign_in(client, UserFactory(person=PersonFactory()), mfa=True)
    elif who == "staff_without_mfa_session":
        sign_in(client, _counter_staff(), mfa=False)
    elif who == "staff_not_at_the_counter":
        sign_in(client, with_totp(UserFactory(is_staff=True)), mfa=True)  # e.g. finance: no counter permission

    response = _open(client, person)

    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert not response["Location"].startswith(reverse("portal:dashboard"))
    assert not AccessRecord.objects.exists()
    assert "assisted_file" not in client.session


def test_a_forged_person_id_answers_404(client):
    sign_in(client, _counter_staff(), mfa=True)
    assert client.get(reverse("portal:assisted_start", args=[999_999])).status_code == 404


def test_every_record_made_at_the_counter_carries_the_reason(client):
    staff = _counter_staff()
    citizen = UserFactory(person=PersonFactory())
    sign_in(client, staff, mfa=True)
    _open(client, citizen.person, reason="pension question")

    client.get(reverse("identity:bank_account"))

    assert set(AccessRecord.objects.values_list("purpose", "detail")) == {
        (AccessPurpose.ASSISTED_VIEW, "pension question"),
        (AccessPurpose.BANK_ACCOUNT_VIEW, "pension question"),
    }


def test_an_assisted_session_does_not_survive_a_loss_of_the_permission(client):
    staff = _counter_staff()
    citizen = UserFactory(person=PersonFactory())
    sign_in(client, staff, mfa=True)
    _open(client, citizen.person)
    staff.groups.clear()

    response = client.get(reverse("portal:dashboard"))

    assert response["Location"] == reverse("admin:index")
    assert "assisted_file" not in client.session
