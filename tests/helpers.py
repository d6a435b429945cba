"""Test helpers: sign a client in at a given level of assurance, count queries, deliver the
outbox."""

from __future__ import annotations

import time

from django.test import Client
from django.utils import timezone

from core.actor import ActingMode, Actor, LevelOfAssurance
from identity.models import User
from notifications.models import Delivery, DeliveryStatus
from notifications.services import deliveries_send

# allauth keeps the session's authentication methods under these keys.
_METHODS_KEY = "account_authentication_methods"
_METHODS_USER_KEY = "account_authentication_methods_user"


def sign_in(client: Client, user: User, *, mfa: bool = False) -> Client:
    """Sign in as allauth would after a password (and a TOTP code when ``mfa``)."""
    client.force_login(user, backend="identity.backends.AuthenticationBackend")
    session = client.session
    records = [{"method": "password", "at": time.time(), "email": user.email}]
    if mfa:
        records.append({"method": "mfa", "at": time.time(), "type": "totp"})
    session[_METHODS_KEY] = records
    session[_METHODS_USER_KEY] = str(user.pk)
    session.save()
    return client


def staff_actor(user: User) -> Actor:
    return Actor(
        user_id=user.pk,
        level_of_assurance=LevelOfAssurance.SUBSTANTIAL,
        mode=ActingMode.STAFF,
        person_id=user.person_id,
        is_staff=True,
    )


def citizen_actor(
    user: User, *, level: LevelOfAssurance = LevelOfAssurance.LOW, enterprise_ids: frozenset[int] = frozenset()
) -> Actor:
    return Actor(
        user_id=user.pk,
        level_of_assurance=level,
        mode=ActingMode.SELF,
        person_id=user.person_id,
        subject_person_id=user.person_id,
        enterprise_ids=enterprise_ids,
    )


def deliver_outbox() -> int:
    """Send now, in this process, what the outbox holds that is due (as the worker would after
    commit): allauth's e-mails and notifications alike. Returns how many were sent."""
    due = list(
        Delivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRY], next_attempt_at__lte=timezone.now()
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return deliveries_send(delivery_ids=due, clock=timezone.now) if due else 0


def act_for(client: Client, principal: User, scopes: list[str], *, last_name: str = "Proxy") -> tuple[User, int]:
    """A new proxy holding an accepted mandate of ``principal`` for ``scopes`` (30 days from
    today), signed in on ``client`` and acting in the principal's file: (the proxy, the mandate)."""
    import datetime

    from core.actor import ACTING_FOR_SESSION_KEY
    from mandates import services as mandate_services
    from tests.identity.factories import PersonFactory, UserFactory

    proxy = UserFactory(person=PersonFactory(last_name=last_name))
    mandate_id = mandate_services.mandate_grant(
        actor=citizen_actor(principal, level=LevelOfAssurance.SUBSTANTIAL),
        proxy_national_number=proxy.person.national_number,
        proxy_last_name=last_name,
        scopes=scopes,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=30),
        now=timezone.now(),
    )
    mandate_services.mandate_accept(actor=citizen_actor(proxy), mandate_id=mandate_id, now=timezone.now())
    client.logout()
    sign_in(client, proxy)
    session = client.session
    session[ACTING_FOR_SESSION_KEY] = mandate_id
    session.save()
    return proxy, mandate_id
