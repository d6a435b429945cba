"""Every change of a contribution rate is kept with who made it, whatever the path (admin form,
bulk update), and staff read the history in the back office."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from contributions.models import ContributionRate, ContributionRateEvent
from tests.helpers import sign_in
from tests.identity.factories import UserFactory, with_totp

pytestmark = pytest.mark.django_db


def _rate():
    return ContributionRate.objects.create(
        branch="pension",
        worker_category="employee",
        employee_rate=Decimal("0.06900"),
        employer_rate=Decimal("0.08550"),
        monthly_ceiling=Decimal("4005.00"),
        valid_from=datetime.date(2027, 1, 1),
    )


def test_a_change_in_the_back_office_is_recorded_with_its_author_and_listed(client):
    rate = _rate()
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True, email="rates.officer@example.org"))
    sign_in(client, staff, mfa=True)

    response = client.post(
        reverse("admin:contributions_contributionrate_change", args=[rate.pk]),
        {
            "branch": "pension",
            "worker_category": "employee",
            "employee_rate": "0.07000",
            "employer_rate": "0.08550",
            "monthly_ceiling": "4005.00",
            "valid_from": "2027-01-01",
            "valid_until": "",
        },
    )

    assert response.status_code == 302
    events = list(ContributionRateEvent.objects.filter(pgh_obj_id=rate.pk).order_by("pgh_id"))
    assert [(e.pgh_label, e.employee_rate) for e in events] == [
        ("insert", Decimal("0.06900")),
        ("update", Decimal("0.07000")),
    ]
    assert events[1].pgh_context.metadata["user"] == staff.pk
    listing = client.get(
        reverse("admin:contributions_contributionrateevent_changelist"), headers={"Accept-Language": "en"}
    )
    assert listing.status_code == 200
    assert "rates.officer@example.org" in listing.content.decode()
    assert client.get(reverse("admin:contributions_contributionrateevent_add")).status_code == 403


def test_a_bulk_update_and_a_deletion_are_recorded_too():
    rate = _rate()
    ContributionRate.objects.filter(pk=rate.pk).update(employer_rate=Decimal("0.09000"))
    ContributionRate.objects.filter(pk=rate.pk).delete()

    assert list(
        ContributionRateEvent.objects.filter(pgh_obj_id=rate.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "employer_rate")
    ) == [("insert", Decimal("0.08550")), ("update", Decimal("0.09000")), ("delete", Decimal("0.09000"))]
