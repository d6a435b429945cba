"""The enterprise's API keys page: administrators with a second factor create keys (shown once)
and revoke them; to everyone else the page does not exist."""

import re

import pytest
from django.urls import reverse

from identity.models import ApiKey
from identity.types import EnterpriseRole
from tests.helpers import sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    enterprise = EnterpriseFactory()
    other = EnterpriseFactory()
    admin = with_totp(UserFactory())
    representation(admin, enterprise, EnterpriseRole.ADMINISTRATOR)
    declarant = UserFactory()
    representation(declarant, enterprise, EnterpriseRole.DECLARANT)
    other_admin = with_totp(UserFactory())
    representation(other_admin, other, EnterpriseRole.ADMINISTRATOR)
    return {
        "enterprise": enterprise,
        "other": other,
        "admin": admin,
        "declarant": declarant,
        "other_admin": other_admin,
        "citizen": UserFactory(person=PersonFactory()),
        "staff": with_totp(UserFactory(is_staff=True, is_superuser=True)),
    }


def _url(world):
    return reverse("identity:api_keys", args=[world["enterprise"].pk])


def _create(client, world, name="Payroll", scopes=("declare", "read")):
    return client.post(_url(world), {"name": name, "scopes": list(scopes)}, headers={"Accept-Language": "en"})


@pytest.mark.parametrize(
    ("who", "mfa", "expected"),
    [
        ("anonymous", False, 302),
        ("citizen", False, 404),
        ("staff", True, 404),
        ("other_admin", True, 404),
        ("declarant", False, 404),
        ("admin", True, 200),
    ],
)
def test_api_keys_page_matrix(client, world, who, mfa, expected):
    if who != "anonymous":
        sign_in(client, world[who], mfa=mfa)
    assert client.get(_url(world)).status_code == expected
    assert _create(client, world).status_code == (302 if expected == 200 else expected)
    assert ApiKey.objects.count() == (1 if who == "admin" else 0)


def test_a_new_key_is_shown_once_and_never_cached(client, world):
    sign_in(client, world["admin"], mfa=True)

    created = _create(client, world)
    response = client.get(created["Location"])

    assert created.status_code == 302
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = re.search(r'id="new-key"[^>]*value="(gch_[0-9a-f]{12}\.[A-Za-z0-9_-]{43})"', response.content.decode()).group(
        1
    )
    stored = ApiKey.objects.get()
    assert (stored.name, stored.scopes, stored.created_by_id) == ("Payroll", ["declare", "read"], world["admin"].pk)
    again = client.get(_url(world)).content.decode()
    assert key not in again
    assert stored.prefix in again


def test_a_key_needs_a_name_and_a_scope(client, world):
    sign_in(client, world["admin"], mfa=True)
    assert _create(client, world, name="", scopes=()).status_code == 400
    assert _create(client, world, scopes=("everything",)).status_code == 400
    assert not ApiKey.objects.exists()


def test_revoking_a_key_and_a_forged_id_of_another_enterprise(client, world):
    sign_in(client, world["other_admin"], mfa=True)
    client.post(reverse("identity:api_keys", args=[world["other"].pk]), {"name": "theirs", "scopes": ["read"]})
    theirs = ApiKey.objects.get()
    client.logout()
    sign_in(client, world["admin"], mfa=True)
    _create(client, world)
    ours = ApiKey.objects.get(enterprise=world["enterprise"])

    forged = client.post(reverse("identity:api_key_revoke", args=[world["enterprise"].pk, theirs.pk]))
    revoked = client.post(reverse("identity:api_key_revoke", args=[world["enterprise"].pk, ours.pk]))

    assert forged.status_code == 404
    assert revoked.status_code == 302
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert theirs.revoked_at is None
    assert ours.revoked_at is not None and ours.revoked_by_id == world["admin"].pk


def test_a_declarant_cannot_revoke(client, world):
    sign_in(client, world["admin"], mfa=True)
    _create(client, world)
    client.logout()
    sign_in(client, world["declarant"])
    key = ApiKey.objects.get()
    assert client.post(reverse("identity:api_key_revoke", args=[world["enterprise"].pk, key.pk])).status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
