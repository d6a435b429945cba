"""What people are told about their life certificate: in their inbox and by e-mail (and their
proxies who manage their claims, with a copy); who cannot be told on the portal gets a letter
(the request's ``letter_due``, printed by staff)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.urls import reverse
from django.utils import timezone

from benefits.models import LifeCertificateRequest
from core.types import Scope
from identity.selectors import person_names
from mandates.selectors import recipients_with_proxies_for
from notifications.services import notify_many
from notifications.types import Notice

# The scope of the proxies who may send a certificate for the pensioner, and who are told.
SCOPE = Scope.MANAGE_CLAIMS


def _link() -> str:
    return reverse("benefits:life_certificate")


# Requests told at a time: a campaign of tens of thousands costs a few queries per chunk.
CHUNK = 5000


def tell(*, event: str, requests: Sequence[tuple[int, int, str, datetime.date]], now: datetime.datetime) -> list[int]:
    """Tell each request's person (``(request id, person id, reference, due day)``) about
    ``event``, with the proxies who manage their claims, a chunk at a time; returns the ids of the
    requests whose person nobody could be told on the portal: a letter is flagged for them."""
    by_post: list[int] = []
    for start in range(0, len(requests), CHUNK):
        by_post += _tell_chunk(event=event, requests=requests[start : start + CHUNK], now=now)
    return by_post


def _tell_chunk(
    *, event: str, requests: Sequence[tuple[int, int, str, datetime.date]], now: datetime.datetime
) -> list[int]:
    person_ids = sorted({person_id for _id, person_id, _ref, _due in requests})
    recipients = recipients_with_proxies_for(person_ids=person_ids, scope=SCOPE, on=timezone.localdate(now))
    names = person_names(person_ids=[person_id for person_id in person_ids if person_id in recipients])

    def notices() -> Iterable[Notice]:
        for _request_id, person_id, reference, due_on in requests:
            if person_id in recipients:
                yield Notice(
                    recipients=tuple(recipients[person_id]),
                    context={
                        "reference": reference,
                        "person": names.get(person_id, ""),
                        "due_on": due_on.isoformat(),
                    },
                    link=_link(),
                )

    notify_many(event=event, notices=notices(), now=now)
    by_post = [request_id for request_id, person_id, _ref, _due in requests if person_id not in recipients]
    if by_post:
        LifeCertificateRequest.objects.filter(pk__in=by_post).update(by_post=True, letter_due=True)
    return by_post


def tell_one(*, event: str, request: LifeCertificateRequest, now: datetime.datetime, **context: str) -> None:
    """One request's news (a certificate refused, the year confirmed), with extra context; a
    letter too when the request goes by post."""
    recipients = recipients_with_proxies_for(
        person_ids=[request.person_id], scope=SCOPE, on=timezone.localdate(now)
    ).get(request.person_id, [])
    if not recipients or request.by_post:
        LifeCertificateRequest.objects.filter(pk=request.pk).update(by_post=True, letter_due=True)
    if not recipients:
        return
    notify_many(
        event=event,
        notices=[
            Notice(
                recipients=tuple(recipients),
                context={
                    "reference": request.reference,
                    "person": person_names(person_ids=[request.person_id]).get(request.person_id, ""),
                    "due_on": request.due_on.isoformat(),
                    **context,
                },
                link=_link(),
            )
        ],
        now=now,
    )
