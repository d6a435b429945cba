"""The answers to a request: a certificate sent by the pensioner or a proxy who manages their
claims (checked by its content, stored privately, one waiting for staff at a time), the staff's
check of it (four eyes: never one's own), and the confirmation of the year — by an accepted
certificate or a passed remote identity check — which resumes the benefits the request had
suspended (their months are paid as arrears by the next run)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from benefits.life.notices import tell_one
from benefits.models import (
    CertificateReview,
    Entitlement,
    EntitlementState,
    LifeCertificate,
    LifeCertificateRequest,
    LifeConfirmation,
    LifeRequestStatus,
    RefusalReason,
    SuspensionReason,
)
from benefits.policies import can_manage_claims
from benefits.trail import trail
from benefits.types import ClaimRefused, LifeRefused
from benefits.uploads import file_check
from core.actor import Actor
from core.errors import NotFound
from identity.selectors import account_facts

# Days left to send another certificate after one is refused, at least.
RESEND_DAYS = 30


def open_request_locked(*, person_id: int) -> LifeCertificateRequest | None:
    """The person's latest request not confirmed yet, if any, locked (in the caller's
    transaction)."""
    return (
        LifeCertificateRequest.objects.select_for_update()
        .filter(person_id=person_id)
        .exclude(status=LifeRequestStatus.CONFIRMED)
        .order_by("-year")
        .first()
    )


def certificate_send(
    *, actor: Actor, person_id: int, name: str, size: int, read: Callable[[], bytes], now: datetime.datetime
) -> int:
    """A certificate for the person's open request, by them or a proxy who manages their claims
    (NotFound for anyone else). Refused, changing nothing, when nothing is asked, when one is
    being checked already, or when the file is not a readable PDF, JPEG or PNG within the size."""
    if not can_manage_claims(actor=actor, person_id=person_id) or actor.user_id is None:
        raise NotFound
    try:
        checked = file_check(name=name, size=size, read=read)
    except ClaimRefused as refused:
        raise LifeRefused(refused.code, params=refused.params) from None
    with transaction.atomic():
        request = open_request_locked(person_id=person_id)
        if request is None:
            raise LifeRefused("nothing_asked")
        if request.status == LifeRequestStatus.RECEIVED:
            raise LifeRefused("already_pending")
        try:
            with transaction.atomic():
                certificate = LifeCertificate.objects.create(
                    request=request,
                    filename=checked.filename,
                    content_type=checked.content_type,
                    size=len(checked.content),
                    sha256=checked.sha256,
                    content=checked.content,
                    uploaded_at=now,
                    uploaded_by_id=actor.user_id,
                )
        except IntegrityError:
            raise LifeRefused("already_pending") from None
        LifeCertificateRequest.objects.filter(pk=request.pk).update(status=LifeRequestStatus.RECEIVED)
        trail(actor=actor, person_id=person_id, detail="life certificate sent", now=now)
    return certificate.pk


def _resume(*, person_id: int) -> int:
    return Entitlement.objects.filter(
        person_id=person_id, state=EntitlementState.SUSPENDED, suspension_reason=SuspensionReason.LIFE_CERTIFICATE
    ).update(state=EntitlementState.ACTIVE, suspension_reason="", suspended_at=None)


def life_confirm(*, request: LifeCertificateRequest, by: str, now: datetime.datetime) -> bool:
    """Confirm the request (and any older one still open: the person is alive now), resume what
    they suspended, and tell the person. Inside the caller's transaction, with the request
    locked; False when it was confirmed already."""
    open_ids = list(
        LifeCertificateRequest.objects.filter(person_id=request.person_id, year__lte=request.year)
        .exclude(status=LifeRequestStatus.CONFIRMED)
        .values_list("pk", flat=True)
    )
    if not open_ids:
        return False
    LifeCertificateRequest.objects.filter(pk__in=open_ids).update(
        status=LifeRequestStatus.CONFIRMED, confirmed_at=now, confirmed_by=by
    )
    # A certificate still waiting for staff is not needed any more: it leaves their queue.
    LifeCertificate.objects.filter(request_id__in=open_ids, review=CertificateReview.PENDING).update(
        review=CertificateReview.NOT_NEEDED, reviewed_at=now
    )
    resumed = _resume(person_id=request.person_id)
    request.refresh_from_db()
    tell_one(event="life_certificate_confirmed", request=request, now=now, resumed="yes" if resumed else "")
    return True


def certificate_review(
    *, staff_user_id: int, certificate_id: int, accept: bool, reason: str, now: datetime.datetime
) -> None:
    """A member of staff checks a certificate: accepted, it confirms the year; refused (with a
    reason), the person is told and may send another. Never one's own; once."""
    if not accept and reason not in RefusalReason.values:
        raise LifeRefused("reason_required")
    request_id = LifeCertificate.objects.filter(pk=certificate_id).values_list("request_id", flat=True).first()
    if request_id is None:
        raise NotFound
    with transaction.atomic():
        # The request first, then its certificate: the order an identity check's settlement
        # takes them in (it confirms the request, then sets aside the certificate waiting).
        request = LifeCertificateRequest.objects.select_for_update().get(pk=request_id)
        certificate = LifeCertificate.objects.select_for_update().get(pk=certificate_id)
        if certificate.review != CertificateReview.PENDING:
            raise LifeRefused("review_moved")
        if certificate.uploaded_by_id == staff_user_id:
            raise LifeRefused("own_upload")
        if account_facts(user_id=staff_user_id).person_id == request.person_id:
            raise LifeRefused("own_request")
        LifeCertificate.objects.filter(pk=certificate.pk).update(
            review=CertificateReview.ACCEPTED if accept else CertificateReview.REFUSED,
            reviewed_at=now,
            reviewed_by_id=staff_user_id,
            refusal_reason="" if accept else reason,
        )
        if accept:
            life_confirm(request=request, by=LifeConfirmation.CERTIFICATE, now=now)
            return
        # A refusal near or past the due day leaves time to send another (unless the benefits
        # are suspended already: then they resume whenever one is accepted).
        due_on = request.due_on
        if request.suspended_at is None:
            due_on = max(due_on, timezone.localdate(now) + datetime.timedelta(days=RESEND_DAYS))
        LifeCertificateRequest.objects.filter(pk=request.pk, status=LifeRequestStatus.RECEIVED).update(
            status=LifeRequestStatus.ASKED, due_on=due_on
        )
        request.refresh_from_db()
        tell_one(event="life_certificate_refused", request=request, now=now, reason=reason)
