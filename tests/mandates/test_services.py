import datetime

import pytest

from core.actor import LevelOfAssurance
from mandates import selectors, services
from mandates.models import AccreditedProfessional, EnterpriseMandate, Mandate
from mandates.types import MandateError, MandateStatus, Scope
from notifications.models import Notification
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()
IN_A_YEAR = TODAY.replace(year=TODAY.year + 1)


@pytest.fixture
def family():
    pensioner = UserFactory(person=PersonFactory(last_name="Peeters"))
    daughter = UserFactory(person=PersonFactory(last_name="Van den Berg"))
    return {
        "principal": pensioner,
        "proxy": daughter,
        "principal_actor": citizen_actor(pensioner, level=LevelOfAssurance.SUBSTANTIAL),
        "proxy_actor": citizen_actor(daughter),
    }


def _grant(family, scopes=(Scope.VIEW_FILE,), ends_on=IN_A_YEAR, last_name="van den berg"):
    return services.mandate_grant(
        actor=family["principal_actor"],
        proxy_national_number=family["proxy"].person.national_number,
        proxy_last_name=last_name,
        scopes=list(scopes),
        starts_on=TODAY,
        ends_on=ends_on,
        now=NOW,
    )


def _in_force(family, scope=Scope.VIEW_FILE, on=TODAY):
    return selectors.mandate_in_force(
        proxy_person_id=family["proxy"].person_id,
        principal_person_id=family["principal"].person_id,
        scope=scope,
        on=on,
    )


def test_a_granted_mandate_waits_for_acceptance_then_allows_only_its_scopes(family):
    mandate_id = _grant(family)

    assert _in_force(family) is None
    offered = Notification.objects.get(recipient=family["proxy"])
    assert (offered.event_type, offered.context["scopes"]) == ("mandate_offered", ["view_file"])

    services.mandate_accept(actor=family["proxy_actor"], mandate_id=mandate_id, now=NOW)

    assert _in_force(family).id == mandate_id
    assert _in_force(family, scope=Scope.MANAGE_PAYMENT_DETAILS) is None
    assert _in_force(family, on=IN_A_YEAR + datetime.timedelta(days=1)) is None
    assert Notification.objects.filter(recipient=family["principal"], event_type="mandate_accepted").count() == 1


def test_the_proxy_name_must_match_the_registry(family):
    with pytest.raises(MandateError) as error:
        _grant(family, last_name="Dupont")
    assert error.value.code == "proxy_unknown"
    assert not Mandate.objects.exists()


def test_granting_needs_a_second_factor(family):
    family["principal_actor"] = citizen_actor(family["principal"], level=LevelOfAssurance.LOW)
    with pytest.raises(MandateError) as error:
        _grant(family)
    assert error.value.code == "level_too_low"
    assert not Mandate.objects.exists()


@pytest.mark.parametrize(
    ("scopes", "starts_on", "ends_on", "code"),
    [
        ([], TODAY, IN_A_YEAR, "scopes"),
        (["everything"], TODAY, IN_A_YEAR, "scopes"),
        ([Scope.VIEW_FILE], TODAY - datetime.timedelta(days=1), IN_A_YEAR, "starts_in_past"),
        ([Scope.VIEW_FILE], TODAY, TODAY - datetime.timedelta(days=1), "ends_before_start"),
        ([Scope.VIEW_FILE], TODAY, TODAY.replace(year=TODAY.year + 5) + datetime.timedelta(days=1), "too_long"),
    ],
)
def test_bad_terms_are_refused_and_store_nothing(family, scopes, starts_on, ends_on, code):
    with pytest.raises(MandateError) as error:
        services.mandate_grant(
            actor=family["principal_actor"],
            proxy_national_number=family["proxy"].person.national_number,
            proxy_last_name="Van den Berg",
            scopes=scopes,
            starts_on=starts_on,
            ends_on=ends_on,
            now=NOW,
        )
    assert error.value.code == code
    assert not Mandate.objects.exists()


def test_a_second_open_mandate_for_the_same_pair_is_refused(family):
    _grant(family)
    with pytest.raises(MandateError) as error:
        _grant(family)
    assert error.value.code == "already_open"
    assert Mandate.objects.count() == 1


def test_either_side_revokes_at_once(family):
    first = _grant(family)
    services.mandate_accept(actor=family["proxy_actor"], mandate_id=first, now=NOW)
    services.mandate_revoke(actor=family["proxy_actor"], mandate_id=first, now=NOW)
    assert _in_force(family) is None
    assert Notification.objects.filter(recipient=family["principal"], event_type="mandate_revoked").count() == 1

    second = _grant(family)
    services.mandate_accept(actor=family["proxy_actor"], mandate_id=second, now=NOW)
    services.mandate_revoke(actor=family["principal_actor"], mandate_id=second, now=NOW)
    assert _in_force(family) is None
    assert list(Mandate.objects.order_by("pk").values_list("status", flat=True)) == ["revoked", "revoked"]


def test_a_stranger_cannot_touch_a_mandate(family):
    mandate_id = _grant(family)
    stranger = citizen_actor(UserFactory(person=PersonFactory()), level=LevelOfAssurance.SUBSTANTIAL)
    for action in (services.mandate_accept, services.mandate_revoke, services.mandate_decline):
        with pytest.raises(selectors.NotFound):
            action(actor=stranger, mandate_id=mandate_id, now=NOW)
    with pytest.raises(selectors.NotFound):
        services.mandate_accept(actor=family["proxy_actor"], mandate_id=999_999, now=NOW)
    assert Mandate.objects.get().status == MandateStatus.PENDING


def test_the_principal_cannot_accept_in_the_proxys_place(family):
    mandate_id = _grant(family)
    with pytest.raises(MandateError):
        services.mandate_accept(actor=family["principal_actor"], mandate_id=mandate_id, now=NOW)
    assert Mandate.objects.get().status == MandateStatus.PENDING


def test_a_proxy_requests_and_the_principal_approves_or_declines(family):
    asker = citizen_actor(family["proxy"], level=LevelOfAssurance.SUBSTANTIAL)
    request_id = services.mandate_request(
        actor=asker,
        principal_national_number=family["principal"].person.national_number,
        principal_last_name="PEETERS",
        scopes=[Scope.VIEW_FILE, Scope.MANAGE_CLAIMS],
        starts_on=TODAY,
        ends_on=IN_A_YEAR,
        now=NOW,
    )
    assert Notification.objects.get(recipient=family["principal"]).event_type == "mandate_requested"
    with pytest.raises(MandateError):
        services.mandate_approve(actor=family["proxy_actor"], mandate_id=request_id, now=NOW)

    services.mandate_approve(actor=family["principal_actor"], mandate_id=request_id, now=NOW)

    assert _in_force(family, scope=Scope.MANAGE_CLAIMS).id == request_id
    services.mandate_revoke(actor=family["principal_actor"], mandate_id=request_id, now=NOW)
    declined = services.mandate_request(
        actor=asker,
        principal_national_number=family["principal"].person.national_number,
        principal_last_name="Peeters",
        scopes=[Scope.VIEW_FILE],
        starts_on=TODAY,
        ends_on=IN_A_YEAR,
        now=NOW,
    )
    services.mandate_decline(actor=family["principal_actor"], mandate_id=declined, now=NOW)
    assert Mandate.objects.get(pk=declined).status == MandateStatus.DECLINED


def test_changing_scopes_makes_a_new_version_and_ends_the_old_one(family):
    first = _grant(family, scopes=[Scope.VIEW_FILE, Scope.MANAGE_PAYMENT_DETAILS])
    services.mandate_accept(actor=family["proxy_actor"], mandate_id=first, now=NOW)

    second = services.mandate_change(
        actor=family["principal_actor"], mandate_id=first, scopes=[Scope.VIEW_FILE], ends_on=IN_A_YEAR, now=NOW
    )

    old, new = Mandate.objects.get(pk=first), Mandate.objects.get(pk=second)
    assert (old.status, new.status, new.previous_id) == ("superseded", "active", first)
    assert _in_force(family).id == second
    assert _in_force(family, scope=Scope.MANAGE_PAYMENT_DETAILS) is None


def test_death_of_the_principal_ends_the_mandate_at_once_and_at_night(family):
    mandate_id = _grant(family)
    services.mandate_accept(actor=family["proxy_actor"], mandate_id=mandate_id, now=NOW)
    person = family["principal"].person
    person.death_date = TODAY
    person.save()

    assert _in_force(family) is None  # even before the nightly job
    counts = services.mandates_maintain(now=NOW)
    again = services.mandates_maintain(now=NOW)

    assert counts["ended_by_death"] == 1 and again["ended_by_death"] == 0
    assert Mandate.objects.get().status == MandateStatus.ENDED_BY_DEATH
    ended = Notification.objects.get(recipient=family["proxy"], event_type="mandate_ended")
    assert ended.context["reason"] == "death"


def test_mandates_expire_after_their_end_and_both_sides_are_reminded_once(family):
    ends_on = TODAY + datetime.timedelta(days=20)
    mandate_id = _grant(family, ends_on=ends_on)
    services.mandate_accept(actor=family["proxy_actor"], mandate_id=mandate_id, now=NOW)

    first = services.mandates_maintain(now=NOW)
    second = services.mandates_maintain(now=NOW)
    week_before = services.mandates_maintain(now=NOW + datetime.timedelta(days=14))
    after_end = services.mandates_maintain(now=NOW + datetime.timedelta(days=21))

    assert (first["reminded"], second["reminded"], week_before["reminded"]) == (1, 0, 1)
    assert after_end["expired"] == 1
    assert Mandate.objects.get().status == MandateStatus.EXPIRED
    assert Notification.objects.filter(event_type="mandate_ending").count() == 4
    assert Notification.objects.filter(event_type="mandate_ended").count() == 2


def test_an_accredited_professional_acts_only_while_accredited(family):
    social_worker = UserFactory(person=PersonFactory())
    AccreditedProfessional.objects.create(
        person=social_worker.person,
        kind="social_worker",
        accreditation_number="SW-0042",
        valid_from=TODAY - datetime.timedelta(days=30),
        valid_until=TODAY + datetime.timedelta(days=90),
    )
    with pytest.raises(MandateError) as error:
        services.mandate_grant_professional(
            actor=family["principal_actor"],
            accreditation_number="sw-0042",
            scopes=[Scope.VIEW_FILE],
            starts_on=TODAY,
            ends_on=IN_A_YEAR,
            now=NOW,
        )
    assert error.value.code == "beyond_accreditation"

    mandate_id = services.mandate_grant_professional(
        actor=family["principal_actor"],
        accreditation_number="sw-0042",
        scopes=[Scope.VIEW_FILE],
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=60),
        now=NOW,
    )
    services.mandate_accept(actor=citizen_actor(social_worker), mandate_id=mandate_id, now=NOW)
    summary = selectors.mandate_in_force(
        proxy_person_id=social_worker.person_id,
        principal_person_id=family["principal"].person_id,
        scope=Scope.VIEW_FILE,
        on=TODAY,
    )
    assert summary is not None and summary.professional_label.startswith("SW-0042")
    AccreditedProfessional.objects.update(valid_until=TODAY - datetime.timedelta(days=1))
    assert (
        selectors.mandate_in_force(
            proxy_person_id=social_worker.person_id,
            principal_person_id=family["principal"].person_id,
            scope=Scope.VIEW_FILE,
            on=TODAY,
        )
        is None
    )


def test_an_enterprise_mandates_a_bureau_which_then_files_for_it():
    employer, bureau = EnterpriseFactory(), EnterpriseFactory()
    admin = UserFactory()
    representation(admin, employer)
    actor = citizen_actor(admin, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({employer.pk}))

    mandate_id = services.enterprise_mandate_grant(
        actor=actor,
        enterprise_id=employer.pk,
        bureau_enterprise_number=bureau.enterprise_number,
        scopes=["declare"],
        starts_on=TODAY,
        now=NOW,
    )

    assert selectors.enterprises_for_bureau(
        bureau_enterprise_ids=frozenset({bureau.pk}), scope="declare", on=TODAY
    ) == [employer.pk]
    assert selectors.enterprises_for_bureau(bureau_enterprise_ids=frozenset({bureau.pk}), scope="pay", on=TODAY) == []
    bureau_admin = UserFactory()
    representation(bureau_admin, bureau)
    services.enterprise_mandate_revoke(
        actor=citizen_actor(bureau_admin, enterprise_ids=frozenset({bureau.pk})),
        enterprise_mandate_id=mandate_id,
        now=NOW,
    )
    assert (
        selectors.enterprises_for_bureau(bureau_enterprise_ids=frozenset({bureau.pk}), scope="declare", on=TODAY) == []
    )
    assert EnterpriseMandate.objects.get().revoked_by_id == bureau_admin.pk


def test_only_an_administrator_of_the_enterprise_gives_a_bureau_mandate():
    employer, bureau = EnterpriseFactory(), EnterpriseFactory()
    declarant, outsider = UserFactory(), UserFactory()
    representation(declarant, employer, "declarant")
    with pytest.raises(MandateError):
        services.enterprise_mandate_grant(
            actor=citizen_actor(declarant, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({employer.pk})),
            enterprise_id=employer.pk,
            bureau_enterprise_number=bureau.enterprise_number,
            scopes=["declare"],
            starts_on=TODAY,
            now=NOW,
        )
    with pytest.raises(selectors.NotFound):
        services.enterprise_mandate_grant(
            actor=citizen_actor(outsider, level=LevelOfAssurance.SUBSTANTIAL),
            enterprise_id=employer.pk,
            bureau_enterprise_number=bureau.enterprise_number,
            scopes=["declare"],
            starts_on=TODAY,
            now=NOW,
        )
    assert not EnterpriseMandate.objects.exists()


def test_a_proxy_withdraws_a_request_the_principal_cannot_revoke_it(family):
    asker = citizen_actor(family["proxy"], level=LevelOfAssurance.SUBSTANTIAL)
    request_id = services.mandate_request(
        actor=asker,
        principal_national_number=family["principal"].person.national_number,
        principal_last_name="Peeters",
        scopes=[Scope.VIEW_FILE],
        starts_on=TODAY,
        ends_on=IN_A_YEAR,
        now=NOW,
    )
    with pytest.raises(MandateError):
        services.mandate_revoke(actor=family["principal_actor"], mandate_id=request_id, now=NOW)
    services.mandate_revoke(actor=asker, mandate_id=request_id, now=NOW)
    assert Mandate.objects.get().status == MandateStatus.REVOKED


def test_an_offer_left_unanswered_past_its_end_expires_and_cannot_be_accepted(family):
    mandate_id = _grant(family, ends_on=TODAY + datetime.timedelta(days=3))
    later = NOW + datetime.timedelta(days=5)
    with pytest.raises(MandateError):
        services.mandate_accept(actor=family["proxy_actor"], mandate_id=mandate_id, now=later)

    assert services.mandates_maintain(now=later)["expired"] == 1
    assert Mandate.objects.get().status == MandateStatus.EXPIRED
    assert not Notification.objects.filter(event_type="mandate_ended").exists()
    _grant(family)  # the pair is free again


def test_a_mandate_ending_within_a_week_gets_one_reminder_not_two(family):
    mandate_id = _grant(family, ends_on=TODAY + datetime.timedelta(days=5))
    services.mandate_accept(actor=family["proxy_actor"], mandate_id=mandate_id, now=NOW)

    assert services.mandates_maintain(now=NOW)["reminded"] == 1
    assert services.mandates_maintain(now=NOW + datetime.timedelta(days=1))["reminded"] == 0
    assert Notification.objects.filter(event_type="mandate_ending").count() == 2


def test_a_change_is_told_to_the_proxy_and_stays_within_the_accreditation(family):
    social_worker = UserFactory(person=PersonFactory())
    AccreditedProfessional.objects.create(
        person=social_worker.person,
        kind="social_worker",
        accreditation_number="SW-7",
        valid_from=TODAY - datetime.timedelta(days=1),
        valid_until=TODAY + datetime.timedelta(days=60),
    )
    mandate_id = services.mandate_grant_professional(
        actor=family["principal_actor"],
        accreditation_number="SW-7",
        scopes=[Scope.VIEW_FILE],
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=30),
        now=NOW,
    )
    services.mandate_accept(actor=citizen_actor(social_worker), mandate_id=mandate_id, now=NOW)

    with pytest.raises(MandateError) as error:
        services.mandate_change(
            actor=family["principal_actor"],
            mandate_id=mandate_id,
            scopes=[Scope.VIEW_FILE],
            ends_on=TODAY + datetime.timedelta(days=90),
            now=NOW,
        )
    assert error.value.code == "beyond_accreditation"
    services.mandate_change(
        actor=family["principal_actor"],
        mandate_id=mandate_id,
        scopes=[Scope.VIEW_FILE, Scope.MANAGE_CLAIMS],
        ends_on=TODAY + datetime.timedelta(days=45),
        now=NOW,
    )
    changed = Notification.objects.get(recipient=social_worker, event_type="mandate_changed")
    assert changed.context["scopes"] == ["view_file", "manage_claims"]


def test_a_notice_reaches_the_person_and_the_proxies_whose_scope_covers_it(family):
    from django.urls import reverse

    from notifications.services import notify
    from tests.helpers import sign_in

    mandate_id = _grant(family, scopes=[Scope.VIEW_FILE, Scope.MANAGE_CLAIMS])
    services.mandate_accept(actor=family["proxy_actor"], mandate_id=mandate_id, now=NOW)
    payment_only = UserFactory(person=PersonFactory(last_name="Payer"))
    other = services.mandate_grant(
        actor=family["principal_actor"],
        proxy_national_number=payment_only.person.national_number,
        proxy_last_name="Payer",
        scopes=[Scope.MANAGE_PAYMENT_DETAILS],
        starts_on=TODAY,
        ends_on=IN_A_YEAR,
        now=NOW,
    )
    services.mandate_accept(actor=citizen_actor(payment_only), mandate_id=other, now=NOW)

    recipients = selectors.recipients_with_proxies(
        person_id=family["principal"].person_id, scope=Scope.MANAGE_CLAIMS, on=TODAY
    )

    assert [(r.user_id, r.on_behalf_of_person_id) for r in recipients] == [
        (family["principal"].pk, None),
        (family["proxy"].pk, family["principal"].person_id),
    ]
    notify(recipients=recipients, event="service_notice", context={"title_en": "T", "body_en": "B"}, now=NOW)
    copy = Notification.objects.get(recipient=family["proxy"], event_type="service_notice")
    from django.test import Client

    client = sign_in(Client(HTTP_ACCEPT_LANGUAGE="en"), family["proxy"])
    page = client.get(reverse("notifications:message", args=[copy.pk])).content.decode()
    full_name = family["principal"].person.first_name + " " + family["principal"].person.last_name
    assert f"This message concerns the file of {full_name}, for whom you hold a mandate." in page
