import pytest
from django.urls import reverse

from identity import services
from identity.models import Representation
from identity.types import EnterpriseRole
from tests.helpers import sign_in, staff_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db


# --- Linking one's account to one's file -----------------------------------------------------


def test_link_page_requires_login(client):
    response = client.get(reverse("identity:link_person"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_citizen_links_account_with_the_code_from_the_letter(client):
    from django.utils import timezone

    person = PersonFactory()
    code = services.activation_code_issue(
        actor=staff_actor(UserFactory(is_staff=True)), person_id=person.pk, now=timezone.now()
    )
    user = UserFactory()
    sign_in(client, user)

    response = client.post(
        reverse("identity:link_person"), {"national_number": person.national_number, "code": code}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("portal:dashboard")
    user.refresh_from_db()
    assert user.person_id == person.pk
    assert person.last_name in response.content.decode()


def test_wrong_check_digit_gets_a_clear_error_and_changes_nothing(client):
    user = UserFactory()
    sign_in(client, user)

    response = client.post(
        reverse("identity:link_person"),
        {"national_number": "85.07.30-033.29", "code": "ABCD-EFGH-JKMN"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "The check digits do not match" in response.content.decode()
    user.refresh_from_db()
    assert user.person_id is None


def test_wrong_code_gets_one_generic_error(client):
    person = PersonFactory()
    user = UserFactory()
    sign_in(client, user)

    response = client.post(
        reverse("identity:link_person"),
        {"national_number": person.national_number, "code": "ABCD-EFGH-JKMN"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "The national number or the activation code is not correct" in response.content.decode()
    user.refresh_from_db()
    assert user.person_id is None


def test_already_linked_user_is_sent_back_to_the_dashboard(client):
    user = UserFactory(person=PersonFactory())
    sign_in(client, user)
    response = client.get(reverse("identity:link_person"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")


# --- Enterprise representatives: authorization matrix -----------------------------------------


@pytest.fixture
def enterprise_world():
    enterprise = EnterpriseFactory()
    other_enterprise = EnterpriseFactory()
    admin = with_totp(UserFactory())
    representation(admin, enterprise, EnterpriseRole.ADMINISTRATOR)
    declarant = UserFactory()
    declarant_role = representation(declarant, enterprise, EnterpriseRole.DECLARANT)
    other_admin = with_totp(UserFactory())
    representation(other_admin, other_enterprise, EnterpriseRole.ADMINISTRATOR)
    citizen = UserFactory(person=PersonFactory())
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    return {
        "staff": staff,
        "enterprise": enterprise,
        "admin": admin,
        "declarant": declarant,
        "declarant_role": declarant_role,
        "other_admin": other_admin,
        "citizen": citizen,
    }


@pytest.mark.parametrize(
    ("who", "mfa", "expected"),
    [
        ("anonymous", False, 302),
        ("citizen", False, 404),
        ("staff", True, 404),
        ("other_admin", True, 404),
        ("declarant", False, 200),
        ("admin", True, 200),
    ],
)
def test_representatives_page_matrix(client, enterprise_world, who, mfa, expected):
    if who != "anonymous":
        sign_in(client, enterprise_world[who], mfa=mfa)
    response = client.get(reverse("identity:representatives", args=[enterprise_world["enterprise"].pk]))
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("account_login"))


def test_forged_enterprise_id_answers_404(client, enterprise_world):
    sign_in(client, enterprise_world["admin"], mfa=True)
    response = client.get(reverse("identity:representatives", args=[999999]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "mfa", "expected_status"),
    [("declarant", False, 302), ("other_admin", True, 404), ("citizen", False, 404), ("staff", True, 404)],
)
def test_revoke_is_refused_to_non_administrators(client, enterprise_world, who, mfa, expected_status):
    sign_in(client, enterprise_world[who], mfa=mfa)
    role = enterprise_world["declarant_role"]
    response = client.post(reverse("identity:representative_revoke", args=[enterprise_world["enterprise"].pk, role.pk]))
    assert response.status_code == expected_status
    role.refresh_from_db()
    assert role.revoked_at is None


def test_administrator_revokes_a_declarant(client, enterprise_world):
    sign_in(client, enterprise_world["admin"], mfa=True)
    role = enterprise_world["declarant_role"]
    response = client.post(reverse("identity:representative_revoke", args=[enterprise_world["enterprise"].pk, role.pk]))
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.revoked_at is not None
    assert role.revoked_by_id == enterprise_world["admin"].pk


def test_revoking_a_role_of_another_enterprise_through_a_forged_url_answers_404(client, enterprise_world):
    sign_in(client, enterprise_world["other_admin"], mfa=True)
    other_enterprise_id = enterprise_world["other_admin"].representations.get().enterprise_id
    role = enterprise_world["declarant_role"]
    response = client.post(reverse("identity:representative_revoke", args=[other_enterprise_id, role.pk]))
    assert response.status_code == 404
    role.refresh_from_db()
    assert role.revoked_at is None


def test_administrator_without_second_factor_in_session_sees_no_form_and_cannot_grant(client, enterprise_world):
    sign_in(client, enterprise_world["admin"], mfa=False)
    UserFactory(email="new@example.org")
    url = reverse("identity:representatives", args=[enterprise_world["enterprise"].pk])

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(url, {"email": "new@example.org", "role": "viewer"}, HTTP_ACCEPT_LANGUAGE="en")

    assert 'name="email"' not in page.content.decode()
    assert "sign in again with your second factor" in page.content.decode()
    assert "Only an administrator" in response.content.decode()
    assert not Representation.objects.filter(user__email="new@example.org").exists()


def test_administrator_grants_a_role_through_the_page(client, enterprise_world):
    sign_in(client, enterprise_world["admin"], mfa=True)
    newcomer = UserFactory(email="new@example.org")
    url = reverse("identity:representatives", args=[enterprise_world["enterprise"].pk])

    response = client.post(url, {"email": "new@example.org", "role": "viewer"})

    assert response.status_code == 302
    assert Representation.objects.get(user=newcomer, revoked_at__isnull=True).role == "viewer"


def test_representatives_list_runs_a_constant_number_of_queries(client, enterprise_world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(client, enterprise_world["admin"], mfa=True)
    url = reverse("identity:representatives", args=[enterprise_world["enterprise"].pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(15):
        representation(UserFactory(), enterprise_world["enterprise"], EnterpriseRole.VIEWER)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(response.context["rows"]) == 17
    assert len(many.captured_queries) == len(few.captured_queries)
