"""A case worker suspends a monthly benefit in payment (an inquiry, a doubt on the person's
situation), giving the reason the person is told, or resumes it: a legal notice to the person
(and the proxies who view their file) each time; who suspended it is kept on it. Suspended, it is skipped by the
runs with its reason; resumed, the months it missed are paid as arrears by the next run."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from benefits.models import Entitlement, EntitlementState, Periodicity, SuspensionReason
from benefits.types import LifeRefused
from core.errors import NotFound
from core.types import Scope
from identity.selectors import person_names
from mandates.selectors import recipients_with_proxies
from notifications.services import notify

NOTE_MAX_LENGTH = 300


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


def entitlement_suspend(*, entitlement_id: int, user_id: int, note: str, now: datetime.datetime) -> None:
    """Suspend a monthly benefit in payment (by a case worker: the back office checks the
    permission), with the reason the person is told."""
    note = " ".join(note.split())
    if not note:
        raise LifeRefused("note_required")
    if len(note) > NOTE_MAX_LENGTH:
        raise LifeRefused("note_too_long", params={"count": NOTE_MAX_LENGTH})
    today = timezone.localdate(now)
    with transaction.atomic():
        entitlement = Entitlement.objects.select_for_update().filter(pk=entitlement_id).first()
        if entitlement is None:
            raise NotFound
        if (
            entitlement.state != EntitlementState.ACTIVE
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
        _tell(entitlement, "benefit_suspended", now, note)


def entitlement_resume(*, entitlement_id: int, now: datetime.datetime) -> None:
    """Resume a benefit a case worker suspended (one suspended for a missing life certificate
    resumes when the certificate is accepted)."""
    with transaction.atomic():
        entitlement = Entitlement.objects.select_for_update().filter(pk=entitlement_id).first()
        if entitlement is None:
            raise NotFound
        if entitlement.state != EntitlementState.SUSPENDED:
            raise LifeRefused("not_suspended")
        if entitlement.suspension_reason != SuspensionReason.STAFF:
            raise LifeRefused("suspended_for_life_certificate")
        Entitlement.objects.filter(pk=entitlement.pk).update(
            state=EntitlementState.ACTIVE,
            suspension_reason="",
            suspended_at=None,
            suspended_by=None,
            suspension_note="",
        )
        _tell(entitlement, "benefit_resumed", now)
