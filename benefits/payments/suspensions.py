"""A case worker suspends a monthly benefit in payment (an inquiry, a doubt on the person's
situation), giving the reason the person is told, or resumes it: a legal notice to the person
(and the proxies who view their file) each time; who suspended it is kept on it. Suspended, it is
skipped by the runs with its reason, and a payment of it not yet in a written bank file is
stopped; resumed, the months it missed are paid as arrears by the next run — unless the person's
life certificate is missing meanwhile: then it stays suspended, for that reason.

A case worker never suspends or resumes a benefit of their own."""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from benefits.models import (
    Entitlement,
    EntitlementState,
    LifeCertificateRequest,
    LifeRequestStatus,
    Periodicity,
    SuspensionReason,
)
from benefits.types import LifeRefused
from core.errors import NotFound
from core.types import Scope
from identity.selectors import account_facts, person_names
from mandates.selectors import recipients_with_proxies
from notifications.services import notify

NOTE_MAX_LENGTH = 300

# A payment of a suspended benefit not in a written file yet: stopped (its months stay due, and
# are paid as arrears once the benefit resumes). The same rule as a death's.
_STOP = """
UPDATE benefits_payment p SET status = 'stopped', rejection_code = 'SUSP'
FROM benefits_paymentrun run
WHERE run.id = p.run_id AND p.entitlement_id = ANY(%(ids)s) AND p.status = 'pending'
  AND run.status IN ('prepared', 'submitted', 'approved')
  AND NOT EXISTS (SELECT 1 FROM benefits_paymentfile f
                  WHERE f.run_id = p.run_id AND p.id BETWEEN f.first_payment_id AND f.last_payment_id
                    AND f.content IS NOT NULL)
"""


def payments_stop_unsent(*, entitlement_ids: list[int]) -> int:
    """Stop the payments of these (suspended) entitlements that no written bank file holds."""
    if not entitlement_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_STOP, {"ids": entitlement_ids})
        return int(cursor.rowcount)


def life_certificate_missing(*, person_id: int) -> bool:
    """Whether a request of the person's life certificate passed its due day unanswered."""
    return (
        LifeCertificateRequest.objects.filter(person_id=person_id, suspended_at__isnull=False)
        .exclude(status=LifeRequestStatus.CONFIRMED)
        .exists()
    )


def _tell(entitlement: Entitlement, event: str, now: datetime.datetime, note: str = "") -> None:
    notify(
        recipients=recipients_with_proxies(
            person_id=entitlement.person_id, scope=Scope.VIEW_FILE, on=timezone.localdate(now)
        ),
        event=event,
        context={
            "beneficiary": person_names(person_ids=[entitlement.person_id]).get(entitlement.person_id, ""),
            "note": note,
        },
        now=now,
        link=reverse("benefits:payments"),
    )


def _locked(entitlement_id: int, user_id: int) -> Entitlement:
    entitlement = Entitlement.objects.select_for_update().filter(pk=entitlement_id).first()
    if entitlement is None:
        raise NotFound
    if account_facts(user_id=user_id).person_id == entitlement.person_id:
        raise LifeRefused("own_benefit")
    return entitlement


def entitlement_suspend(*, entitlement_id: int, user_id: int, note: str, now: datetime.datetime) -> None:
    """Suspend a monthly benefit in payment, or one suspended for a missing life certificate (the
    case worker's suspension then holds whatever the certificate), by a case worker (the back
    office checks the permission), with the reason the person is told."""
    note = " ".join(note.split())
    if not note:
        raise LifeRefused("note_required")
    if len(note) > NOTE_MAX_LENGTH:
        raise LifeRefused("note_too_long", params={"count": NOTE_MAX_LENGTH})
    today = timezone.localdate(now)
    with transaction.atomic():
        entitlement = _locked(entitlement_id, user_id)
        suspendable = entitlement.state == EntitlementState.ACTIVE or (
            entitlement.state == EntitlementState.SUSPENDED
            and entitlement.suspension_reason == SuspensionReason.LIFE_CERTIFICATE
        )
        if (
            not suspendable
            or entitlement.ended_at is not None
            or entitlement.periodicity != Periodicity.MONTHLY
            or (entitlement.end_on is not None and entitlement.end_on < today)
        ):
            raise LifeRefused("not_active")
        Entitlement.objects.filter(pk=entitlement.pk).update(
            state=EntitlementState.SUSPENDED,
            suspension_reason=SuspensionReason.STAFF,
            suspended_at=now,
            suspended_by_id=user_id,
            suspension_note=note,
        )
        payments_stop_unsent(entitlement_ids=[entitlement.pk])
        _tell(entitlement, "benefit_suspended", now, note)


def entitlement_resume(*, entitlement_id: int, user_id: int, now: datetime.datetime) -> bool:
    """Lift a case worker's suspension: True when the benefit is paid again; False when the
    person's life certificate went missing meanwhile (it stays suspended, for that reason, and
    resumes when a certificate is accepted). A suspension for the certificate alone is not
    lifted by hand."""
    with transaction.atomic():
        entitlement = _locked(entitlement_id, user_id)
        if entitlement.state != EntitlementState.SUSPENDED:
            raise LifeRefused("not_suspended")
        if entitlement.suspension_reason != SuspensionReason.STAFF:
            raise LifeRefused("suspended_for_life_certificate")
        if life_certificate_missing(person_id=entitlement.person_id):
            Entitlement.objects.filter(pk=entitlement.pk).update(
                suspension_reason=SuspensionReason.LIFE_CERTIFICATE, suspended_by=None, suspension_note=""
            )
            return False
        Entitlement.objects.filter(pk=entitlement.pk).update(
            state=EntitlementState.ACTIVE,
            suspension_reason="",
            suspended_at=None,
            suspended_by=None,
            suspension_note="",
        )
        _tell(entitlement, "benefit_resumed", now)
        return True
