"""The remote identity check: the interface every real provider fits (start a check for a
person, send them to the provider's page, receive a signed server-to-server callback, query a
status), the adapter of the built-in sandbox (``check_sandbox``, reached over HTTP like any
provider), and the use cases that confirm the year's request exactly once.

A check is stored before the provider is called, with the form's one-time token, and the
provider is called with an idempotency key derived from it: a double click starts one check.
Settlement locks the check row: a repeated callback, a callback racing the pensioner's return
and the periodic poll settle once. Only the pensioner passes the check, in person: a proxy
sends a certificate instead.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.urls import reverse

from benefits.life.answers import life_confirm, open_request_locked
from benefits.models import LifeCertificateRequest, LifeCheck, LifeCheckStatus, LifeConfirmation
from benefits.types import LifeRefused
from core.actor import ActingMode, Actor
from core.errors import NotFound
from core.http import absolute_url
from core.providers import CallbackInvalid, ProviderUnreachable, provider_call, signed_callback
from identity.selectors import person_get

logger = logging.getLogger(__name__)

# A check still pending a day after it started was abandoned: it is cancelled without asking.
LIFE_CHECK_ABANDONED_HOURS = 24


@dataclass(frozen=True)
class ProviderCheck:
    provider_check_id: str
    redirect_url: str


@dataclass(frozen=True)
class ProviderCheckStatus:
    provider_check_id: str
    status: str  # pending, passed, failed, cancelled


# The provider could not be reached or answered an error (try again later); a callback whose
# signature or content does not check out (ignore it): core.providers' errors.
CheckProviderUnavailable = ProviderUnreachable
InvalidCheckCallback = CallbackInvalid


class IdentityCheckProvider(Protocol):
    name: str

    def start(
        self,
        *,
        reference: str,
        given_name: str,
        family_name: str,
        birth_date: datetime.date,
        return_url: str,
        callback_url: str,
        idempotency_key: str,
    ) -> ProviderCheck: ...

    def status(self, *, provider_check_id: str) -> ProviderCheckStatus: ...

    def parse_callback(
        self, *, body: bytes, headers: Mapping[str, str], now: datetime.datetime
    ) -> ProviderCheckStatus: ...


class SandboxCheckProvider:
    """The built-in sandbox (check_sandbox), reached over HTTP like any provider."""

    name = "sandbox"

    def __init__(self, *, base_url: str, secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.secret = secret

    def _call(self, method: str, path: str, body: dict[str, str] | None = None, key: str = "") -> dict[str, str]:
        return provider_call(base_url=self.base_url, secret=self.secret, method=method, path=path, body=body, key=key)

    @staticmethod
    def _status(answer: Mapping[str, str]) -> ProviderCheckStatus:
        try:
            return ProviderCheckStatus(provider_check_id=str(answer["id"]), status=str(answer["status"]))
        except (KeyError, TypeError) as error:
            raise InvalidCheckCallback(str(error)) from error

    def start(
        self,
        *,
        reference: str,
        given_name: str,
        family_name: str,
        birth_date: datetime.date,
        return_url: str,
        callback_url: str,
        idempotency_key: str,
    ) -> ProviderCheck:
        answer = self._call(
            "POST",
            "/api/checks/",
            {
                "reference": reference,
                "given_name": given_name,
                "family_name": family_name,
                "birth_date": birth_date.isoformat(),
                "return_url": return_url,
                "callback_url": callback_url,
            },
            key=idempotency_key,
        )
        try:
            return ProviderCheck(provider_check_id=str(answer["id"]), redirect_url=str(answer["redirect_url"]))
        except KeyError as error:
            raise CheckProviderUnavailable(str(error)) from error

    def status(self, *, provider_check_id: str) -> ProviderCheckStatus:
        return self._status(self._call("GET", f"/api/checks/{uuid.UUID(provider_check_id)}/"))

    def parse_callback(self, *, body: bytes, headers: Mapping[str, str], now: datetime.datetime) -> ProviderCheckStatus:
        return self._status(signed_callback(body=body, headers=headers, secret=self.secret, now=now))


def check_provider(name: str | None = None) -> IdentityCheckProvider:
    chosen = name or settings.LIFE_CHECK_PROVIDER
    if chosen == "sandbox":
        return SandboxCheckProvider(base_url=settings.LIFE_CHECK_SANDBOX_URL, secret=settings.LIFE_CHECK_SANDBOX_SECRET)
    raise ImproperlyConfigured(f"Unknown LIFE_CHECK_PROVIDER: {chosen!r}")


def check_start(
    *,
    actor: Actor,
    person_id: int,
    intent: uuid.UUID,
    now: datetime.datetime,
    provider: IdentityCheckProvider | None = None,
) -> LifeCheck:
    """Start (once per ``intent``) a remote identity check for the person's open request; the
    caller sends the pensioner to ``redirect_url``. Only the pensioner, signed in on their own
    file (NotFound for others; a proxy is told to send a certificate)."""
    if actor.user_id is None or actor.subject_person_id != person_id:
        raise NotFound
    if actor.mode != ActingMode.SELF or actor.person_id != person_id:
        raise LifeRefused("check_by_the_person")
    chosen = provider or check_provider()
    with transaction.atomic():
        existing = LifeCheck.objects.filter(intent=intent).select_related("request").first()
        if existing is not None:
            if existing.request.person_id != person_id:
                raise NotFound
            check = existing
        else:
            request = open_request_locked(person_id=person_id)
            if request is None:
                raise LifeRefused("nothing_asked")
            try:
                with transaction.atomic():
                    check = LifeCheck.objects.create(
                        request=request,
                        intent=intent,
                        provider=chosen.name,
                        started_at=now,
                        started_by_id=actor.user_id,
                    )
            except IntegrityError:  # the same click, a moment earlier: its check
                check = LifeCheck.objects.select_related("request").get(intent=intent)
                if check.request.person_id != person_id:
                    raise NotFound from None
    if check.redirect_url or check.status != LifeCheckStatus.PENDING:
        return check
    person = person_get(person_id=person_id)
    try:
        started = chosen.start(
            reference=check.request.reference,
            given_name=person.first_name,
            family_name=person.last_name,
            birth_date=person.birth_date,
            return_url=absolute_url(reverse("benefits:life_check_return", args=[check.pk])),
            callback_url=absolute_url(reverse("benefits:life_check_callback", args=[chosen.name])),
            idempotency_key=f"guichet-life-check-{check.intent}",
        )
    except CheckProviderUnavailable:
        raise LifeRefused("check_unavailable") from None
    LifeCheck.objects.filter(pk=check.pk, provider_check_id="").update(
        provider_check_id=started.provider_check_id, redirect_url=started.redirect_url
    )
    check.refresh_from_db()
    return check


_FINAL = {
    LifeCheckStatus.PASSED,
    LifeCheckStatus.FAILED,
    LifeCheckStatus.CANCELLED,
}


def check_settle(*, provider_name: str, reported: ProviderCheckStatus, now: datetime.datetime) -> LifeCheck | None:
    """Apply what the provider says of a check, once: the first final status wins; a pass
    confirms the year's request and resumes the benefits it suspended."""
    with transaction.atomic():
        check = (
            LifeCheck.objects.select_for_update()
            .filter(provider=provider_name, provider_check_id=reported.provider_check_id)
            .first()
        )
        if check is None:
            return None
        if check.status != LifeCheckStatus.PENDING or reported.status == LifeCheckStatus.PENDING:
            return check
        # A final answer the interface does not know (expired, rejected…) is a failure.
        status = reported.status if reported.status in _FINAL else LifeCheckStatus.FAILED
        LifeCheck.objects.filter(pk=check.pk).update(status=status, settled_at=now)
        if status == LifeCheckStatus.PASSED:
            request = LifeCertificateRequest.objects.select_for_update().get(pk=check.request_id)
            life_confirm(request=request, by=LifeConfirmation.REMOTE_CHECK, now=now)
        check.refresh_from_db()
        return check


def check_refresh(
    *, check: LifeCheck, now: datetime.datetime, provider: IdentityCheckProvider | None = None
) -> LifeCheck:
    """Ask the provider (the pensioner came back, or the callback is late) and settle."""
    if check.status != LifeCheckStatus.PENDING or not check.provider_check_id:
        return check
    chosen = provider or check_provider(check.provider)
    try:
        reported = chosen.status(provider_check_id=check.provider_check_id)
    except (CheckProviderUnavailable, InvalidCheckCallback):
        return check
    return check_settle(provider_name=check.provider, reported=reported, now=now) or check


def check_return(*, actor: Actor, check_id: int, now: datetime.datetime) -> LifeCheck:
    """The pensioner back from the provider's page: their check, settled if the provider says so."""
    check = LifeCheck.objects.select_related("request").filter(pk=check_id).first()
    if (
        check is None
        or actor.subject_person_id != check.request.person_id
        or actor.person_id != check.request.person_id
    ):
        raise NotFound
    return check_refresh(check=check, now=now)


def check_callback(
    *, provider_name: str, body: bytes, headers: Mapping[str, str], now: datetime.datetime
) -> LifeCheck | None:
    """A provider's signed server-to-server callback (InvalidCheckCallback when it does not check out)."""
    return check_settle(
        provider_name=provider_name,
        reported=check_provider(provider_name).parse_callback(body=body, headers=headers, now=now),
        now=now,
    )


def checks_reconcile(*, now: datetime.datetime, provider: IdentityCheckProvider | None = None) -> int:
    """Settle the checks still pending a while after they started (a lost callback, a pensioner
    who never came back), by asking the provider; a check abandoned for longer than
    ``LIFE_CHECK_ABANDONED_HOURS`` is cancelled here, unasked (the set polled stays small).
    Returns how many were settled."""
    abandoned = now - datetime.timedelta(hours=LIFE_CHECK_ABANDONED_HOURS)
    settled = LifeCheck.objects.filter(status=LifeCheckStatus.PENDING, started_at__lt=abandoned).update(
        status=LifeCheckStatus.CANCELLED, settled_at=now
    )
    horizon = now - datetime.timedelta(minutes=settings.PAYMENT_POLL_AFTER_MINUTES)
    pending = LifeCheck.objects.filter(
        status=LifeCheckStatus.PENDING, started_at__lt=horizon, started_at__gte=abandoned
    ).exclude(provider_check_id="")
    for check in pending.order_by("started_at")[:500]:
        if check_refresh(check=check, now=now, provider=provider).status != LifeCheckStatus.PENDING:
            settled += 1
    return settled
