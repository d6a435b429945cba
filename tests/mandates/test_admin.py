"""Back office of the mandates: staff keep the register of accredited professionals; mandates
and enterprise mandates are shown, never changed, there."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AccessRecord
from core.types import AccessPurpose
from mandates.models import AccreditedProfessional, EnterpriseMandate, Mandate, ProfessionalKind
from mandates.types import MandateStatus
from tests.helpers import sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 2)


@pytest.fixture
def staff():
    return with_totp(UserFactory(is_staff=True, is_superuser=True))


def _professional(**overrides: object) -> AccreditedProfessional:
    values: dict[str, object] = {
        "person": PersonFactory(),
        "kind": ProfessionalKind.SOCIAL_WORKER,
        "accreditation_number": "SW-0001",
        "organisation": "CPAS de Bruxelles",
        "valid_from": TODAY,
        "valid_until": TODAY.replace(year=TODAY.year + 3),
    }
    values.update(overrides)
    return AccreditedProfessional.objects.create(**values)


def _mandate() -> Mandate:
    return Mandate.objects.create(
        principal=PersonFactory(last_name="Peeters"),
        proxy=PersonFactory(last_name="Janssens"),
        scopes=["view_file"],
        starts_on=TODAY,
        ends_on=TODAY.replace(year=TODAY.year + 1),
        status=MandateStatus.ACTIVE,
        created_at=timezone.now(),
        created_by=UserFactory(),
    )


def _professional_form(person_id: int, number: str = " sw-0042 ") -> dict[str, object]:
    return {
        "person": person_id,
        "kind": ProfessionalKind.PAYROLL_BUREAU,
        "accreditation_number": number,
        "organisation": "Secrétariat Social Alpha",
        "valid_from": "2026-01-01",
        "valid_until": "2028-12-31",
    }


# --- The register of accredited professionals -------------------------------------------------


def test_staff_with_a_second_factor_add_an_accredited_professional(client, staff):
    person = PersonFactory()
    sign_in(client, staff, mfa=True)

    response = client.post(
        reverse("admin:mandates_accreditedprofessional_add"), _professional_form(person.pk, " sw-0042 ")
    )

    assert response.status_code == 302
    professional = AccreditedProfessional.objects.get()
    assert (
        professional.person_id,
        professional.kind,
        professional.accreditation_number,
        professional.organisation,
        professional.valid_from,
        professional.valid_until,
    ) == (
        person.pk,
        ProfessionalKind.PAYROLL_BUREAU,
        "SW-0042",
        "Secrétariat Social Alpha",
        datetime.date(2026, 1, 1),
        datetime.date(2028, 12, 31),
    )


def test_staff_without_a_second_factor_in_session_cannot_add_to_the_register(client, staff):
    person = PersonFactory()
    sign_in(client, staff, mfa=False)

    response = client.post(reverse("admin:mandates_accreditedprofessional_add"), _professional_form(person.pk))

    assert response.status_code == 302
    assert not response["Location"].startswith(reverse("admin:mandates_accreditedprofessional_changelist"))
    assert not AccreditedProfessional.objects.exists()


def test_an_accreditation_ending_before_it_starts_is_refused(client, staff):
    sign_in(client, staff, mfa=True)
    data = _professional_form(PersonFactory().pk)
    data["valid_until"] = "2025-12-31"

    response = client.post(reverse("admin:mandates_accreditedprofessional_add"), data)

    assert response.status_code == 200
    assert not AccreditedProfessional.objects.exists()


def test_register_lists_filters_and_searches_by_number(client, staff):
    _professional(accreditation_number="SW-0001", kind=ProfessionalKind.SOCIAL_WORKER)
    _professional(accreditation_number="LW-0002", kind=ProfessionalKind.LAWYER)
    sign_in(client, staff, mfa=True)
    changelist = reverse("admin:mandates_accreditedprofessional_changelist")

    listing = client.get(changelist)
    lawyers = client.get(changelist + "?kind__exact=lawyer")
    found = client.get(changelist + "?q=sw-0001")

    assert [p.accreditation_number for p in listing.context["cl"].result_list] == ["LW-0002", "SW-0001"]
    assert [p.accreditation_number for p in lawyers.context["cl"].result_list] == ["LW-0002"]
    assert [p.accreditation_number for p in found.context["cl"].result_list] == ["SW-0001"]


def test_the_person_and_number_of_an_accreditation_cannot_be_changed_and_it_is_never_deleted(client, staff):
    professional = _professional()
    original_person_id = professional.person_id
    sign_in(client, staff, mfa=True)
    data = _professional_form(PersonFactory().pk, "XX-9999")
    data["organisation"] = "Nouvelle organisation"

    response = client.post(reverse("admin:mandates_accreditedprofessional_change", args=[professional.pk]), data)
    delete = client.post(
        reverse("admin:mandates_accreditedprofessional_delete", args=[professional.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    professional.refresh_from_db()
    assert (professional.person_id, professional.accreditation_number, professional.organisation) == (
        original_person_id,
        "SW-0001",
        "Nouvelle organisation",
    )
    assert delete.status_code == 403
    assert AccreditedProfessional.objects.filter(pk=professional.pk).exists()


# --- Mandates: seen, never changed ------------------------------------------------------------


def test_mandate_admin_has_no_add_page(client, staff):
    sign_in(client, staff, mfa=True)

    assert client.get(reverse("admin:mandates_mandate_add")).status_code == 403
    assert client.post(reverse("admin:mandates_mandate_add"), {}).status_code == 403
    assert not Mandate.objects.exists()


def test_mandate_admin_shows_a_mandate_but_refuses_changes_and_deletion(client, staff):
    mandate = _mandate()
    sign_in(client, staff, mfa=True)

    page = client.get(reverse("admin:mandates_mandate_change", args=[mandate.pk]))
    change = client.post(reverse("admin:mandates_mandate_change", args=[mandate.pk]), {"status": MandateStatus.REVOKED})
    delete = client.post(reverse("admin:mandates_mandate_delete", args=[mandate.pk]), {"post": "yes"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert change.status_code == 403
    assert delete.status_code == 403
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.ACTIVE


def test_mandate_admin_lists_and_filters_mandates_and_records_the_read_of_both_parties(client, staff):
    active = _mandate()
    revoked = _mandate()
    Mandate.objects.filter(pk=revoked.pk).update(status=MandateStatus.REVOKED)
    sign_in(client, staff, mfa=True)
    changelist = reverse("admin:mandates_mandate_changelist")

    listing = client.get(changelist)
    only_active = client.get(changelist + "?status__exact=active")

    assert listing.status_code == 200
    assert {m.pk for m in listing.context["cl"].result_list} == {active.pk, revoked.pk}
    assert "Peeters" in listing.content.decode()
    assert [m.pk for m in only_active.context["cl"].result_list] == [active.pk]
    recorded = set(
        AccessRecord.objects.filter(actor_user=staff, purpose=AccessPurpose.STAFF_REGISTRY_SEARCH).values_list(
            "subject_person_id", flat=True
        )
    )
    assert {active.principal_id, active.proxy_id, revoked.principal_id, revoked.proxy_id} <= recorded


def test_opening_a_mandate_is_recorded_in_both_parties_trails(client, staff):
    mandate = _mandate()
    sign_in(client, staff, mfa=True)

    client.get(reverse("admin:mandates_mandate_change", args=[mandate.pk]))

    assert sorted(
        AccessRecord.objects.filter(actor_user=staff, purpose=AccessPurpose.STAFF_REGISTRY_VIEW).values_list(
            "subject_person_id", flat=True
        )
    ) == sorted([mandate.principal_id, mandate.proxy_id])


# --- Enterprise mandates: seen, never changed -------------------------------------------------


def test_enterprise_mandate_admin_lists_but_has_no_add_change_or_delete(client, staff):
    employer = EnterpriseFactory(name="Boulangerie Dupont")
    mandate = EnterpriseMandate.objects.create(
        principal=employer,
        bureau=EnterpriseFactory(name="Secrétariat Social Alpha"),
        scopes=["declare"],
        starts_on=TODAY,
        created_at=timezone.now(),
        created_by=UserFactory(),
    )
    sign_in(client, staff, mfa=True)

    listing = client.get(reverse("admin:mandates_enterprisemandate_changelist"))
    add = client.get(reverse("admin:mandates_enterprisemandate_add"))
    change = client.post(reverse("admin:mandates_enterprisemandate_change", args=[mandate.pk]), {"scopes": "pay"})
    delete = client.post(reverse("admin:mandates_enterprisemandate_delete", args=[mandate.pk]), {"post": "yes"})

    assert listing.status_code == 200
    assert [m.pk for m in listing.context["cl"].result_list] == [mandate.pk]
    assert "Boulangerie Dupont" in listing.content.decode()
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    mandate.refresh_from_db()
    assert mandate.scopes == ["declare"]
