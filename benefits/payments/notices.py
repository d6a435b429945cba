"""What a person is told about their payments: a transfer the bank rejected (check the account
on file)."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from core.types import Scope
from mandates.selectors import recipients_with_proxies
from notifications.services import notify


def tell_payment_rejected(*, person_id: int, now: datetime.datetime) -> None:
    """The person, and the proxies who manage their payment details, are asked to check the bank
    account: the benefit is paid again once it changes."""
    notify(
        recipients=recipients_with_proxies(
            person_id=person_id, scope=Scope.MANAGE_PAYMENT_DETAILS, on=timezone.localdate(now)
        ),
        event="payment_rejected",
        context={},
        now=now,
        link=reverse("identity:bank_account"),
    )
