import pytest
from django.urls import reverse

from portal.core.models import AccessPurpose, AccessRecord
from tests.helpers import sign_in
from tests.identity.factories import PersonFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db


def test_staff_without_a_second_factor_is_sent_to_enrol(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    sign_in(client, staff)
    response = client.get(reverse("admin:index"))
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_with_mfa_but_a_password_only_session_must_confirm_the_second_factor(client):
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    sign_in(client, staff, mfa=False)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("mfa_reauthenticate"))


def test_staff_with_a_second_factor_reaches_the_back_office(client):
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    sign_in(client, staff, mfa=True)
    assert client.get(reverse("admin:index")).status_code == 200


def test_citizen_never_reaches_the_back_office(client):
    citizen = with_totp(UserFactory())
    sign_in(client, citizen, mfa=True)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 403


def test_admin_login_url_leads_to_the_single_login_path(client):
    response = client.get(reverse("admin:login"))
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_opening_a_person_is_recorded_in_the_persons_trail(client):
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    person = PersonFactory()
    sign_in(client, staff, mfa=True)

    response = client.get(reverse("admin:identity_person_change", args=[person.pk]))

    assert response.status_code == 200
    assert list(AccessRecord.objects.values_list("actor_user_id", "subject_person_id", "purpose")) == [
        (staff.pk, person.pk, AccessPurpose.STAFF_REGISTRY_VIEW)
    ]


def test_staff_issues_an_activation_code_from_the_person_list(client):
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    person = PersonFactory()
    sign_in(client, staff, mfa=True)

    response = client.post(
        reverse("admin:identity_person_changelist"),
        {"action": "issue_activation_code", "_selected_action": [person.pk]},
    )

    assert response.status_code == 200
    code = response.context["code"]
    assert len(code) == 14 and code.count("-") == 2
    assert code in response.content.decode()
    assert person.activation_codes.count() == 1


def test_staff_groups_exist_with_their_permissions():
    from django.contrib.auth.models import Group

    names = set(Group.objects.values_list("name", flat=True))
    assert {"Case worker", "Supervisor", "Finance", "Registry clerk", "Security officer"} <= names
    clerk = Group.objects.get(name="Registry clerk")
    assert clerk.permissions.filter(codename="change_person").exists()
    assert not Group.objects.get(name="Case worker").permissions.filter(codename="change_person").exists()
