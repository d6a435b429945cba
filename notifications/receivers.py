"""Identity's domain events, told to the people concerned (in the event's own transaction)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.urls import reverse

from identity import signals
from identity.selectors import contact_map, enterprise_name
from notifications.selectors import recipients_for_person
from notifications.services import notify, prepared_email_queue
from notifications.types import Recipient


@receiver(signals.account_linked, dispatch_uid="notifications-account-linked")
def _account_linked(*, user_id: int, now: datetime.datetime, **_kwargs: Any) -> None:
    notify(
        recipients=[Recipient(user_id)], event="account_linked", context={}, now=now, link=reverse("portal:dashboard")
    )


@receiver(signals.representation_granted, dispatch_uid="notifications-role-granted")
def _role_granted(*, user_id: int, enterprise_id: int, role: str, now: datetime.datetime, **_kwargs: Any) -> None:
    notify(
        recipients=[Recipient(user_id)],
        event="role_granted",
        context={"enterprise_name": enterprise_name(enterprise_id=enterprise_id), "role": role},
        now=now,
        link=reverse("identity:representatives", args=[enterprise_id]),
    )


@receiver(signals.representation_revoked, dispatch_uid="notifications-role-revoked")
def _role_revoked(*, user_id: int, enterprise_id: int, role: str, now: datetime.datetime, **_kwargs: Any) -> None:
    notify(
        recipients=[Recipient(user_id)],
        event="role_revoked",
        context={"enterprise_name": enterprise_name(enterprise_id=enterprise_id), "role": role},
        now=now,
        link=reverse("portal:dashboard"),
    )


@receiver(signals.bank_account_changed, dispatch_uid="notifications-bank-account-changed")
def _bank_account_changed(*, person_id: int, actor_user_id: int, now: datetime.datetime, **_kwargs: Any) -> None:
    # Told to the person whoever made the change (themself or a proxy): a legal notice.
    actor = contact_map(user_ids=[actor_user_id]).get(actor_user_id)
    notify(
        recipients=recipients_for_person(person_id=person_id),
        event="payment_details_changed",
        context={"actor_name": actor.full_name or actor.email if actor else ""},
        now=now,
        link=reverse("identity:bank_account"),
    )


@receiver(signals.sign_in_locked, dispatch_uid="notifications-sign-in-locked")
def _sign_in_locked(*, user_id: int, now: datetime.datetime, **_kwargs: Any) -> None:
    notify(
        recipients=[Recipient(user_id)],
        event="sign_in_locked",
        context={"hours": settings.AXES_COOLOFF_TIME},
        now=now,
        link=reverse("account_reset_password"),
    )


@receiver(signals.sign_in_address_changed, dispatch_uid="notifications-sign-in-address-changed")
def _sign_in_address_changed(*, user_id: int, old_address: str, now: datetime.datetime, **_kwargs: Any) -> None:
    # A security alert: in the inbox and by e-mail to the new address; the old address has
    # allauth's notice of the change.
    notify(
        recipients=[Recipient(user_id)],
        event="sign_in_address_changed",
        context={"old_address": old_address},
        now=now,
        link=reverse("account_email"),
    )


@receiver(signals.account_email_prepared, dispatch_uid="notifications-account-email-prepared")
def _account_email_prepared(
    *,
    address: str,
    user_id: int | None,
    subject: str,
    text: str,
    html: str,
    now: datetime.datetime,
    **_kwargs: Any,
) -> int:
    # Rendered by allauth already: sent as it is, from the outbox, after commit.
    return prepared_email_queue(
        address=address, subject=subject, text=text, html=html, recipient_user_id=user_id, now=now
    )
