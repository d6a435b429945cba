"""Every change of a contribution rate is kept with who made it, whatever the path (admin form,
bulk update), and staff read the history in the back office."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from contributions.models import ContributionRate, ContributionRateEvent, LateInterestRate, LateInterestRateEvent
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


# --- Late-payment interest rates: a new rate from a future day, the past left as it was --------


@time_machine.travel(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_finance_adds_a_rate_from_a_future_day_and_cannot_change_a_rate_in_force(client):
    from django.contrib.auth.models import Group

    in_force = LateInterestRate.objects.get()  # the migration's: 7 % from 2000-01-01
    finance = with_totp(UserFactory(is_staff=True, email="finance.officer@example.org"))
    finance.groups.add(Group.objects.get(name="Finance"))
    sign_in(client, finance, mfa=True)
    add = reverse("admin:contributions_lateinterestrate_add")

    for day in ("2026-12-05", "2026-01-01"):
        refused = client.post(add, {"valid_from": day, "yearly_rate": "0.08"}, headers={"Accept-Language": "en"})
        assert refused.status_code == 200
        assert "A new rate applies from a day after today" in refused.content.decode()
    refused = client.post(add, {"valid_from": "2027-01-01", "yearly_rate": "1.5"})
    assert refused.status_code == 200
    assert LateInterestRate.objects.count() == 1

    assert client.post(add, {"valid_from": "2027-01-01", "yearly_rate": "0.08"}).status_code == 302
    added = LateInterestRate.objects.get(valid_from=datetime.date(2027, 1, 1))
    assert added.yearly_rate == Decimal("0.08")
    event = LateInterestRateEvent.objects.get(pgh_obj_id=added.pk)
    assert (event.pgh_label, event.pgh_context.metadata["user"]) == ("insert", finance.pk)

    # The rate in force is read-only; the future one can still be changed.
    change = reverse("admin:contributions_lateinterestrate_change", args=[in_force.pk])
    assert client.post(change, {"valid_from": "2000-01-01", "yearly_rate": "0.01"}).status_code == 403
    assert client.post(reverse("admin:contributions_lateinterestrate_delete", args=[in_force.pk])).status_code == 403
    in_force.refresh_from_db()
    assert in_force.yearly_rate == Decimal("0.07000")
    response = client.post(
        reverse("admin:contributions_lateinterestrate_change", args=[added.pk]),
        {"valid_from": "2027-02-01", "yearly_rate": "0.075"},
    )
    assert response.status_code == 302
    added.refresh_from_db()
    assert (added.valid_from, added.yearly_rate) == (datetime.date(2027, 2, 1), Decimal("0.07500"))
