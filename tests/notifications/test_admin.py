import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Delivery, DeliveryStatus
from notifications.selectors import recipients_for_enterprise, recipients_for_person, recipients_for_staff_group
from notifications.services import notify
from notifications.types import Recipient
from tests.helpers import sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation, with_totp

pytestmark = pytest.mark.django_db


def test_staff_filter_failed_deliveries_and_resend_them(client, django_capture_on_commit_callbacks):
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    citizen = UserFactory()
    notify(recipients=[Recipient(citizen.pk)], event="account_linked", context={}, now=timezone.now())
    failed = Delivery.objects.get()
    Delivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED, last_error="SMTP 550")
    sign_in(client, staff, mfa=True)

    listing = client.get(reverse("admin:notifications_delivery_changelist") + "?status__exact=failed")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("admin:notifications_delivery_changelist"),
            {"action": "resend", "_selected_action": [failed.pk]},
        )

    assert listing.status_code == 200
    assert "SMTP 550" in listing.content.decode()
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING
    assert len(callbacks) == 1


def test_a_notification_and_its_attempts_are_visible_to_staff(client):
    staff = with_totp(UserFactory(is_staff=True, is_superuser=True))
    citizen = UserFactory()
    notify(recipients=[Recipient(citizen.pk)], event="account_linked", context={}, now=timezone.now())
    sign_in(client, staff, mfa=True)
    notification_id = Delivery.objects.get().notification_id

    response = client.get(reverse("admin:notifications_notification_change", args=[notification_id]))

    assert response.status_code == 200
    assert citizen.email in response.content.decode()


def test_recipients_for_a_person_an_enterprise_and_a_staff_group():
    from django.contrib.auth.models import Group

    person = PersonFactory()
    account = UserFactory(person=person)
    enterprise = EnterpriseFactory()
    admin, declarant = UserFactory(), UserFactory()
    representation(admin, enterprise, "administrator")
    representation(declarant, enterprise, "declarant")
    clerk = UserFactory(is_staff=True)
    clerk.groups.set([Group.objects.get(name="Registry clerk")])

    assert recipients_for_person(person_id=person.pk) == [Recipient(account.pk)]
    assert recipients_for_person(person_id=PersonFactory().pk) == []
    assert sorted(r.user_id for r in recipients_for_enterprise(enterprise_id=enterprise.pk)) == sorted(
        [admin.pk, declarant.pk]
    )
    assert recipients_for_enterprise(enterprise_id=enterprise.pk, roles=("administrator",)) == [Recipient(admin.pk)]
    assert recipients_for_staff_group(group_name="Registry clerk") == [Recipient(clerk.pk)]
