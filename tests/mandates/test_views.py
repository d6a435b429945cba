"""Mandate pages: who may open or post to each of them, giving and answering through the forms,
acting for someone (the banner, the access record, the trail), and how acting stops.

The pages read the real clock, so the mandates here are made with the real clock too.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.actor import ACTING_FOR_SESSION_KEY, LevelOfAssurance
from core.models import AccessRecord
from core.types import AccessPurpose
from identity.country_profiles import country_profile
from identity.models import Person, User
from mandates import services
from mandates.models import AccreditedProfessional, Mandate
from mandates.types import MandateStatus, Scope
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("mandates:list")
DASHBOARD = reverse("portal:dashboard")
LOGIN = reverse("account_login")
BANNER_CLASS = "guichet-acting-banner"
FORGED_ID = 2_000_000_000


# --- Helpers ----------------------------------------------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def _in_a_year() -> datetime.date:
    return _today() + datetime.timedelta(days=365)


def _client(user: User, *, mfa: bool = False) -> Client:
    """A browser of its own, in English, signed in as ``user``."""
    return sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), user, mfa=mfa)


def _person_user(first_name: str, last_name: str) -> User:
    return UserFactory(person=PersonFactory(first_name=first_name, last_name=last_name))


def _grant(principal: User, proxy: User, *, scopes: tuple[str, ...] = (Scope.VIEW_FILE,)) -> int:
    return services.mandate_grant(
        actor=citizen_actor(principal, level=LevelOfAssurance.SUBSTANTIAL),
        proxy_national_number=proxy.person.national_number,
        proxy_last_name=proxy.person.last_name,
        scopes=list(scopes),
        starts_on=_today(),
        ends_on=_in_a_year(),
        now=timezone.now(),
    )


def _active(principal: User, proxy: User, *, scopes: tuple[str, ...] = (Scope.VIEW_FILE,)) -> int:
    mandate_id = _grant(principal, proxy, scopes=scopes)
    services.mandate_accept(actor=citizen_actor(proxy), mandate_id=mandate_id, now=timezone.now())
    return mandate_id


def _requested(principal: User, proxy: User) -> int:
    return services.mandate_request(
        actor=citizen_actor(proxy, level=LevelOfAssurance.SUBSTANTIAL),
        principal_national_number=principal.person.national_number,
        principal_last_name=principal.person.last_name,
        scopes=[Scope.VIEW_FILE],
        starts_on=_today(),
        ends_on=_in_a_year(),
        now=timezone.now(),
    )


def _mandate_in(status: str, family: dict[str, User]) -> int:
    if status == MandateStatus.PENDING:
        return _grant(family["principal"], family["proxy"])
    if status == MandateStatus.REQUESTED:
        return _requested(family["principal"], family["proxy"])
    return _active(family["principal"], family["proxy"])


def _mandates() -> list[dict[str, Any]]:
    return list(Mandate.objects.order_by("pk").values())


def _status(mandate_id: int) -> str:
    return Mandate.objects.get(pk=mandate_id).status


def _text(response: Any) -> str:
    return response.content.decode()


def _acting_banner(name: str) -> str:
    return f"You are acting on behalf of {name}."


def _terms(prefix: str, **overrides: Any) -> dict[str, Any]:
    data = {
        f"{prefix}-scopes": [Scope.VIEW_FILE],
        f"{prefix}-starts_on": _today().isoformat(),
        f"{prefix}-ends_on": _in_a_year().isoformat(),
    }
    data.update({f"{prefix}-{name}": value for name, value in overrides.items()})
    return data


def _act(client: Client, mandate_id: int) -> Any:
    return client.post(reverse("mandates:act", args=[mandate_id]))


@pytest.fixture
def family() -> dict[str, User]:
    return {
        "principal": _person_user("Marie", "Peeters"),
        "proxy": _person_user("Anne", "Van den Berg"),
        "stranger": _person_user("Paul", "Dupont"),
        "unlinked": UserFactory(),
    }


# --- Authorization matrix ---------------------------------------------------------------------

# (method, url name, whether the url takes a mandate id, extra url argument)
EVERY_ENDPOINT = [
    ("get", "mandates:list", False, None),
    ("post", "mandates:grant", False, None),
    ("post", "mandates:grant_professional", False, None),
    ("post", "mandates:request", False, None),
    ("post", "mandates:stop_acting", False, None),
    ("post", "mandates:transition", True, "accept"),
    ("post", "mandates:transition", True, "approve"),
    ("post", "mandates:transition", True, "decline"),
    ("post", "mandates:transition", True, "revoke"),
    ("get", "mandates:change", True, None),
    ("post", "mandates:change", True, None),
    ("get", "mandates:trail", True, None),
    ("post", "mandates:act", True, None),
]


def _url(name: str, mandate_id: int | None, action: str | None) -> str:
    if mandate_id is None:
        return reverse(name)
    return reverse(name, args=[mandate_id, action] if action else [mandate_id])


@pytest.mark.parametrize(("method", "name", "takes_id", "action"), EVERY_ENDPOINT)
def test_anonymous_is_sent_to_sign_in_and_nothing_changes(family, method, name, takes_id, action):
    mandate_id = _active(family["principal"], family["proxy"])
    before = _mandates()

    response = getattr(Client(), method)(_url(name, mandate_id if takes_id else None, action))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")
    assert _mandates() == before


def test_an_account_without_a_file_is_told_to_link_it(family):
    response = _client(family["unlinked"]).get(LIST)

    assert response.status_code == 200
    assert response.context["linked"] is False
    assert "Link your account to your file first" in _text(response)
    assert f'href="{reverse("identity:link_person")}"' in _text(response)
    assert "grant_form" not in response.context


@pytest.mark.parametrize(
    ("method", "name", "action"),
    [
        ("post", "mandates:act", None),
        ("get", "mandates:change", None),
        ("post", "mandates:change", None),
        ("get", "mandates:trail", None),
    ],
)
def test_an_account_without_a_file_gets_404_on_a_mandate_and_nothing_changes(family, method, name, action):
    mandate_id = _active(family["principal"], family["proxy"])
    before = _mandates()
    client = _client(family["unlinked"], mfa=True)

    response = getattr(client, method)(_url(name, mandate_id, action))

    assert response.status_code == 404
    assert _mandates() == before
    assert ACTING_FOR_SESSION_KEY not in client.session


@pytest.mark.parametrize("action", ["accept", "approve", "decline", "revoke"])
def test_an_account_without_a_file_cannot_answer_or_end_a_mandate(family, action):
    mandate_id = _grant(family["principal"], family["proxy"])
    before = _mandates()

    response = _client(family["unlinked"], mfa=True).post(
        reverse("mandates:transition", args=[mandate_id, action]), follow=True
    )

    assert response.redirect_chain == [(LIST, 302)]
    assert "Link your account to your file first." in _text(response)
    assert _mandates() == before


def test_an_account_without_a_file_cannot_give_a_mandate(family):
    proxy = family["proxy"].person
    data = {"grant-national_number": proxy.national_number, "grant-last_name": proxy.last_name, **_terms("grant")}

    response = _client(family["unlinked"], mfa=True).post(reverse("mandates:grant"), data)

    assert response.status_code == 400
    assert not Mandate.objects.exists()


@pytest.mark.parametrize(
    ("status", "method", "name", "action"),
    [
        (MandateStatus.PENDING, "post", "mandates:transition", "accept"),
        (MandateStatus.PENDING, "post", "mandates:transition", "decline"),
        (MandateStatus.PENDING, "post", "mandates:transition", "revoke"),
        (MandateStatus.REQUESTED, "post", "mandates:transition", "approve"),
        (MandateStatus.REQUESTED, "post", "mandates:transition", "decline"),
        (MandateStatus.ACTIVE, "post", "mandates:transition", "revoke"),
        (MandateStatus.ACTIVE, "get", "mandates:change", None),
        (MandateStatus.ACTIVE, "post", "mandates:change", None),
        (MandateStatus.ACTIVE, "get", "mandates:trail", None),
        (MandateStatus.ACTIVE, "post", "mandates:act", None),
    ],
)
def test_another_citizen_gets_404_on_someone_elses_mandate_and_nothing_changes(family, status, method, name, action):
    mandate_id = _mandate_in(status, family)
    before = _mandates()
    client = _client(family["stranger"], mfa=True)

    response = getattr(client, method)(
        _url(name, mandate_id, action), {"scopes": [Scope.MANAGE_CLAIMS], "ends_on": _in_a_year().isoformat()}
    )

    assert response.status_code == 404
    assert _mandates() == before
    assert ACTING_FOR_SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("method", "name", "action"),
    [
        ("post", "mandates:transition", "accept"),
        ("post", "mandates:transition", "approve"),
        ("post", "mandates:transition", "decline"),
        ("post", "mandates:transition", "revoke"),
        ("get", "mandates:change", None),
        ("post", "mandates:change", None),
        ("get", "mandates:trail", None),
        ("post", "mandates:act", None),
    ],
)
@pytest.mark.parametrize("who", ["principal", "proxy"])
def test_a_forged_mandate_id_answers_404(family, who, method, name, action):
    _active(family["principal"], family["proxy"])
    before = _mandates()

    response = getattr(_client(family[who], mfa=True), method)(_url(name, FORGED_ID, action))

    assert response.status_code == 404
    assert _mandates() == before


@pytest.mark.parametrize(("method", "name"), [("get", "mandates:change"), ("post", "mandates:change")])
def test_the_proxy_cannot_change_the_mandate(family, method, name):
    mandate_id = _active(family["principal"], family["proxy"])
    before = _mandates()

    response = getattr(_client(family["proxy"], mfa=True), method)(
        reverse(name, args=[mandate_id]),
        {"scopes": [Scope.VIEW_FILE, Scope.MANAGE_PAYMENT_DETAILS], "ends_on": _in_a_year().isoformat()},
    )

    assert response.status_code == 404
    assert _mandates() == before


def test_the_proxy_cannot_read_the_trail(family):
    mandate_id = _active(family["principal"], family["proxy"])

    response = _client(family["proxy"]).get(reverse("mandates:trail", args=[mandate_id]))

    assert response.status_code == 404


def test_the_principal_cannot_act_under_their_own_mandate(family):
    mandate_id = _active(family["principal"], family["proxy"])
    client = _client(family["principal"], mfa=True)

    response = _act(client, mandate_id)

    assert response.status_code == 404
    assert ACTING_FOR_SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("status", "who"),
    [
        (MandateStatus.PENDING, "proxy"),
        (MandateStatus.REQUESTED, "proxy"),
        (MandateStatus.ACTIVE, "principal"),
    ],
)
def test_the_proxy_cannot_act_under_a_mandate_that_is_not_in_force(family, status, who):
    """Only the proxy of an active mandate may act; a mandate waiting for an answer does not count."""
    mandate_id = _mandate_in(status, family)
    client = _client(family[who])

    assert _act(client, mandate_id).status_code == 404
    assert ACTING_FOR_SESSION_KEY not in client.session


def test_the_proxy_cannot_act_under_an_expired_mandate(family):
    mandate_id = _active(family["principal"], family["proxy"])
    Mandate.objects.filter(pk=mandate_id).update(
        starts_on=_today() - datetime.timedelta(days=30), ends_on=_today() - datetime.timedelta(days=1)
    )
    client = _client(family["proxy"])

    assert _act(client, mandate_id).status_code == 404
    assert ACTING_FOR_SESSION_KEY not in client.session


@pytest.mark.parametrize("action", ["expire", "supersede", "end_by_death", "delete"])
def test_an_unknown_action_answers_404_and_changes_nothing(family, action):
    mandate_id = _active(family["principal"], family["proxy"])
    before = _mandates()

    response = _client(family["principal"], mfa=True).post(reverse("mandates:transition", args=[mandate_id, action]))

    assert response.status_code == 404
    assert _mandates() == before


@pytest.mark.parametrize(
    ("status", "who", "action", "mfa", "message"),
    [
        # The principal cannot accept their own offer, nor the proxy approve their own request.
        (MandateStatus.PENDING, "principal", "accept", True, "This mandate cannot be changed that way"),
        (MandateStatus.REQUESTED, "proxy", "approve", True, "This mandate cannot be changed that way"),
        # The one who asked cannot decline in the other's place.
        (MandateStatus.PENDING, "principal", "decline", True, "This mandate cannot be changed that way"),
        (MandateStatus.REQUESTED, "proxy", "decline", True, "This mandate cannot be changed that way"),
        # A request is approved with a second factor only.
        (MandateStatus.REQUESTED, "principal", "approve", False, "Sign in with your second factor"),
        # An answered request cannot be ended; an active mandate cannot be accepted again.
        (MandateStatus.REQUESTED, "principal", "revoke", True, "This mandate cannot be changed that way"),
        (MandateStatus.ACTIVE, "proxy", "accept", True, "This mandate cannot be changed that way"),
    ],
)
def test_a_refused_transition_says_why_and_changes_nothing(family, status, who, action, mfa, message):
    mandate_id = _mandate_in(status, family)
    before = _mandates()

    response = _client(family[who], mfa=mfa).post(
        reverse("mandates:transition", args=[mandate_id, action]), follow=True
    )

    assert response.redirect_chain == [(LIST, 302)]
    assert message in _text(response)
    assert _mandates() == before


@pytest.mark.parametrize(
    ("status", "who", "action", "mfa", "expected"),
    [
        (MandateStatus.PENDING, "proxy", "accept", False, MandateStatus.ACTIVE),
        (MandateStatus.PENDING, "proxy", "decline", False, MandateStatus.DECLINED),
        (MandateStatus.PENDING, "principal", "revoke", False, MandateStatus.REVOKED),
        (MandateStatus.REQUESTED, "principal", "approve", True, MandateStatus.ACTIVE),
        (MandateStatus.REQUESTED, "principal", "decline", False, MandateStatus.DECLINED),
        (MandateStatus.ACTIVE, "principal", "revoke", False, MandateStatus.REVOKED),
        (MandateStatus.ACTIVE, "proxy", "revoke", False, MandateStatus.REVOKED),
    ],
)
def test_the_right_party_answers_or_ends_a_mandate(family, status, who, action, mfa, expected):
    mandate_id = _mandate_in(status, family)

    response = _client(family[who], mfa=mfa).post(reverse("mandates:transition", args=[mandate_id, action]))

    assert response.status_code == 302
    assert response["Location"] == LIST
    assert _status(mandate_id) == expected


def test_each_party_sees_the_mandate_on_their_side_only(family):
    mandate_id = _grant(family["principal"], family["proxy"])

    principal_page = _client(family["principal"]).get(LIST)
    proxy_page = _client(family["proxy"]).get(LIST)
    stranger_page = _client(family["stranger"]).get(LIST)

    assert [m.id for m in principal_page.context["given"]] == [mandate_id]
    assert principal_page.context["held"] == []
    assert proxy_page.context["given"] == []
    assert [m.id for m in proxy_page.context["held"]] == [mandate_id]
    assert (stranger_page.context["given"], stranger_page.context["held"]) == ([], [])
    assert "Anne Van den Berg" not in _text(stranger_page)
    # The proxy is offered to answer; the principal to follow what is done with it.
    assert reverse("mandates:transition", args=[mandate_id, "accept"]) in _text(proxy_page)
    assert reverse("mandates:transition", args=[mandate_id, "accept"]) not in _text(principal_page)
    assert reverse("mandates:trail", args=[mandate_id]) in _text(principal_page)
    assert reverse("mandates:trail", args=[mandate_id]) not in _text(proxy_page)


# --- Giving and asking through the forms ------------------------------------------------------


def _grant_data(proxy: Person, **overrides: Any) -> dict[str, Any]:
    return {
        "grant-national_number": country_profile().person_number.format(proxy.national_number),
        "grant-last_name": proxy.last_name,
        **_terms("grant", **overrides),
    }


def test_grant_with_a_second_factor_offers_the_mandate(family):
    response = _client(family["principal"], mfa=True).post(
        reverse("mandates:grant"), _grant_data(family["proxy"].person), follow=True
    )

    assert response.redirect_chain == [(LIST, 302)]
    assert "The mandate is offered. It takes effect when the person accepts it." in _text(response)
    mandate = Mandate.objects.get()
    assert (mandate.principal_id, mandate.proxy_id, mandate.status) == (
        family["principal"].person_id,
        family["proxy"].person_id,
        MandateStatus.PENDING,
    )
    assert (mandate.scopes, mandate.starts_on, mandate.ends_on) == ([Scope.VIEW_FILE], _today(), _in_a_year())
    assert mandate.created_by_id == family["principal"].pk
    assert [m.id for m in response.context["given"]] == [mandate.pk]


def test_grant_without_a_second_factor_is_refused_and_stores_nothing(family):
    response = _client(family["principal"], mfa=False).post(
        reverse("mandates:grant"), _grant_data(family["proxy"].person)
    )

    assert response.status_code == 400
    assert response.context["grant_form"].non_field_errors() == [
        "Sign in with your second factor (two-factor authentication) to manage mandates."
    ]
    assert "Sign in with your second factor (two-factor authentication) to manage mandates." in _text(response)
    assert not Mandate.objects.exists()


def test_grant_with_a_wrong_last_name_is_refused_and_stores_nothing(family):
    data = _grant_data(family["proxy"].person)
    data["grant-last_name"] = "Dupont"

    response = _client(family["principal"], mfa=True).post(reverse("mandates:grant"), data)

    assert response.status_code == 400
    assert response.context["grant_form"].non_field_errors() == [
        "We find nobody with this national number and this last name. Check both."
    ]
    assert not Mandate.objects.exists()


def test_grant_without_any_scope_is_refused_by_the_form(family):
    data = _grant_data(family["proxy"].person)
    del data["grant-scopes"]

    response = _client(family["principal"], mfa=True).post(reverse("mandates:grant"), data)

    assert response.status_code == 400
    assert response.context["grant_form"].errors["scopes"] == ["This field is required."]
    assert not Mandate.objects.exists()


def test_a_refused_grant_keeps_the_other_forms_blank(family):
    response = _client(family["principal"], mfa=False).post(
        reverse("mandates:grant"), _grant_data(family["proxy"].person)
    )

    assert response.context["grant_form"].is_bound
    assert not response.context["professional_form"].is_bound
    assert not response.context["request_form"].is_bound


def test_asking_for_a_mandate_needs_a_second_factor(family):
    principal = family["principal"].person
    data = {"ask-national_number": principal.national_number, "ask-last_name": principal.last_name, **_terms("ask")}

    refused = _client(family["proxy"], mfa=False).post(reverse("mandates:request"), data)
    assert refused.status_code == 400
    assert "Sign in with your second factor" in _text(refused)
    assert not Mandate.objects.exists()

    response = _client(family["proxy"], mfa=True).post(reverse("mandates:request"), data, follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert "Your request is sent. The person will approve or decline it." in _text(response)
    mandate = Mandate.objects.get()
    assert (mandate.principal_id, mandate.proxy_id, mandate.status) == (
        principal.pk,
        family["proxy"].person_id,
        MandateStatus.REQUESTED,
    )


def test_grant_to_an_accredited_professional(family):
    lawyer = _person_user("Luc", "Maes")
    professional = AccreditedProfessional.objects.create(
        person=lawyer.person,
        kind="lawyer",
        accreditation_number="AV-12345",
        valid_from=_today() - datetime.timedelta(days=365),
        valid_until=_today() + datetime.timedelta(days=3 * 365),
    )
    data = {"pro-accreditation_number": "av-12345", **_terms("pro")}

    response = _client(family["principal"], mfa=True).post(reverse("mandates:grant_professional"), data, follow=True)

    assert response.redirect_chain == [(LIST, 302)]
    assert "The mandate is offered. It takes effect when the professional accepts it." in _text(response)
    mandate = Mandate.objects.get()
    assert (mandate.proxy_id, mandate.professional_id, mandate.status) == (
        lawyer.person_id,
        professional.pk,
        MandateStatus.PENDING,
    )


def test_date_fields_are_prefilled_in_iso_format_in_french(family):
    """<input type=date> only accepts YYYY-MM-DD; any other value shows an empty field."""
    client = sign_in(Client(HTTP_ACCEPT_LANGUAGE="fr"), family["principal"], mfa=True)

    mandate_id = _active(family["principal"], family["proxy"])

    listing = client.get(LIST)
    change = client.get(reverse("mandates:change", args=[mandate_id]))

    assert f'name="grant-starts_on" value="{_today().isoformat()}"' in _text(listing)
    assert f'name="ends_on" value="{_in_a_year().isoformat()}"' in _text(change)


# --- Acting for someone -----------------------------------------------------------------------


def test_accept_act_and_the_consultation_appears_in_the_principals_trail(family):
    principal, proxy = family["principal"], family["proxy"]
    mandate_id = _grant(principal, proxy)
    proxy_client = _client(proxy)

    accepted = proxy_client.post(reverse("mandates:transition", args=[mandate_id, "accept"]), follow=True)
    assert "The mandate is accepted: it is now active." in _text(accepted)
    assert _status(mandate_id) == MandateStatus.ACTIVE

    response = _act(proxy_client, mandate_id)
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert proxy_client.session[ACTING_FOR_SESSION_KEY] == mandate_id

    dashboard = proxy_client.get(DASHBOARD)
    assert dashboard.status_code == 200
    assert dashboard.templates[0].name == "portal/dashboard_for.html"
    assert _acting_banner("Marie Peeters") in _text(dashboard)
    assert country_profile().person_number.format(principal.person.national_number) in _text(dashboard)
    record = AccessRecord.objects.get()
    assert (
        record.purpose,
        record.actor_user_id,
        record.subject_person_id,
        record.mandate_id,
        record.detail,
    ) == (AccessPurpose.PROXY_FILE_VIEW, proxy.pk, principal.person_id, mandate_id, "dashboard")

    trail = _client(principal).get(reverse("mandates:trail", args=[mandate_id]))
    assert trail.status_code == 200
    assert [(row.purpose, row.actor_label) for row in trail.context["rows"]] == [
        (AccessPurpose.PROXY_FILE_VIEW, proxy.get_full_name())
    ]
    assert f"{proxy.get_full_name()}, whom you mandated, consulted your summary page." in _text(trail)


def test_the_trail_lists_only_what_was_done_under_that_mandate(family):
    principal, proxy = family["principal"], family["proxy"]
    mandate_id = _active(principal, proxy)
    other_id = _active(principal, family["stranger"])
    stranger_client = _client(family["stranger"])
    _act(stranger_client, other_id)
    stranger_client.get(DASHBOARD)

    trail = _client(principal).get(reverse("mandates:trail", args=[mandate_id]))

    assert trail.context["rows"] == []
    assert "Nothing has been done with this mandate yet." in _text(trail)
    assert len(_client(principal).get(reverse("mandates:trail", args=[other_id])).context["rows"]) == 1


def test_acting_without_the_view_scope_shows_no_identity_and_records_nothing(family):
    principal, proxy = family["principal"], family["proxy"]
    mandate_id = _active(principal, proxy, scopes=(Scope.MANAGE_CLAIMS,))
    proxy_client = _client(proxy)
    _act(proxy_client, mandate_id)

    dashboard = proxy_client.get(DASHBOARD)

    assert dashboard.status_code == 200
    assert _acting_banner("Marie Peeters") in _text(dashboard)
    assert dashboard.context["person"] is None
    assert country_profile().person_number.format(principal.person.national_number) not in _text(dashboard)
    assert principal.person.national_number not in _text(dashboard)
    assert "The mandate does not let you view this person's file." in _text(dashboard)
    assert not AccessRecord.objects.exists()


def test_while_acting_the_mandates_page_is_not_offered(family):
    """Acting for someone opens their file, not their mandates: those stay the principal's, and
    the proxy's own are in the proxy's own file (portal.acting)."""
    principal, proxy = family["principal"], family["proxy"]
    mandate_id = _active(principal, proxy)
    given_by_principal = _grant(principal, family["stranger"])
    proxy_client = _client(proxy, mfa=True)
    _act(proxy_client, mandate_id)

    page = proxy_client.get(LIST)
    trail = proxy_client.get(reverse("mandates:trail", args=[mandate_id]))
    revoke = proxy_client.post(reverse("mandates:transition", args=[given_by_principal, "revoke"]))

    assert _acting_banner("Marie Peeters") in _text(page)
    assert page.status_code == 404
    assert "given" not in page.context
    assert trail.status_code == 404
    assert revoke.status_code == 404
    assert _status(given_by_principal) == MandateStatus.PENDING


def _acting_proxy(family: dict[str, User], **kwargs: Any) -> tuple[int, Client]:
    mandate_id = _active(family["principal"], family["proxy"], **kwargs)
    proxy_client = _client(family["proxy"])
    _act(proxy_client, mandate_id)
    assert _acting_banner("Marie Peeters") in _text(proxy_client.get(DASHBOARD))
    return mandate_id, proxy_client


def _assert_back_in_own_file(proxy_client: Client, proxy: User) -> None:
    dashboard = proxy_client.get(DASHBOARD)
    assert dashboard.status_code == 200
    assert dashboard.templates[0].name == "portal/dashboard.html"
    assert dashboard.context["person"].id == proxy.person_id
    assert BANNER_CLASS not in _text(dashboard)
    assert "You are acting on behalf of" not in _text(dashboard)
    assert ACTING_FOR_SESSION_KEY not in proxy_client.session


def test_revocation_by_the_principal_stops_acting_at_once(family):
    mandate_id, proxy_client = _acting_proxy(family)
    records = AccessRecord.objects.count()

    _client(family["principal"]).post(reverse("mandates:transition", args=[mandate_id, "revoke"]))

    assert _status(mandate_id) == MandateStatus.REVOKED
    _assert_back_in_own_file(proxy_client, family["proxy"])
    assert AccessRecord.objects.count() == records


def test_an_expired_mandate_stops_acting_before_the_nightly_job(family):
    mandate_id, proxy_client = _acting_proxy(family)
    Mandate.objects.filter(pk=mandate_id).update(
        starts_on=_today() - datetime.timedelta(days=30), ends_on=_today() - datetime.timedelta(days=1)
    )

    _assert_back_in_own_file(proxy_client, family["proxy"])
    assert _status(mandate_id) == MandateStatus.ACTIVE  # the nightly job records the end later


def test_the_principals_death_stops_acting_before_the_nightly_job(family):
    mandate_id, proxy_client = _acting_proxy(family)
    Person.objects.filter(pk=family["principal"].person_id).update(death_date=_today())

    _assert_back_in_own_file(proxy_client, family["proxy"])
    assert _act(proxy_client, mandate_id).status_code == 404


def test_back_to_my_own_file_stops_acting(family):
    mandate_id, proxy_client = _acting_proxy(family)

    response = proxy_client.post(reverse("mandates:stop_acting"), follow=True)

    assert response.redirect_chain == [(DASHBOARD, 302)]
    assert "You are back in your own file." in _text(response)
    _assert_back_in_own_file(proxy_client, family["proxy"])
    assert _status(mandate_id) == MandateStatus.ACTIVE


def test_the_banner_offers_the_way_back(family):
    _mandate_id, proxy_client = _acting_proxy(family)

    dashboard = proxy_client.get(DASHBOARD)

    assert f'action="{reverse("mandates:stop_acting")}"' in _text(dashboard)
    assert "Back to my own file" in _text(dashboard)


# --- Changing a mandate -----------------------------------------------------------------------


def test_the_principal_sees_the_change_form_filled_with_the_current_terms(family):
    mandate_id = _active(family["principal"], family["proxy"], scopes=(Scope.VIEW_FILE, Scope.MANAGE_CLAIMS))

    response = _client(family["principal"], mfa=True).get(reverse("mandates:change", args=[mandate_id]))

    assert response.status_code == 200
    assert response.context["form"].initial == {
        "scopes": [Scope.VIEW_FILE, Scope.MANAGE_CLAIMS],
        "ends_on": _in_a_year(),
    }


@pytest.mark.parametrize("status", [MandateStatus.PENDING, MandateStatus.REQUESTED])
def test_only_an_active_mandate_can_be_changed(family, status):
    mandate_id = _mandate_in(status, family)

    response = _client(family["principal"], mfa=True).get(reverse("mandates:change", args=[mandate_id]))

    assert response.status_code == 404


def test_changing_needs_a_second_factor(family):
    mandate_id = _active(family["principal"], family["proxy"])
    before = _mandates()

    response = _client(family["principal"], mfa=False).post(
        reverse("mandates:change", args=[mandate_id]),
        {"scopes": [Scope.MANAGE_CLAIMS], "ends_on": _in_a_year().isoformat()},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Sign in with your second factor (two-factor authentication) to manage mandates."
    ]
    assert _mandates() == before


def test_a_change_replaces_the_version_and_the_proxy_stops_acting_under_the_old_one(family):
    principal, proxy = family["principal"], family["proxy"]
    old_id, proxy_client = _acting_proxy(family)
    new_ends_on = _today() + datetime.timedelta(days=90)

    response = _client(principal, mfa=True).post(
        reverse("mandates:change", args=[old_id]),
        {"scopes": [Scope.VIEW_FILE, Scope.MANAGE_CLAIMS], "ends_on": new_ends_on.isoformat()},
        follow=True,
    )

    assert response.redirect_chain == [(LIST, 302)]
    assert "The mandate is changed: a new version replaces the previous one." in _text(response)
    old = Mandate.objects.get(pk=old_id)
    new = Mandate.objects.get(previous_id=old_id)
    assert (old.status, old.ended_by_id) == (MandateStatus.SUPERSEDED, principal.pk)
    assert old.ended_at is not None
    assert (new.status, new.scopes, new.ends_on, new.principal_id, new.proxy_id) == (
        MandateStatus.ACTIVE,
        [Scope.VIEW_FILE, Scope.MANAGE_CLAIMS],
        new_ends_on,
        principal.person_id,
        proxy.person_id,
    )
    # The session named the old version: the proxy is back in their own file and chooses again.
    _assert_back_in_own_file(proxy_client, proxy)
    assert _act(proxy_client, old_id).status_code == 404
    assert _act(proxy_client, new.pk).status_code == 302
    assert proxy_client.session[ACTING_FOR_SESSION_KEY] == new.pk


def test_a_superseded_version_cannot_be_changed_again(family):
    old_id = _active(family["principal"], family["proxy"])
    client = _client(family["principal"], mfa=True)
    client.post(
        reverse("mandates:change", args=[old_id]),
        {"scopes": [Scope.MANAGE_CLAIMS], "ends_on": _in_a_year().isoformat()},
    )
    before = _mandates()

    response = client.post(
        reverse("mandates:change", args=[old_id]),
        {"scopes": [Scope.VIEW_FILE], "ends_on": _in_a_year().isoformat()},
    )

    assert response.status_code == 404
    assert _mandates() == before


# --- Queries ----------------------------------------------------------------------------------


def test_the_list_page_runs_the_same_number_of_queries_for_1_and_10_mandates(family):
    principal = family["principal"]
    client = _client(principal)
    _grant(principal, family["proxy"])
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)

    others = [_person_user(f"Person{number}", f"Other{number}") for number in range(8)]
    for other in others[:3]:
        _active(principal, other, scopes=(Scope.VIEW_FILE, Scope.MANAGE_CLAIMS))
    for other in others[3:6]:
        _grant(other, principal)
    for other in others[6:]:
        _requested(principal, other)
    lawyer = _person_user("Luc", "Maes")
    AccreditedProfessional.objects.create(
        person=lawyer.person,
        kind="lawyer",
        accreditation_number="AV-54321",
        valid_from=_today(),
        valid_until=_in_a_year(),
    )
    services.mandate_grant_professional(
        actor=citizen_actor(principal, level=LevelOfAssurance.SUBSTANTIAL),
        accreditation_number="AV-54321",
        scopes=[Scope.MANAGE_CLAIMS],
        starts_on=_today(),
        ends_on=_in_a_year(),
        now=timezone.now(),
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)

    assert (len(response.context["given"]), len(response.context["held"])) == (7, 3)
    assert "AV-54321" in _text(response)
    assert len(many.captured_queries) == len(few.captured_queries)
