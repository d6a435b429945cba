import datetime

import pytest
from django.utils import timezone

from core.actor import LevelOfAssurance
from core.errors import NotFound
from core.models import AccessRecord
from core.types import AccessPurpose
from identity import services
from identity.models import ActivationCode, Representation, User
from identity.types import ActivationRefused, EnterpriseRole, RoleRefused
from tests.helpers import citizen_actor, staff_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)


def _issue(person):
    staff = UserFactory(is_staff=True)
    return services.activation_code_issue(actor=staff_actor(staff), person_id=person.pk, now=NOW), staff


def test_issued_code_links_the_account_once_and_is_recorded_in_the_trail():
    person = PersonFactory()
    code, staff = _issue(person)
    user = UserFactory()

    linked = services.account_link_person(
        user_id=user.pk, national_number=person.national_number, code=code.lower(), now=NOW
    )

    assert linked.id == person.pk
    user.refresh_from_db()
    assert user.person_id == person.pk
    stored = ActivationCode.objects.get(person=person)
    assert stored.used_at == NOW and stored.used_by_id == user.pk
    assert code.replace("-", "") not in stored.digest
    assert list(AccessRecord.objects.values_list("actor_user_id", "subject_person_id", "purpose")) == [
        (staff.pk, person.pk, AccessPurpose.STAFF_ACTIVATION_CODE)
    ]


def test_a_used_code_cannot_link_a_second_account():
    person = PersonFactory()
    code, _staff = _issue(person)
    services.account_link_person(user_id=UserFactory().pk, national_number=person.national_number, code=code, now=NOW)
    other = UserFactory()

    with pytest.raises(ActivationRefused) as error:
        services.account_link_person(user_id=other.pk, national_number=person.national_number, code=code, now=NOW)

    assert error.value.code == "activation_refused"
    other.refresh_from_db()
    assert other.person_id is None


def test_expired_code_is_refused_and_changes_nothing():
    person = PersonFactory()
    code, _staff = _issue(person)
    user = UserFactory()

    with pytest.raises(ActivationRefused):
        services.account_link_person(
            user_id=user.pk, national_number=person.national_number, code=code, now=NOW + datetime.timedelta(days=31)
        )

    user.refresh_from_db()
    assert user.person_id is None
    assert ActivationCode.objects.get().used_at is None


def test_new_code_voids_the_previous_one():
    person = PersonFactory()
    first, _staff = _issue(person)
    second, _staff = _issue(person)
    user = UserFactory()

    with pytest.raises(ActivationRefused):
        services.account_link_person(user_id=user.pk, national_number=person.national_number, code=first, now=NOW)
    linked = services.account_link_person(user_id=user.pk, national_number=person.national_number, code=second, now=NOW)

    assert linked.id == person.pk


def test_wrong_codes_are_counted_but_never_cancel_the_persons_letter(settings):
    settings.ACTIVATION_CODE_MAX_ATTEMPTS = 3
    person = PersonFactory()
    code, _staff = _issue(person)
    attackers = [UserFactory() for _ in range(3)]

    for attacker in attackers:
        for _attempt in range(3):
            with pytest.raises(ActivationRefused):
                services.account_link_person(
                    user_id=attacker.pk, national_number=person.national_number, code="AAAA-BBBB-CCCC", now=NOW
                )

    stored = ActivationCode.objects.get()
    assert stored.failed_attempts == 9
    assert stored.voided_at is None
    owner = UserFactory()
    assert (
        services.account_link_person(user_id=owner.pk, national_number=person.national_number, code=code, now=NOW).id
        == person.pk
    )


def test_an_account_is_blocked_after_too_many_wrong_attempts(settings):
    settings.ACTIVATION_CODE_MAX_ATTEMPTS = 2
    person = PersonFactory()
    code, _staff = _issue(person)
    user = UserFactory()
    other_person = PersonFactory()

    for _attempt in range(2):
        with pytest.raises(ActivationRefused):
            services.account_link_person(
                user_id=user.pk, national_number=other_person.national_number, code="AAAA-BBBB-CCCC", now=NOW
            )
    with pytest.raises(ActivationRefused) as error:
        services.account_link_person(user_id=user.pk, national_number=person.national_number, code=code, now=NOW)

    assert error.value.code == "too_many_attempts"
    user.refresh_from_db()
    assert user.person_id is None


def test_only_staff_issue_codes():
    person = PersonFactory()
    citizen = UserFactory()

    with pytest.raises(NotFound):
        services.activation_code_issue(actor=citizen_actor(citizen), person_id=person.pk, now=NOW)

    assert not ActivationCode.objects.exists()


def test_administrator_at_substantial_level_grants_and_changes_a_role():
    enterprise = EnterpriseFactory()
    admin = UserFactory()
    representation(admin, enterprise)
    colleague = UserFactory(email="Colleague@Example.org")
    actor = citizen_actor(admin, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk}))

    services.representation_grant(
        actor=actor, enterprise_id=enterprise.pk, email="colleague@example.org", role=EnterpriseRole.VIEWER, now=NOW
    )
    services.representation_grant(
        actor=actor, enterprise_id=enterprise.pk, email="colleague@example.org", role=EnterpriseRole.DECLARANT, now=NOW
    )

    active = Representation.objects.get(user=colleague, revoked_at__isnull=True)
    assert active.role == EnterpriseRole.DECLARANT
    assert active.granted_by_id == admin.pk
    assert Representation.objects.filter(user=colleague).count() == 2


def test_administrator_with_password_only_cannot_grant():
    enterprise = EnterpriseFactory()
    admin = UserFactory()
    representation(admin, enterprise)
    UserFactory(email="colleague@example.org")
    actor = citizen_actor(admin, level=LevelOfAssurance.LOW, enterprise_ids=frozenset({enterprise.pk}))

    with pytest.raises(RoleRefused):
        services.representation_grant(
            actor=actor, enterprise_id=enterprise.pk, email="colleague@example.org", role="viewer", now=NOW
        )

    assert Representation.objects.count() == 1


def test_declarant_cannot_grant_and_outsider_gets_not_found():
    enterprise = EnterpriseFactory()
    declarant = UserFactory()
    representation(declarant, enterprise, EnterpriseRole.DECLARANT)
    outsider = UserFactory()
    UserFactory(email="colleague@example.org")

    with pytest.raises(RoleRefused):
        services.representation_grant(
            actor=citizen_actor(
                declarant, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk})
            ),
            enterprise_id=enterprise.pk,
            email="colleague@example.org",
            role="viewer",
            now=NOW,
        )
    with pytest.raises(NotFound):
        services.representation_grant(
            actor=citizen_actor(outsider, level=LevelOfAssurance.SUBSTANTIAL),
            enterprise_id=enterprise.pk,
            email="colleague@example.org",
            role="viewer",
            now=NOW,
        )

    assert Representation.objects.count() == 1


def test_the_last_administrator_cannot_be_removed_or_demoted():
    enterprise = EnterpriseFactory()
    admin = UserFactory()
    only = representation(admin, enterprise)
    actor = citizen_actor(admin, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk}))

    with pytest.raises(RoleRefused) as error:
        services.representation_revoke(actor=actor, enterprise_id=enterprise.pk, representation_id=only.pk, now=NOW)
    assert error.value.code == "last_administrator"
    with pytest.raises(RoleRefused):
        services.representation_grant(
            actor=actor, enterprise_id=enterprise.pk, email=admin.email, role=EnterpriseRole.VIEWER, now=NOW
        )

    only.refresh_from_db()
    assert only.revoked_at is None and only.role == EnterpriseRole.ADMINISTRATOR


def test_granting_to_an_unknown_email_is_refused():
    enterprise = EnterpriseFactory()
    admin = UserFactory()
    representation(admin, enterprise)
    actor = citizen_actor(admin, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk}))

    with pytest.raises(RoleRefused) as error:
        services.representation_grant(
            actor=actor, enterprise_id=enterprise.pk, email="nobody@example.org", role="viewer", now=NOW
        )

    assert error.value.code == "unknown_account"
    assert User.objects.filter(email="nobody@example.org").count() == 0


def test_granting_to_an_unverified_account_is_refused():
    enterprise = EnterpriseFactory()
    admin = UserFactory()
    representation(admin, enterprise)
    unverified = UserFactory(email="unverified@example.org")
    unverified.emailaddress_set.update(verified=False)
    actor = citizen_actor(admin, level=LevelOfAssurance.SUBSTANTIAL, enterprise_ids=frozenset({enterprise.pk}))

    with pytest.raises(RoleRefused) as error:
        services.representation_grant(
            actor=actor, enterprise_id=enterprise.pk, email="unverified@example.org", role="viewer", now=NOW
        )

    assert error.value.code == "unknown_account"
    assert not Representation.objects.filter(user=unverified).exists()


def test_staff_appoint_the_first_administrator_and_keep_the_last_one():
    enterprise = EnterpriseFactory()
    staff = UserFactory(is_staff=True)
    owner = UserFactory()

    representation_id = services.representation_grant_by_staff(
        actor=staff_actor(staff), enterprise_id=enterprise.pk, user_id=owner.pk, role="administrator", now=NOW
    )
    with pytest.raises(RoleRefused):
        services.representation_revoke_by_staff(
            actor=staff_actor(staff), enterprise_id=enterprise.pk, representation_id=representation_id, now=NOW
        )

    assert Representation.objects.get(pk=representation_id).granted_by_id == staff.pk
    assert Representation.objects.get(pk=representation_id).revoked_at is None


def test_citizens_cannot_use_the_staff_path():
    enterprise = EnterpriseFactory()
    citizen = UserFactory()

    with pytest.raises(NotFound):
        services.representation_grant_by_staff(
            actor=citizen_actor(citizen, level=LevelOfAssurance.SUBSTANTIAL),
            enterprise_id=enterprise.pk,
            user_id=citizen.pk,
            role="administrator",
            now=NOW,
        )

    assert not Representation.objects.exists()


def test_purge_drops_only_long_expired_unused_codes():
    person = PersonFactory()
    _issue(person)
    assert services.activation_codes_purge(now=NOW + datetime.timedelta(days=60)) == 0
    assert services.activation_codes_purge(now=NOW + datetime.timedelta(days=121)) == 1
    assert timezone.is_aware(NOW)
