"""Refunds of an enterprise's credit: its administrator asks for the money paid beyond its debts
to be paid back to a bank account; finance staff pay it — the refund is posted to the account,
settled by the credit — or refuse it with a reason."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from stdnum import iban as iban_module
from stdnum.exceptions import ValidationError

from contributions import ledger, policies
from contributions.models import RefundRequest, RefundStatus
from contributions.types import RefundError
from core.actor import Actor, LevelOfAssurance
from core.errors import NotFound
from identity.selectors import enterprise_summaries

REASON_MAX = 2000


def refund_request(
    *,
    actor: Actor,
    enterprise_id: int,
    iban: str,
    holder_name: str,
    seen_credit: str,
    now: datetime.datetime,
) -> RefundRequest:
    """Ask for the whole credit to be paid back. ``seen_credit`` is the credit the page showed:
    if it changed since (a debt took it, a payment arrived), nothing is asked and the person
    reads the page again. One request waits at a time (a double submit asks once)."""
    user_id = actor.user_id
    if user_id is None or not policies.can_request_refund(
        actor=actor, enterprise_id=enterprise_id, on=timezone.localdate(now)
    ):
        raise NotFound
    if not actor.has_level(LevelOfAssurance.SUBSTANTIAL):
        raise RefundError("level_too_low")
    try:
        compact = iban_module.validate(iban)
    except ValidationError:
        raise RefundError("iban_invalid") from None
    holder = " ".join(holder_name.split())
    if not holder:
        raise RefundError("holder_required")
    if len(holder) > 140:
        raise RefundError("holder_too_long")
    with transaction.atomic():
        credit = ledger.credit_available_locked(enterprise_id)
        if credit <= 0:
            raise RefundError("no_credit")
        if str(credit) != seen_credit.strip():
            raise RefundError("credit_changed")
        if RefundRequest.objects.filter(enterprise_id=enterprise_id, status=RefundStatus.REQUESTED).exists():
            raise RefundError("already_waiting")
        try:
            with transaction.atomic():
                return RefundRequest.objects.create(
                    enterprise_id=enterprise_id,
                    amount=credit,
                    iban=compact,
                    holder_name=holder,
                    requested_by_id=user_id,
                    requested_at=now,
                )
        except IntegrityError:
            raise RefundError("already_waiting") from None


def refund_decide(
    *, actor: Actor, request_id: int, refunded: bool, reason: str, now: datetime.datetime
) -> RefundRequest:
    """Finance staff record the refund as paid (posted to the account, settled by the credit;
    refused when the credit left no longer covers it) or refuse it with a reason."""
    if actor.user_id is None or not policies.can_decide_refunds(actor=actor):
        raise NotFound
    reason = reason.strip()
    if not refunded and not reason:
        raise RefundError("reason_required")
    if len(reason) > REASON_MAX:
        raise RefundError("reason_too_long")
    with transaction.atomic():
        request = RefundRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise NotFound
        if request.status != RefundStatus.REQUESTED:
            raise RefundError("already_decided")
        if refunded:
            (summary,) = enterprise_summaries(enterprise_ids=[request.enterprise_id])
            entry = ledger.refund_post(
                enterprise_id=request.enterprise_id,
                enterprise_number=summary.enterprise_number,
                amount=request.amount,
                source=f"refund:{request.pk}",
                now=now,
            )
            if entry is None:
                raise RefundError("credit_too_small")
            request.refund(entry=entry, by_id=actor.user_id, at=now)
        else:
            request.reject(reason=reason, by_id=actor.user_id, at=now)
        request.save()
    return request
