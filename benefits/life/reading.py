"""What the pensioner (or a proxy) reads of their life certificates: the year's request, its
state, the certificates sent and their check, the years before, and what they may do."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from benefits.models import (
    CertificateReview,
    Entitlement,
    EntitlementState,
    LifeCertificate,
    LifeCertificateRequest,
    LifeCheck,
    LifeCheckStatus,
    LifeConfirmation,
    LifeRequestStatus,
    RefusalReason,
    SuspensionReason,
)
from benefits.payments.wording import scheme_titles
from benefits.policies import can_manage_claims, can_view_entitlements
from core.actor import ActingMode, Actor
from core.audit import file_view_record
from identity.country_profiles import country_profile
from identity.selectors import person_get

YEARS_SHOWN = 5


@dataclass(frozen=True)
class CertificateRow:
    sent_at: datetime.datetime
    filename: str
    review: str
    review_label: str
    refusal_label: str


@dataclass(frozen=True)
class RequestView:
    reference: str
    year: int
    asked_on: datetime.date
    due_on: datetime.date
    status: str
    status_label: str
    reminders: int
    suspended_on: datetime.date | None
    confirmed_on: datetime.date | None
    confirmed_by_label: str
    certificates: tuple[CertificateRow, ...]
    check_in_progress: bool

    @property
    def is_open(self) -> bool:
        return self.status != LifeRequestStatus.CONFIRMED

    @property
    def is_late(self) -> bool:
        return self.is_open and self.suspended_on is not None


@dataclass(frozen=True)
class LifePage:
    abroad: bool
    current: RequestView | None
    past: tuple[RequestView, ...]
    may_send: bool
    may_check: bool
    suspended: tuple[str, ...]


def _view(request: LifeCertificateRequest, certificates: list[LifeCertificate], checking: bool) -> RequestView:
    refusals = dict(RefusalReason.choices)
    reviews = dict(CertificateReview.choices)
    return RequestView(
        reference=request.reference,
        year=request.year,
        asked_on=timezone.localdate(request.asked_at),
        due_on=request.due_on,
        status=request.status,
        status_label=str(LifeRequestStatus(request.status).label),
        reminders=request.reminders,
        suspended_on=timezone.localdate(request.suspended_at) if request.suspended_at else None,
        confirmed_on=timezone.localdate(request.confirmed_at) if request.confirmed_at else None,
        confirmed_by_label=str(LifeConfirmation(request.confirmed_by).label) if request.confirmed_by else "",
        certificates=tuple(
            CertificateRow(
                sent_at=certificate.uploaded_at,
                filename=certificate.filename,
                review=certificate.review,
                review_label=str(reviews[certificate.review]),
                refusal_label=str(refusals.get(certificate.refusal_reason, "")),
            )
            for certificate in certificates
        ),
        check_in_progress=checking,
    )


def life_page(*, actor: Actor, person_id: int, now: datetime.datetime) -> LifePage | None:
    """None when the actor may not read it (the person, proxies allowed to view the file or to
    manage claims, staff at the counter). Reading someone else's is recorded in their trail."""
    if not (
        can_view_entitlements(actor=actor, person_id=person_id) or can_manage_claims(actor=actor, person_id=person_id)
    ):
        return None
    file_view_record(actor=actor, subject_person_id=person_id, what="life certificate", now=now)
    requests = list(LifeCertificateRequest.objects.filter(person_id=person_id).order_by("-year")[:YEARS_SHOWN])
    ids = [request.pk for request in requests]
    certificates: dict[int, list[LifeCertificate]] = {}
    for certificate in (
        LifeCertificate.objects.filter(request_id__in=ids).defer("content").order_by("uploaded_at", "pk")
    ):
        certificates.setdefault(certificate.request_id, []).append(certificate)
    checking = set(
        LifeCheck.objects.filter(request_id__in=ids, status=LifeCheckStatus.PENDING)
        .exclude(provider_check_id="")
        .values_list("request_id", flat=True)
    )
    views = [_view(request, certificates.get(request.pk, []), request.pk in checking) for request in requests]
    today = timezone.localdate(now)
    current = next((view for view in views if view.is_open), None) or next(
        (view for view in views if view.year == today.year), None
    )
    titles = scheme_titles()
    suspended = tuple(
        str(titles.get(scheme, scheme))
        for scheme in Entitlement.objects.filter(
            person_id=person_id, state=EntitlementState.SUSPENDED, suspension_reason=SuspensionReason.LIFE_CERTIFICATE
        )
        .order_by("start_on", "pk")
        .values_list("scheme", flat=True)
    )
    is_open = current is not None and current.is_open
    return LifePage(
        abroad=person_get(person_id=person_id).country != country_profile().code,
        current=current,
        past=tuple(view for view in views if view is not current),
        may_send=is_open
        and current is not None
        and current.status == LifeRequestStatus.ASKED
        and can_manage_claims(actor=actor, person_id=person_id),
        may_check=is_open and actor.mode == ActingMode.SELF and actor.person_id == person_id,
        suspended=suspended,
    )


def life_request_open(*, person_id: int) -> RequestView | None:
    """The person's request awaiting an answer, for a reminder on other pages."""
    request = (
        LifeCertificateRequest.objects.filter(person_id=person_id)
        .exclude(status=LifeRequestStatus.CONFIRMED)
        .order_by("-year")
        .first()
    )
    return _view(request, [], False) if request is not None else None
