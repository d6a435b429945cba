"""A session's account is read in one query with what the actor context needs, as the ORM would
read it; a password or a second factor still signs in through allauth behind django-axes."""

import datetime

import pyotp
import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from identity.backends import AuthenticationBackend
from identity.models import User
from identity.selectors import account_facts, account_facts_of
from tests.identity.factories import (
    PASSWORD,
    TOTP_SECRET,
    EnterpriseFactory,
    PersonFactory,
    UserFactory,
    representation,
    with_totp,
)

pytestmark = pytest.mark.django_db

BACKEND = "identity.backends.AuthenticationBackend"


def _fields(user):
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def test_the_account_is_read_as_the_orm_reads_it_with_its_facts_in_one_query(django_assert_num_queries):
    person = PersonFactory()
    user = with_totp(UserFactory(person=person, last_login=timezone.now() - datetime.timedelta(days=1)))
    first, second = EnterpriseFactory(), EnterpriseFactory()
    representation(user, first, "administrator")
    representation(user, second, "declarant")

    with django_assert_num_queries(1):
        found = AuthenticationBackend().get_user(str(user.pk))
        facts = account_facts_of(user=found)

    assert _fields(found) == _fields(User.objects.get(pk=user.pk))
    assert found._state.adding is False and found._state.db == "default"
    assert facts == account_facts(user_id=user.pk)
    assert (facts.person_id, facts.has_mfa) == (person.pk, True)
    assert facts.enterprise_roles == {first.pk: "administrator", second.pk: "declarant"}


def test_facts_are_read_on_their_own_for_a_user_loaded_otherwise(django_assert_num_queries):
    user = UserFactory()
    loaded = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        facts = account_facts_of(user=loaded)
    assert facts == account_facts(user_id=user.pk)


@pytest.mark.parametrize("user_id", ["0", "not-a-number", ""])
def test_an_unknown_or_malformed_id_finds_no_account(user_id):
    UserFactory()
    assert AuthenticationBackend().get_user(user_id) is None


def test_a_deactivated_account_is_not_signed_in():
    user = UserFactory(is_active=False)
    assert AuthenticationBackend().get_user(str(user.pk)) is None


def test_a_password_sign_in_keeps_this_backend_in_the_session(client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == BACKEND
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_a_second_factor_sign_in_keeps_this_backend_in_the_session(client):
    user = with_totp(UserFactory())
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == BACKEND


def test_a_session_of_a_backend_no_longer_listed_is_signed_out(client):
    """Sessions signed in before this backend replaced allauth's: the person signs in again."""
    user = UserFactory()
    client.force_login(user, backend=BACKEND)
    session = client.session
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session.save()
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
