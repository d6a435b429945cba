import pytest
from django.urls import reverse

from core.models import AccessRecord
from core.types import AccessPurpose
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


def test_listing_persons_records_a_search_access_for_each_person_shown(client):
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    shown = [PersonFactory(), PersonFactory()]
    sign_in(client, staff, mfa=True)

    response = client.get(reverse("admin:identity_person_changelist"))

    assert response.status_code == 200
    recorded = set(
        AccessRecord.objects.filter(purpose=AccessPurpose.STAFF_REGISTRY_SEARCH).values_list(
            "subject_person_id", flat=True
        )
    )
    assert recorded == {person.pk for person in shown}


def test_a_security_officer_cannot_grant_privileges_or_link_a_person(client):
    from django.contrib.auth.models import Group

    officer = with_totp(UserFactory(is_staff=True))
    officer.groups.set([Group.objects.get(name="Security officer")])
    target = UserFactory()
    sign_in(client, officer, mfa=True)

    page = client.get(reverse("admin:identity_user_change", args=[officer.pk]))
    password = client.get(reverse("admin:auth_user_password_change", args=[target.pk]))

    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="is_active"' in body
    assert 'name="is_superuser"' not in body
    assert 'name="groups"' not in body
    assert 'name="person"' not in body
    assert password.status_code == 403


def test_staff_grant_a_role_in_the_back_office_through_the_service(client):
    from identity.models import Representation
    from tests.identity.factories import EnterpriseFactory

    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    enterprise = EnterpriseFactory()
    owner = UserFactory()
    sign_in(client, staff, mfa=True)

    response = client.post(
        reverse("admin:identity_representation_add"),
        {"enterprise": enterprise.pk, "user": owner.pk, "role": "administrator"},
    )

    assert response.status_code == 302
    created = Representation.objects.get(enterprise=enterprise)
    assert (created.user_id, created.role, created.granted_by_id) == (owner.pk, "administrator", staff.pk)
