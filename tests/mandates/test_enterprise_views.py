"""Enterprise side of the mandates: the bureaus page of an enterprise (who may see it, give and
end a bureau's mandate) and the bureau's list of the enterprises it acts for.

The pages read the real clock, so the mandates here are made with the real clock too.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from identity.country_profiles import country_profile
from identity.models import Enterprise, User
from identity.types import EnterpriseRole
from mandates.models import EnterpriseMandate
from mandates.types import BureauMandateRow, ClientRow
from tests.helpers import sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
CLIENTS = reverse("mandates:enterprise_clients")
FORGED_ID = 2_000_000_000


def _client(user: User, *, mfa: bool = False) -> Client:
    """A browser of its own, in English, signed in as ``user``."""
    return sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), user, mfa=mfa)


def _bureaus_url(enterprise: Enterprise | int) -> str:
    return reverse("mandates:enterprise_bureaus", args=[getattr(enterprise, "pk", enterprise)])


def _revoke_url(enterprise: Enterprise | int, mandate_id: int) -> str:
    return reverse("mandates:enterprise_bureau_revoke", args=[getattr(enterprise, "pk", enterprise), mandate_id])


def _mandate(
    principal: Enterprise,
    bureau: Enterprise,
    *,
    scopes: tuple[str, ...] = ("declare",),
    starts_on: datetime.date | None = None,
    revoked: bool = False,
) -> EnterpriseMandate:
    creator = UserFactory()
    now = timezone.now()
    return EnterpriseMandate.objects.create(
        principal=principal,
        bureau=bureau,
        scopes=list(scopes),
        starts_on=starts_on or timezone.localdate(),
        created_at=now,
        created_by=creator,
        revoked_at=now if revoked else None,
        revoked_by=creator if revoked else None,
    )


def _number(enterprise: Enterprise) -> str:
    return country_profile().enterprise_number.format(enterprise.enterprise_number)


def _grant_data(bureau: Enterprise, *, scopes: tuple[str, ...] = ("declare", "pay")) -> dict[str, object]:
    return {
        "bureau_enterprise_number": _number(bureau),
        "scopes": list(scopes),
        "starts_on": timezone.localdate().isoformat(),
    }


@pytest.fixture
def world():
    employer = EnterpriseFactory(name="Boulangerie Dupont")
    bureau = EnterpriseFactory(name="Secrétariat Social Alpha")
    other_enterprise = EnterpriseFactory(name="Garage Martin")
    admin = with_totp(UserFactory())
    representation(admin, employer, EnterpriseRole.ADMINISTRATOR)
    declarant = UserFactory()
    representation(declarant, employer, EnterpriseRole.DECLARANT)
    other_admin = with_totp(UserFactory())
    representation(other_admin, other_enterprise, EnterpriseRole.ADMINISTRATOR)
    bureau_admin = with_totp(UserFactory())
    representation(bureau_admin, bureau, EnterpriseRole.ADMINISTRATOR)
    return {
        "employer": employer,
        "bureau": bureau,
        "other_enterprise": other_enterprise,
        "admin": admin,
        "declarant": declarant,
        "other_admin": other_admin,
        "bureau_admin": bureau_admin,
        "citizen": UserFactory(person=PersonFactory()),
        "staff": with_totp(UserFactory(is_staff=True, is_superuser=True)),
    }


# --- The enterprise's bureaus page: who may open it -------------------------------------------


@pytest.mark.parametrize(
    ("who", "mfa", "expected"),
    [
        ("citizen", False, 404),
        ("staff", True, 404),
        ("other_admin", True, 404),
        ("bureau_admin", True, 404),
        ("declarant", False, 200),
        ("admin", True, 200),
    ],
)
def test_bureaus_page_matrix(world, who, mfa, expected):
    response = _client(world[who], mfa=mfa).get(_bureaus_url(world["employer"]))
    assert response.status_code == expected


def test_bureaus_page_sends_anonymous_visitors_to_sign_in(world):
    response = Client().get(_bureaus_url(world["employer"]))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_forged_enterprise_id_answers_404(world):
    response = _client(world["admin"], mfa=True).get(_bureaus_url(FORGED_ID))
    assert response.status_code == 404


def test_bureaus_page_lists_the_mandates_the_enterprise_gave_open_ones_first(world):
    ended_bureau = EnterpriseFactory(name="Fiduciaire Beta")
    ended = _mandate(world["employer"], ended_bureau, scopes=("pay",), revoked=True)
    current = _mandate(world["employer"], world["bureau"], scopes=("declare", "pay"))
    _mandate(world["other_enterprise"], world["bureau"])  # another enterprise's: not shown

    response = _client(world["declarant"]).get(_bureaus_url(world["employer"]))

    assert response.context["rows"] == [
        BureauMandateRow(
            id=current.pk,
            bureau_name="Secrétariat Social Alpha",
            bureau_number_display=_number(world["bureau"]),
            scope_labels=("file declarations", "pay contributions"),
            starts_on=current.starts_on,
            ends_on=None,
            revoked_at=None,
        ),
        BureauMandateRow(
            id=ended.pk,
            bureau_name="Fiduciaire Beta",
            bureau_number_display=_number(ended_bureau),
            scope_labels=("pay contributions",),
            starts_on=ended.starts_on,
            ends_on=None,
            revoked_at=ended.revoked_at,
        ),
    ]
    page = response.content.decode()
    assert "Secrétariat Social Alpha" in page
    assert "in force" in page
    assert "ended on" in page
    assert "Garage Martin" not in page


def test_declarant_sees_the_list_but_neither_the_form_nor_the_end_buttons(world):
    _mandate(world["employer"], world["bureau"])

    page = _client(world["declarant"]).get(_bureaus_url(world["employer"])).content.decode()

    assert "Secrétariat Social Alpha" in page
    assert 'name="bureau_enterprise_number"' not in page
    assert "End this mandate" not in page
    assert "Only an administrator of the enterprise can mandate a bureau" in page


def test_administrator_sees_the_form_and_an_end_button_per_open_mandate(world):
    _mandate(world["employer"], world["bureau"])
    _mandate(world["employer"], EnterpriseFactory(), revoked=True)

    page = _client(world["admin"], mfa=True).get(_bureaus_url(world["employer"])).content.decode()

    assert 'name="bureau_enterprise_number"' in page
    assert page.count("End this mandate") == 1


def test_bureaus_page_runs_a_constant_number_of_queries(world):
    browser = _client(world["admin"], mfa=True)
    _mandate(world["employer"], world["bureau"])
    browser.get(_bureaus_url(world["employer"]))
    with CaptureQueriesContext(connection) as one:
        browser.get(_bureaus_url(world["employer"]))
    for _ in range(4):
        _mandate(world["employer"], EnterpriseFactory())
    with CaptureQueriesContext(connection) as five:
        response = browser.get(_bureaus_url(world["employer"]))

    assert len(response.context["rows"]) == 5
    assert len(five) == len(one)


# --- Giving a bureau a mandate ----------------------------------------------------------------


def test_administrator_with_a_second_factor_mandates_a_bureau(world):
    response = _client(world["admin"], mfa=True).post(_bureaus_url(world["employer"]), _grant_data(world["bureau"]))

    assert response.status_code == 302
    assert response["Location"] == _bureaus_url(world["employer"])
    mandate = EnterpriseMandate.objects.get()
    assert (mandate.principal_id, mandate.bureau_id, mandate.scopes) == (
        world["employer"].pk,
        world["bureau"].pk,
        ["declare", "pay"],
    )
    assert mandate.starts_on == timezone.localdate()
    assert mandate.created_by_id == world["admin"].pk
    assert mandate.revoked_at is None


def test_administrator_without_a_second_factor_gets_the_error_and_nothing_is_stored(world):
    response = _client(world["admin"], mfa=False).post(_bureaus_url(world["employer"]), _grant_data(world["bureau"]))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Sign in with your second factor" in page
    assert "sign in again with your second factor" in page
    assert not EnterpriseMandate.objects.exists()


def test_declarant_cannot_mandate_a_bureau_and_nothing_is_stored(world):
    response = _client(world["declarant"], mfa=True).post(_bureaus_url(world["employer"]), _grant_data(world["bureau"]))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Only an administrator of the enterprise can give this mandate." in page
    assert 'name="bureau_enterprise_number"' not in page
    assert not EnterpriseMandate.objects.exists()


@pytest.mark.parametrize("who", ["other_admin", "bureau_admin", "citizen", "staff"])
def test_strangers_posting_to_the_bureaus_page_get_404_and_nothing_is_stored(world, who):
    response = _client(world[who], mfa=True).post(_bureaus_url(world["employer"]), _grant_data(world["bureau"]))

    assert response.status_code == 404
    assert not EnterpriseMandate.objects.exists()


def test_anonymous_post_is_sent_to_sign_in_and_nothing_is_stored(world):
    response = Client().post(_bureaus_url(world["employer"]), _grant_data(world["bureau"]))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not EnterpriseMandate.objects.exists()


def test_posting_to_a_forged_enterprise_id_answers_404(world):
    response = _client(world["admin"], mfa=True).post(_bureaus_url(FORGED_ID), _grant_data(world["bureau"]))

    assert response.status_code == 404
    assert not EnterpriseMandate.objects.exists()


def test_unknown_bureau_number_is_a_form_error(world):
    unknown = EnterpriseFactory.build()  # a valid number that no enterprise has

    response = _client(world["admin"], mfa=True).post(_bureaus_url(world["employer"]), _grant_data(unknown))

    assert response.status_code == 400
    assert "No enterprise has this number." in response.content.decode()
    assert not EnterpriseMandate.objects.exists()


def test_a_second_open_mandate_for_the_same_bureau_is_refused(world):
    _mandate(world["employer"], world["bureau"])

    response = _client(world["admin"], mfa=True).post(_bureaus_url(world["employer"]), _grant_data(world["bureau"]))

    assert response.status_code == 400
    assert "This bureau already has a mandate from the enterprise." in response.content.decode()
    assert EnterpriseMandate.objects.count() == 1


def test_the_form_requires_at_least_one_scope(world):
    data = _grant_data(world["bureau"])
    data["scopes"] = []

    response = _client(world["admin"], mfa=True).post(_bureaus_url(world["employer"]), data)

    assert response.status_code == 400
    assert response.context["form"].errors["scopes"]
    assert not EnterpriseMandate.objects.exists()


# --- Ending a bureau's mandate from the enterprise's page -------------------------------------


def test_administrator_ends_a_bureau_mandate(world):
    mandate = _mandate(world["employer"], world["bureau"])

    response = _client(world["admin"], mfa=True).post(_revoke_url(world["employer"], mandate.pk), follow=True)

    assert response.redirect_chain == [(_bureaus_url(world["employer"]), 302)]
    assert "The mandate has ended" in response.content.decode()
    mandate.refresh_from_db()
    assert mandate.revoked_at is not None
    assert mandate.revoked_by_id == world["admin"].pk


def test_declarant_cannot_end_a_bureau_mandate(world):
    mandate = _mandate(world["employer"], world["bureau"])

    response = _client(world["declarant"], mfa=True).post(_revoke_url(world["employer"], mandate.pk), follow=True)

    assert response.redirect_chain == [(_bureaus_url(world["employer"]), 302)]
    assert "Only an administrator can end this mandate." in response.content.decode()
    mandate.refresh_from_db()
    assert mandate.revoked_at is None


@pytest.mark.parametrize("who", ["bureau_admin", "other_admin", "citizen", "staff"])
def test_strangers_ending_through_the_enterprise_url_get_404(world, who):
    """The bureau's administrator may end the mandate (the service allows it), but not through
    the enterprise's page: they do not represent the enterprise."""
    mandate = _mandate(world["employer"], world["bureau"])

    response = _client(world[who], mfa=True).post(_revoke_url(world["employer"], mandate.pk))

    assert response.status_code == 404
    mandate.refresh_from_db()
    assert mandate.revoked_at is None


def test_anonymous_end_is_sent_to_sign_in(world):
    mandate = _mandate(world["employer"], world["bureau"])

    response = Client().post(_revoke_url(world["employer"], mandate.pk))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    mandate.refresh_from_db()
    assert mandate.revoked_at is None


def test_ending_another_enterprises_mandate_through_ones_own_url_answers_404(world):
    """An administrator of both the bureau and another enterprise names their own enterprise in
    the URL and the mandate of someone else: the page only finds what its enterprise gave."""
    mandate = _mandate(world["employer"], world["bureau"])
    representation(world["bureau_admin"], world["other_enterprise"], EnterpriseRole.ADMINISTRATOR)

    response = _client(world["bureau_admin"], mfa=True).post(_revoke_url(world["other_enterprise"], mandate.pk))

    assert response.status_code == 404
    mandate.refresh_from_db()
    assert mandate.revoked_at is None


@pytest.mark.parametrize("case", ["forged_mandate", "forged_enterprise", "already_ended"])
def test_ending_with_forged_or_stale_ids_answers_404(world, case):
    mandate = _mandate(world["employer"], world["bureau"], revoked=case == "already_ended")
    revoked_at = mandate.revoked_at
    url = {
        "forged_mandate": _revoke_url(world["employer"], FORGED_ID),
        "forged_enterprise": _revoke_url(FORGED_ID, mandate.pk),
        "already_ended": _revoke_url(world["employer"], mandate.pk),
    }[case]

    response = _client(world["admin"], mfa=True).post(url)

    assert response.status_code == 404
    mandate.refresh_from_db()
    assert mandate.revoked_at == revoked_at


def test_ending_is_post_only(world):
    mandate = _mandate(world["employer"], world["bureau"])

    response = _client(world["admin"], mfa=True).get(_revoke_url(world["employer"], mandate.pk))

    assert response.status_code == 405
    mandate.refresh_from_db()
    assert mandate.revoked_at is None


# --- The bureau's list of the enterprises it acts for -----------------------------------------


def test_clients_page_sends_anonymous_visitors_to_sign_in():
    response = Client().get(CLIENTS)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_clients_page_lists_exactly_the_enterprises_that_mandated_the_bureau(world):
    bakery, garage = world["employer"], world["other_enterprise"]
    _mandate(bakery, world["bureau"], scopes=("declare", "pay"))
    _mandate(garage, world["bureau"], scopes=("pay",))
    _mandate(EnterpriseFactory(name="Ended Ltd"), world["bureau"], revoked=True)
    _mandate(
        EnterpriseFactory(name="Next Month Ltd"),
        world["bureau"],
        starts_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    _mandate(EnterpriseFactory(name="Elsewhere Ltd"), EnterpriseFactory())  # another bureau's client
    viewer = UserFactory()
    representation(viewer, world["bureau"], EnterpriseRole.VIEWER)

    response = _client(viewer).get(CLIENTS)

    assert response.status_code == 200
    assert response.context["rows"] == [
        ClientRow(
            enterprise_id=bakery.pk,
            name="Boulangerie Dupont",
            number_display=_number(bakery),
            scope_labels=("file declarations", "pay contributions"),
        ),
        ClientRow(
            enterprise_id=garage.pk,
            name="Garage Martin",
            number_display=_number(garage),
            scope_labels=("pay contributions",),
        ),
    ]
    page = response.content.decode()
    assert "Boulangerie Dupont" in page
    assert "Garage Martin" in page
    for absent in ("Ended Ltd", "Next Month Ltd", "Elsewhere Ltd"):
        assert absent not in page


def test_a_representative_of_an_enterprise_that_was_not_mandated_sees_the_empty_state(world):
    _mandate(world["other_enterprise"], world["bureau"])

    response = _client(world["admin"], mfa=True).get(CLIENTS)

    assert response.context["rows"] == []
    assert "No enterprise has mandated the enterprises you represent." in response.content.decode()


def test_a_citizen_who_represents_no_enterprise_sees_the_empty_state(world):
    _mandate(world["employer"], world["bureau"])

    response = _client(world["citizen"]).get(CLIENTS)

    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "You do not represent any payroll bureau or accounting firm." in response.content.decode()


def test_clients_page_runs_a_constant_number_of_queries(world):
    browser = _client(world["bureau_admin"], mfa=True)
    _mandate(world["employer"], world["bureau"], scopes=("declare", "pay"))
    browser.get(CLIENTS)
    with CaptureQueriesContext(connection) as one:
        browser.get(CLIENTS)
    for _ in range(4):
        _mandate(EnterpriseFactory(), world["bureau"], scopes=("declare", "pay"))
    with CaptureQueriesContext(connection) as five:
        response = browser.get(CLIENTS)

    assert len(response.context["rows"]) == 5
    assert len(five) == len(one)
