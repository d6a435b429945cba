import datetime

import pytest
import time_machine
from django.urls import reverse

from core.actor import LevelOfAssurance
from core.errors import NotFound
from core.models import AccessRecord
from core.types import AccessPurpose, Scope
from identity import services
from identity.models import BankAccount
from identity.types import BankAccountRefused
from mandates import services as mandate_services
from notifications.models import Notification
from tests.helpers import citizen_actor, sign_in
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)
GOOD_IBAN = "BE71 0961 2345 6769"
BANK_ACCOUNT = reverse("identity:bank_account")


def test_a_person_records_an_account_with_a_second_factor_and_is_told():
    user = UserFactory(person=PersonFactory())
    actor = citizen_actor(user, level=LevelOfAssurance.SUBSTANTIAL)

    services.bank_account_set(
        actor=actor, person_id=user.person_id, iban=GOOD_IBAN, holder_name=" Marie  Dubois ", now=NOW
    )

    account = BankAccount.objects.get()
    assert (account.iban, account.holder_name, account.created_by_id, account.mandate_id) == (
        "BE71096123456769",
        "Marie Dubois",
        user.pk,
        None,
    )
    notice = Notification.objects.get(recipient=user, event_type="payment_details_changed")
    assert notice.importance == "legal"
    assert notice.deliveries.filter(channel="email").count() == 1


def test_a_change_keeps_the_history_and_a_bad_iban_changes_nothing():
    user = UserFactory(person=PersonFactory())
    actor = citizen_actor(user, level=LevelOfAssurance.SUBSTANTIAL)
    services.bank_account_set(actor=actor, person_id=user.person_id, iban=GOOD_IBAN, holder_name="A", now=NOW)

    with pytest.raises(BankAccountRefused) as error:
        services.bank_account_set(
            actor=actor, person_id=user.person_id, iban="BE71 0961 2345 6768", holder_name="A", now=NOW
        )
    assert error.value.code == "iban_invalid"
    services.bank_account_set(
        actor=actor, person_id=user.person_id, iban="FR1420041010050500013M02606", holder_name="A", now=NOW
    )

    assert list(BankAccount.objects.order_by("pk").values_list("iban", "ended_at")) == [
        ("BE71096123456769", NOW),
        ("FR1420041010050500013M02606", None),
    ]


def test_a_password_only_session_cannot_change_the_account():
    user = UserFactory(person=PersonFactory())
    with pytest.raises(BankAccountRefused) as error:
        services.bank_account_set(
            actor=citizen_actor(user), person_id=user.person_id, iban=GOOD_IBAN, holder_name="A", now=NOW
        )
    assert error.value.code == "level_too_low"
    assert not BankAccount.objects.exists()


def _proxy_of(principal, scopes):
    proxy = UserFactory(person=PersonFactory(last_name="Proxy"))
    mandate_id = mandate_services.mandate_grant(
        actor=citizen_actor(principal, level=LevelOfAssurance.SUBSTANTIAL),
        proxy_national_number=proxy.person.national_number,
        proxy_last_name="Proxy",
        scopes=scopes,
        starts_on=NOW.date(),
        ends_on=NOW.date() + datetime.timedelta(days=30),
        now=NOW,
    )
    mandate_services.mandate_accept(actor=citizen_actor(proxy), mandate_id=mandate_id, now=NOW)
    return proxy, mandate_id


def _acting(proxy, principal, mandate_id, scopes, level=LevelOfAssurance.SUBSTANTIAL):
    from dataclasses import replace

    from core.actor import ActingMode

    return replace(
        citizen_actor(proxy, level=level),
        mode=ActingMode.PROXY,
        subject_person_id=principal.person_id,
        mandate_id=mandate_id,
        scopes=frozenset(scopes),
    )


def test_a_proxy_with_the_payment_scope_changes_it_and_both_names_are_kept():
    principal = UserFactory(person=PersonFactory())
    proxy, mandate_id = _proxy_of(principal, [Scope.VIEW_FILE, Scope.MANAGE_PAYMENT_DETAILS])
    actor = _acting(proxy, principal, mandate_id, [Scope.VIEW_FILE, Scope.MANAGE_PAYMENT_DETAILS])

    services.bank_account_set(actor=actor, person_id=principal.person_id, iban=GOOD_IBAN, holder_name="P", now=NOW)

    account = BankAccount.objects.get()
    assert (account.person_id, account.created_by_id, account.mandate_id) == (principal.person_id, proxy.pk, mandate_id)
    record = AccessRecord.objects.get(purpose=AccessPurpose.BANK_ACCOUNT_CHANGE)
    assert (record.actor_user_id, record.subject_person_id, record.mandate_id) == (
        proxy.pk,
        principal.person_id,
        mandate_id,
    )
    notice = Notification.objects.get(recipient=principal, event_type="payment_details_changed")
    assert notice.context["actor_name"] == proxy.get_full_name()


def test_a_proxy_without_the_payment_scope_or_without_a_second_factor_is_refused():
    principal = UserFactory(person=PersonFactory())
    proxy, mandate_id = _proxy_of(principal, [Scope.VIEW_FILE])
    with pytest.raises(NotFound):
        services.bank_account_set(
            actor=_acting(proxy, principal, mandate_id, [Scope.VIEW_FILE]),
            person_id=principal.person_id,
            iban=GOOD_IBAN,
            holder_name="P",
            now=NOW,
        )
    with pytest.raises(BankAccountRefused):
        services.bank_account_set(
            actor=_acting(proxy, principal, mandate_id, [Scope.MANAGE_PAYMENT_DETAILS], level=LevelOfAssurance.LOW),
            person_id=principal.person_id,
            iban=GOOD_IBAN,
            holder_name="P",
            now=NOW,
        )
    assert not BankAccount.objects.exists()


def test_nobody_changes_another_persons_account_by_naming_it():
    victim = UserFactory(person=PersonFactory())
    attacker = UserFactory(person=PersonFactory())
    with pytest.raises(NotFound):
        services.bank_account_set(
            actor=citizen_actor(attacker, level=LevelOfAssurance.SUBSTANTIAL),
            person_id=victim.person_id,
            iban=GOOD_IBAN,
            holder_name="X",
            now=NOW,
        )
    assert not BankAccount.objects.exists()


def test_bank_account_page_matrix(client):
    assert client.get(BANK_ACCOUNT).status_code == 302
    sign_in(client, UserFactory())
    assert client.get(BANK_ACCOUNT)["Location"] == reverse("identity:link_person")
    owner = UserFactory(person=PersonFactory())
    sign_in(client, owner, mfa=True)
    response = client.post(BANK_ACCOUNT, {"iban": GOOD_IBAN, "holder_name": "Owner"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    page = client.get(BANK_ACCOUNT, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "BE71 0961 2345 6769" in page
    bad = client.post(BANK_ACCOUNT, {"iban": "BE00 0000", "holder_name": "Owner"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "This IBAN is not valid" in bad.content.decode()
    assert BankAccount.objects.filter(ended_at__isnull=True).get().iban == "BE71096123456769"


def test_a_proxy_acting_with_view_only_sees_the_account_but_no_form_and_cannot_post(client):
    from core.actor import ACTING_FOR_SESSION_KEY

    principal = UserFactory(person=PersonFactory())
    services.bank_account_set(
        actor=citizen_actor(principal, level=LevelOfAssurance.SUBSTANTIAL),
        person_id=principal.person_id,
        iban=GOOD_IBAN,
        holder_name="Principal",
        now=NOW,
    )
    proxy, mandate_id = _proxy_of(principal, [Scope.VIEW_FILE])
    # The page checks the mandate against the clock: the same day as the services were told.
    with time_machine.travel(NOW, tick=False):
        sign_in(client, proxy, mfa=True)
        session = client.session
        session[ACTING_FOR_SESSION_KEY] = mandate_id
        session.save()

        page = client.get(BANK_ACCOUNT, HTTP_ACCEPT_LANGUAGE="en")
        refused = client.post(BANK_ACCOUNT, {"iban": "FR1420041010050500013M02606", "holder_name": "Proxy"})

    assert "BE71 0961 2345 6769" in page.content.decode()
    assert 'name="iban"' not in page.content.decode()
    assert refused.status_code == 404
    assert BankAccount.objects.get().iban == "BE71096123456769"
    assert (
        AccessRecord.objects.filter(
            purpose=AccessPurpose.BANK_ACCOUNT_VIEW, actor_user=proxy, mandate_id=mandate_id
        ).count()
        == 1
    )
