import pytest
from django.urls import reverse
from django.utils import timezone

from core.audit import access_record
from core.models import AccessRecord
from core.types import AccessPurpose
from tests.helpers import sign_in, staff_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db


def test_home_lists_services_by_life_situation_in_french_by_default(client):
    response = client.get(reverse("portal:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in body
    assert "Créer mon compte" in body
    assert "Pas encore en ligne" not in body  # every service is online


def test_home_in_english_when_the_browser_asks_for_it(client):
    response = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Create my account" in body


def test_every_online_service_links_to_a_page_that_answers(client):
    from portal.catalogue import CATALOGUE

    user = UserFactory(person=PersonFactory())
    sign_in(client, user)
    online = [service for situation in CATALOGUE for service in situation.services if service.is_online]
    assert len(online) >= 5
    for service in online:
        assert client.get(service.url, follow=True).status_code == 200, service.key


def test_offline_services_say_how_to_get_them_instead_of_linking_nowhere(client, monkeypatch):
    import dataclasses

    from portal import catalogue

    # Every service is online today: a card whose page is taken offline says where to go instead.
    offline = dataclasses.replace(catalogue.CATALOGUE[0].services[0], url_name=None, enterprise_url_name=None)
    first = dataclasses.replace(catalogue.CATALOGUE[0], services=(offline, *catalogue.CATALOGUE[0].services[1:]))
    monkeypatch.setattr(catalogue, "CATALOGUE", (first, *catalogue.CATALOGUE[1:]))

    response = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert body.count("Not yet online") == 1
    assert body.count("At one of our counters, or by phone") == 1


def test_persona_filter_shows_only_that_personas_services(client):
    response = client.get(reverse("portal:home") + "?persona=employer", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert "File the monthly declaration" in body
    assert "Birth grant" not in body


def test_unknown_persona_shows_everything(client):
    response = client.get(reverse("portal:home") + "?persona=<script>", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Birth grant" in response.content.decode()
    assert "<script>" not in response.content.decode()


# --- Dashboard ---------------------------------------------------------------------------------


def test_dashboard_requires_login(client):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302


def test_citizen_dashboard_shows_identity_and_security(client):
    person = PersonFactory(first_name="Marie", last_name="Dubois")
    user = UserFactory(person=person)
    sign_in(client, user)
    body = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Marie Dubois" in body
    from identity.country_profiles import country_profile

    assert country_profile().person_number.format(person.national_number) in body
    assert "not enabled" in body
    assert "low (password)" in body


def test_unlinked_citizen_is_invited_to_link_the_file(client):
    sign_in(client, UserFactory())
    body = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("identity:link_person") in body


def test_employer_dashboard_lists_only_own_enterprises(client):
    mine = EnterpriseFactory(name="Boulangerie Dupont")
    EnterpriseFactory(name="Garage Voisin")
    user = with_totp(UserFactory())
    representation(user, mine)
    sign_in(client, user, mfa=True)
    body = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Boulangerie Dupont" in body
    assert "Garage Voisin" not in body
    assert "substantial (two-factor)" in body


def test_enterprise_administrator_without_mfa_is_sent_to_enrol(client):
    user = UserFactory()
    representation(user, EnterpriseFactory())
    sign_in(client, user)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_dashboard_goes_to_the_back_office(client):
    staff = with_totp(UserFactory(is_staff=True))
    sign_in(client, staff, mfa=True)
    response = client.get(reverse("portal:dashboard"))
    assert response["Location"] == reverse("admin:index")


# --- Who accessed my data ----------------------------------------------------------------------


def test_access_log_shows_only_accesses_to_my_data(client):
    me = PersonFactory()
    someone_else = PersonFactory()
    staff = UserFactory(is_staff=True, first_name="Camille", last_name="Leroy")
    now = timezone.now()
    access_record(actor=staff_actor(staff), subject_person_id=me.pk, purpose=AccessPurpose.STAFF_REGISTRY_VIEW, now=now)
    access_record(
        actor=staff_actor(staff),
        subject_person_id=someone_else.pk,
        purpose=AccessPurpose.STAFF_REGISTRY_CHANGE,
        now=now,
    )
    sign_in(client, UserFactory(person=me))

    response = client.get(reverse("portal:access_log"), HTTP_ACCEPT_LANGUAGE="en")

    rows = response.context["rows"]
    assert [(row.actor_label, row.purpose) for row in rows] == [("Camille Leroy", "staff_registry_view")]
    assert "Camille Leroy, of our staff, consulted your record in the back office." in response.content.decode()


def _person_form(person, **changes):
    fields = {
        "national_number": person.national_number,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "birth_date": person.birth_date.isoformat(),
        "death_date": "",
        "street": person.street,
        "postal_code": person.postal_code,
        "city": person.city,
        "country": person.country,
        "preferred_language": person.preferred_language,
    }
    return {**fields, **changes}


def test_a_staff_correction_names_the_fields_changed_in_the_readers_language(client):
    person = PersonFactory(first_name="Jan", last_name="Peters", city="Gent")
    citizen = UserFactory(person=person)
    clerk = with_totp(UserFactory(is_staff=True, is_superuser=True, first_name="Camille", last_name="Leroy"))
    sign_in(client, clerk, mfa=True)
    response = client.post(
        reverse("admin:identity_person_change", args=[person.pk]),
        _person_form(person, first_name="Jean", last_name="Peeters", city="Gand"),
    )
    assert response.status_code == 302
    # Kept as the fields' names: the same in every language.
    (change,) = AccessRecord.objects.filter(purpose=AccessPurpose.STAFF_REGISTRY_CHANGE)
    assert change.detail == "first_name, last_name, city"

    client.logout()
    sign_in(client, citizen)
    french = client.get(reverse("portal:access_log"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english = client.get(reverse("portal:access_log"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Camille Leroy, de nos services, a corrigé votre fiche dans le registre (prénom, nom, localité)." in french
    assert (
        "Camille Leroy, of our staff, corrected your record in the registry (first name, last name, city)." in english
    )
    assert "first_name" not in french + english


def test_a_staff_change_of_an_account_names_its_fields_to_the_person_and_to_the_security_officer(client):
    person = PersonFactory()
    citizen = UserFactory(person=person, first_name="Jan", preferred_language="fr")
    admin = with_totp(UserFactory(is_staff=True, is_superuser=True, first_name="Camille", last_name="Leroy"))
    sign_in(client, admin, mfa=True)
    response = client.post(
        reverse("admin:identity_user_change", args=[citizen.pk]),
        {"first_name": "Jean", "last_name": citizen.last_name, "preferred_language": "en", "is_active": "on"},
    )
    assert response.status_code == 302
    (change,) = AccessRecord.objects.filter(purpose=AccessPurpose.STAFF_ACCOUNT_CHANGE)
    assert change.detail == "first_name, preferred_language"

    records = client.get(reverse("admin:core_accessrecord_changelist"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "prénom, langue préférée" in records.content.decode()
    client.logout()
    sign_in(client, citizen)
    english = client.get(reverse("portal:access_log"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Camille Leroy, of our staff, changed your account (first name, preferred language)." in english


def test_access_log_requires_login_and_a_linked_file(client):
    assert client.get(reverse("portal:access_log")).status_code == 302
    sign_in(client, UserFactory())
    response = client.get(reverse("portal:access_log"))
    assert response.status_code == 200
    assert response.context["rows"] is None


def test_reading_ones_own_data_is_not_recorded():
    person = PersonFactory()
    user = UserFactory(person=person)
    from tests.helpers import citizen_actor

    written = access_record(
        actor=citizen_actor(user),
        subject_person_id=person.pk,
        purpose=AccessPurpose.STAFF_REGISTRY_VIEW,
        now=timezone.now(),
    )
    assert written is False
    assert not AccessRecord.objects.exists()


# --- Language ----------------------------------------------------------------------------------


def test_language_switch_works_without_javascript_and_is_remembered_on_the_account(client):
    user = UserFactory()
    sign_in(client, user)
    response = client.post(reverse("portal:language_set"), {"language": "en", "next": "/dashboard/"})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    user.refresh_from_db()
    assert user.preferred_language == "en"
    assert '<html lang="en">' in client.get(reverse("portal:home")).content.decode()


def test_language_switch_refuses_foreign_redirects(client):
    response = client.post(reverse("portal:language_set"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


# --- Health ------------------------------------------------------------------------------------


def test_healthz_answers_without_touching_dependencies(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_redis_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "broker": "ok"}}


def test_readyz_names_the_failing_part(client, settings):
    settings.REDIS_CACHE_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "unavailable"


# --- Security headers --------------------------------------------------------------------------


def test_pages_carry_strict_security_headers(client):
    response = client.get(reverse("portal:home"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(response["X-Request-ID"]) == 32


def test_a_well_formed_request_id_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
