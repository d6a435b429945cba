"""The letters posted to the pensioners abroad whom nobody could tell on the portal (the request's
``letter_due``, flagged by ``notices``): one PDF, one letter a page, each in the person's language,
with their name and postal address, the reference, and what the request's state calls for — the
request, a reminder, the suspension, a certificate refused, the year confirmed — and how to answer.

Render and clear in one transaction (``life_letters_pdf`` then ``life_letters_printed``): the
rows are locked while the letters are rendered, so that a reminder or a suspension flagged
meanwhile waits for the commit and flags its letter again, never cleared unprinted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from benefits.models import (
    CertificateReview,
    LifeCertificate,
    LifeCertificateRequest,
    LifeConfirmation,
    LifeRequestStatus,
    RefusalReason,
)
from core.documents import pdf_render
from core.http import absolute_url
from identity.selectors import person_summaries

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Stage:
    """What a letter tells, from the request's state and its latest news."""

    ASKED = "asked"
    REMINDER = "reminder"
    SUSPENDED = "suspended"
    REFUSED = "refused"
    RECEIVED = "received"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Letter:
    reference: str
    year: int
    language: str
    name: str
    address: str
    stage: str
    reminders: int
    due_on: datetime.date
    # The due day passed: the letter asks for an answer as soon as possible.
    late: bool
    suspended_on: datetime.date | None
    # The reason of the certificate refused, translated when rendered (in the person's language).
    refusal: StrOrPromise
    confirmed_on: datetime.date | None
    confirmed_online: bool


def _language(preferred: str) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    return preferred if preferred in known else settings.LANGUAGE_CODE[:2]


def _stage(request: LifeCertificateRequest, latest: LifeCertificate | None) -> str:
    """Confirmed, or a certificate being checked; else the request's latest news: asked,
    reminded, suspended, or the last certificate refused."""
    if request.status == LifeRequestStatus.CONFIRMED:
        return Stage.CONFIRMED
    if request.status == LifeRequestStatus.RECEIVED:
        return Stage.RECEIVED
    news = [(request.asked_at, Stage.ASKED)]
    if request.reminders and request.reminded_at is not None:
        news.append((request.reminded_at, Stage.REMINDER))
    if request.suspended_at is not None:
        news.append((request.suspended_at, Stage.SUSPENDED))
    if latest is not None and latest.review == CertificateReview.REFUSED and latest.reviewed_at is not None:
        news.append((latest.reviewed_at, Stage.REFUSED))
    return max(news, key=lambda item: item[0])[1]


def _letters(requests: list[LifeCertificateRequest], today: datetime.date) -> list[Letter]:
    persons = person_summaries(person_ids={request.person_id for request in requests})
    latest: dict[int, LifeCertificate] = {}
    for certificate in (
        LifeCertificate.objects.filter(request_id__in=[request.pk for request in requests])
        .defer("content")
        .order_by("request_id", "-uploaded_at", "-pk")
        .distinct("request_id")
    ):
        latest[certificate.request_id] = certificate
    letters = []
    for request in requests:
        person = persons[request.person_id]
        last = latest.get(request.pk)
        stage = _stage(request, last)
        letters.append(
            Letter(
                reference=request.reference,
                year=request.year,
                language=_language(person.preferred_language),
                name=person.full_name,
                address=person.address,
                stage=stage,
                reminders=request.reminders,
                due_on=request.due_on,
                late=request.due_on < today,
                suspended_on=timezone.localdate(request.suspended_at) if request.suspended_at else None,
                refusal=RefusalReason(last.refusal_reason).label if stage == Stage.REFUSED and last is not None else "",
                confirmed_on=timezone.localdate(request.confirmed_at) if request.confirmed_at else None,
                confirmed_online=request.confirmed_by == LifeConfirmation.REMOTE_CHECK,
            )
        )
    return letters


def life_letters_pdf(*, request_ids: list[int], now: datetime.datetime) -> bytes:
    """One PDF of the requests' letters, in the order of their references (a request that does
    not exist is left out; ValueError when none does). Locks the requests: call it in the
    transaction that then calls ``life_letters_printed``."""
    with transaction.atomic():
        requests = list(
            LifeCertificateRequest.objects.select_for_update().filter(pk__in=list(request_ids)).order_by("pk")
        )
        if not requests:
            raise ValueError("no life certificate request to print")
        address = settings.INSTITUTION_POSTAL_ADDRESS
        context = {
            "letters": _letters(requests, timezone.localdate(now)),
            "written_on": timezone.localdate(now),
            "institution": settings.INSTITUTION_NAME,
            "institution_address": address,
            "post_to": ", ".join(part for part in (settings.INSTITUTION_NAME, address) if part),
            "portal_page": absolute_url(reverse("benefits:life_certificate")),
        }
        return pdf_render(
            template="benefits/life_letters_pdf.html", context=context, language=settings.LANGUAGE_CODE[:2]
        )


def life_letters_print(*, request_ids: list[int], now: datetime.datetime) -> tuple[bytes, list[int]]:
    """The requests' letters as one PDF, no longer due once made (one transaction: see the
    module's docstring); with the persons they are addressed to."""
    with transaction.atomic():
        content = life_letters_pdf(request_ids=request_ids, now=now)
        life_letters_printed(request_ids=request_ids, now=now)
    person_ids = list(
        LifeCertificateRequest.objects.filter(pk__in=request_ids).order_by("pk").values_list("person_id", flat=True)
    )
    return content, person_ids


def life_letters_printed(*, request_ids: list[int], now: datetime.datetime) -> int:
    """The requests' letters are printed: none is due any more (one statement). Returns how many
    requests were marked."""
    return LifeCertificateRequest.objects.filter(pk__in=list(request_ids)).update(
        letter_due=False, letters_printed_at=now
    )
