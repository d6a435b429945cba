"""The back office's read-recording admin: every page that shows a person is in their trail."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AccessRecord
from core.types import AccessPurpose
from mandates.models import Mandate
from mandates.types import MandateStatus
from tests.helpers import sign_in
from tests.identity.factories import PersonFactory, UserFactory, with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = with_totp(UserFactory(is_staff=True, is_superuser=True))
    sign_in(client, user, mfa=True)
    return user


def _trail(person):
    return list(
        AccessRecord.objects.filter(subject_person=person)
        .order_by("id")
        .values_list("actor_user_id", "purpose", "detail")
    )


@pytest.mark.parametrize(
    ("page", "detail"),
    [
        ("admin:identity_person_change", ""),
        ("admin:identity_person_history", "history"),
        ("admin:identity_person_delete", "deletion"),
    ],
)
def test_each_page_of_one_person_is_a_recorded_read(client, staff, page, detail):
    person = PersonFactory()

    response = client.get(reverse(page, args=[person.pk]))

    assert response.status_code == 200
    assert _trail(person) == [(staff.pk, AccessPurpose.STAFF_REGISTRY_VIEW, detail)]


def test_a_page_that_shows_nobody_records_nothing(client, staff):
    person = PersonFactory()

    response = client.get(reverse("admin:identity_person_change", args=[person.pk + 1000]))

    assert response.status_code == 302  # the admin sends an unknown id back to the list
    assert AccessRecord.objects.count() == 0


def test_a_mandate_page_is_a_read_of_both_parties(client, staff):
    principal, proxy = PersonFactory(), PersonFactory()
    today = timezone.localdate()
    mandate = Mandate.objects.create(
        principal=principal,
        proxy=proxy,
        scopes=["view_file"],
        starts_on=today,
        ends_on=today + datetime.timedelta(days=365),
        status=MandateStatus.ACTIVE,
        created_at=timezone.now(),
        created_by=UserFactory(),
    )

    assert client.get(reverse("admin:mandates_mandate_history", args=[mandate.pk])).status_code == 200

    assert _trail(principal) == [(staff.pk, AccessPurpose.STAFF_REGISTRY_VIEW, "history")]
    assert _trail(proxy) == [(staff.pk, AccessPurpose.STAFF_REGISTRY_VIEW, "history")]


def test_a_counter_reason_stays_in_the_file_of_the_person_served(client):
    from django.contrib.auth.models import Group

    from core.actor import ASSISTED_SESSION_KEY

    clerk = with_totp(UserFactory(is_staff=True))
    clerk.groups.set([Group.objects.get(name="Registry clerk")])
    served, other = PersonFactory(), PersonFactory()
    sign_in(client, clerk, mfa=True)
    client.post(reverse("portal:assisted_start", args=[served.pk]), {"reason": "pension question"})
    assert client.session[ASSISTED_SESSION_KEY]["person_id"] == served.pk

    client.get(reverse("admin:identity_person_change", args=[other.pk]))

    assert _trail(other) == [(clerk.pk, AccessPurpose.STAFF_REGISTRY_VIEW, "")]
    assert [detail for _who, _purpose, detail in _trail(served)] == ["pension question"]


def test_one_line_per_reader_purpose_and_detail_within_the_window(client, staff):
    import time_machine

    person = PersonFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            client.get(reverse("admin:identity_person_change", args=[person.pk]))
        client.get(reverse("admin:identity_person_changelist"))
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        client.get(reverse("admin:identity_person_change", args=[person.pk]))

    assert _trail(person) == [
        (staff.pk, AccessPurpose.STAFF_REGISTRY_VIEW, ""),
        (staff.pk, AccessPurpose.STAFF_REGISTRY_SEARCH, ""),
        (staff.pk, AccessPurpose.STAFF_REGISTRY_VIEW, ""),
    ]
