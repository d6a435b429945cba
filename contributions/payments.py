"""Online payment: the provider interface every real provider fits (create a payment, send the
payer to its hosted page, receive a signed server-to-server callback, query a status), the
adapter of the built-in sandbox, and the use cases that credit the account exactly once.

A payment is stored before the provider is called (so a crash leaves a trace to reconcile); the
provider is called with an idempotency key derived from the payment, so a double click or a
retry creates one payment there too. Settlement locks the payment row and credits the ledger
with the payment as source: a repeated callback, a callback racing the payer's return, and the
periodic status poll all credit once.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from contributions import ledger, notices
from contributions.models import Payment, PaymentStatus
from contributions.policies import paying_capacity
from contributions.types import PaymentError
from core.actor import Actor
from core.errors import NotFound
from core.http import absolute_url
from core.money import amount_parse
from core.providers import CallbackInvalid, ProviderUnreachable, provider_call, signed_callback

logger = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("100000000.00")


@dataclass(frozen=True)
class ProviderPayment:
    provider_payment_id: str
    redirect_url: str


@dataclass(frozen=True)
class ProviderStatus:
    provider_payment_id: str
    status: str  # pending, succeeded, failed, cancelled
    amount: Decimal
    currency: str = "EUR"


# The provider could not be reached or answered an error (try again later); a callback whose
# signature or content does not check out (ignore it): core.providers' errors.
ProviderUnavailable = ProviderUnreachable
InvalidCallback = CallbackInvalid


class PaymentProvider(Protocol):
    name: str

    def create(
        self,
        *,
        amount: Decimal,
        reference: str,
        description: str,
        return_url: str,
        callback_url: str,
        idempotency_key: str,
    ) -> ProviderPayment: ...

    def status(self, *, provider_payment_id: str) -> ProviderStatus: ...

    def parse_callback(self, *, body: bytes, headers: Mapping[str, str], now: datetime.datetime) -> ProviderStatus: ...


class SandboxProvider:
    """The built-in sandbox (payment_sandbox), reached over HTTP like any provider."""

    name = "sandbox"

    def __init__(self, *, base_url: str, secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret

    def _call(self, method: str, path: str, body: dict[str, str] | None = None, key: str = "") -> dict[str, str]:
        return provider_call(base_url=self.base_url, secret=self.secret, method=method, path=path, body=body, key=key)

    @staticmethod
    def _status(answer: Mapping[str, str]) -> ProviderStatus:
        try:
            return ProviderStatus(
                provider_payment_id=str(answer["id"]),
                status=str(answer["status"]),
                amount=Decimal(answer["amount"]),
                currency=str(answer.get("currency", "EUR")),
            )
        except (KeyError, InvalidOperation, TypeError) as error:
            raise InvalidCallback(str(error)) from error

    def create(
        self,
        *,
        amount: Decimal,
        reference: str,
        description: str,
        return_url: str,
        callback_url: str,
        idempotency_key: str,
    ) -> ProviderPayment:
        answer = self._call(
            "POST",
            "/api/payments/",
            {
                "amount": str(amount),
                "currency": "EUR",
                "reference": reference,
                "description": description,
                "return_url": return_url,
                "callback_url": callback_url,
            },
            key=idempotency_key,
        )
        return ProviderPayment(provider_payment_id=answer["id"], redirect_url=answer["redirect_url"])

    def status(self, *, provider_payment_id: str) -> ProviderStatus:
        return self._status(self._call("GET", f"/api/payments/{uuid.UUID(provider_payment_id)}/"))

    def parse_callback(self, *, body: bytes, headers: Mapping[str, str], now: datetime.datetime) -> ProviderStatus:
        return self._status(signed_callback(body=body, headers=headers, secret=self.secret, now=now))


def payment_provider(name: str | None = None) -> PaymentProvider:
    chosen = name or settings.PAYMENT_PROVIDER
    if chosen == "sandbox":
        return SandboxProvider(base_url=settings.PAYMENT_SANDBOX_URL, secret=settings.PAYMENT_SANDBOX_SECRET)
    raise ImproperlyConfigured(f"Unknown PAYMENT_PROVIDER: {chosen!r}")


def payment_start(
    *,
    actor: Actor,
    enterprise_id: int,
    amount: str,
    payment_reference: str,
    intent: uuid.UUID,
    now: datetime.datetime,
    provider: PaymentProvider | None = None,
) -> Payment:
    """Create (once per ``intent``: the form's one-time token) a payment and its counterpart at
    the provider; the caller sends the payer to ``redirect_url``."""
    allowed, _bureau = paying_capacity(actor=actor, enterprise_id=enterprise_id, on=timezone.localdate(now))
    if not allowed or actor.user_id is None:
        raise NotFound
    # The notation of the declarations (one parser: ASCII digits, a decimal point or comma, two
    # decimals at most, no sign, no exponent), with the spaces that group thousands in French.
    value = amount_parse("".join(amount.split()) if isinstance(amount, str) else "", decimal_comma=True)
    if value is None or value.is_signed() or value <= 0 or value > MAX_AMOUNT:
        raise PaymentError("amount_invalid")
    chosen = provider or payment_provider()
    with transaction.atomic():
        payment, _created = Payment.objects.get_or_create(
            enterprise_id=enterprise_id,
            intent=intent,
            defaults={
                "amount": value,
                "payment_reference": payment_reference[:35],
                "provider": chosen.name,
                "created_by_id": actor.user_id,
                "created_at": now,
            },
        )
    if payment.redirect_url or payment.status != PaymentStatus.PENDING:
        return payment
    try:
        created = chosen.create(
            amount=payment.amount,
            reference=payment.payment_reference,
            description=f"Guichet — {payment.payment_reference or payment.pk}",
            return_url=absolute_url(reverse("contributions:payment", args=[enterprise_id, payment.pk])),
            callback_url=absolute_url(reverse("contributions:payment_callback", args=[chosen.name])),
            idempotency_key=f"guichet-payment-{payment.intent}",
        )
    except ProviderUnavailable:
        raise PaymentError("provider_unavailable") from None
    Payment.objects.filter(pk=payment.pk, provider_payment_id="").update(
        provider_payment_id=created.provider_payment_id, redirect_url=created.redirect_url
    )
    payment.refresh_from_db()
    return payment


def payment_settle(*, provider_name: str, reported: ProviderStatus, now: datetime.datetime) -> Payment | None:
    """Apply what the provider says of a payment, once: the first final status wins; a success
    credits the account (the ledger entry's source is the payment) and its representatives are
    told."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(provider=provider_name, provider_payment_id=reported.provider_payment_id)
            .first()
        )
        if payment is None:
            return None
        if payment.status != PaymentStatus.PENDING or reported.status == PaymentStatus.PENDING:
            return payment
        status = reported.status
        if status == PaymentStatus.SUCCEEDED and (reported.amount != payment.amount or reported.currency != "EUR"):
            # Money was taken but not what we asked: never credit a guess; staff check it.
            logger.error("payment differs at the provider", extra={"payment_id": payment.pk})
            status = PaymentStatus.NEEDS_REVIEW
        if status not in (
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELLED,
            PaymentStatus.NEEDS_REVIEW,
        ):
            return payment
        Payment.objects.filter(pk=payment.pk).update(status=status, settled_at=now)
        if status == PaymentStatus.SUCCEEDED:
            source, booked_on = f"payment:{payment.pk}", timezone.localdate(now)
            credited = ledger.credit_post(
                enterprise_id=payment.enterprise_id,
                amount=payment.amount,
                payment_reference=payment.payment_reference,
                source=source,
                booked_on=booked_on,
                now=now,
            )
            if credited:
                # Every representative who pays, the payer too: the provider settles when it
                # likes (the payer may have left), and a payment deserves its confirmation.
                notices.payments_received(
                    received=[
                        notices.Received(
                            enterprise_id=payment.enterprise_id,
                            source=source,
                            amount=payment.amount,
                            booked_on=booked_on,
                            method="online",
                            payment_reference=payment.payment_reference,
                        )
                    ],
                    now=now,
                )
        payment.refresh_from_db()
        return payment


def payment_refresh(*, payment: Payment, now: datetime.datetime, provider: PaymentProvider | None = None) -> Payment:
    """Ask the provider (the payer came back, or the callback is late) and settle."""
    if payment.status != PaymentStatus.PENDING or not payment.provider_payment_id:
        return payment
    chosen = provider or payment_provider(payment.provider)
    try:
        reported = chosen.status(provider_payment_id=payment.provider_payment_id)
    except (ProviderUnavailable, InvalidCallback):
        return payment
    return payment_settle(provider_name=payment.provider, reported=reported, now=now) or payment


def payment_callback(
    *, provider_name: str, body: bytes, headers: Mapping[str, str], now: datetime.datetime
) -> Payment | None:
    """A provider's signed server-to-server callback (InvalidCallback when it does not check out)."""
    return payment_settle(
        provider_name=provider_name,
        reported=payment_provider(provider_name).parse_callback(body=body, headers=headers, now=now),
        now=now,
    )


def payments_reconcile(*, now: datetime.datetime, provider: PaymentProvider | None = None) -> int:
    """Settle the payments still pending a while after their creation (a lost callback, a payer
    who never came back). Returns how many were settled."""
    horizon = now - datetime.timedelta(minutes=settings.PAYMENT_POLL_AFTER_MINUTES)
    settled = 0
    pending = Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=horizon).exclude(
        provider_payment_id=""
    )
    for payment in pending.order_by("created_at")[:500]:
        if payment_refresh(payment=payment, now=now, provider=provider).status != PaymentStatus.PENDING:
            settled += 1
    return settled
