"""The sandbox's server-to-server callback: POSTed to the merchant, signed, retried with backoff
until the merchant answers 2xx."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from check_sandbox.models import SandboxCheck
from core.signatures import SIGNATURE_HEADER, sign


class CallbackNotDelivered(Exception):
    pass


def callback_deliver(*, check_id: str) -> bool:
    """POST the check's status to the merchant's callback URL; True when it answered 2xx."""
    check = SandboxCheck.objects.filter(pk=check_id).first()
    if check is None or check.status == SandboxCheck.Status.PENDING or check.callback_delivered_at:
        return True
    if not check.callback_url.startswith(("http://", "https://")):
        return False
    body = json.dumps({"id": str(check.pk), "status": check.status, "reference": check.reference}).encode()
    request = urllib.request.Request(  # noqa: S310 — the merchant's own callback URL, http(s) only
        check.callback_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            # The provider's own clock signs its message, as a real provider's would.
            SIGNATURE_HEADER: sign(body=body, secret=settings.LIFE_CHECK_SANDBOX_SECRET, at=int(time.time())),
        },
    )
    SandboxCheck.objects.filter(pk=check.pk).update(callback_attempts=F("callback_attempts") + 1)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            delivered = 200 <= response.status < 300
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        delivered = False
    if delivered:
        SandboxCheck.objects.filter(pk=check.pk).update(callback_delivered_at=timezone.now())
    return delivered


@shared_task(name="check_sandbox.callback_send", bind=True, max_retries=8, acks_late=True)
def callback_send(self: Any, *, check_id: str, **_kwargs: Any) -> None:
    if not callback_deliver(check_id=check_id):
        raise self.retry(countdown=min(30 * 2**self.request.retries, 3600), exc=CallbackNotDelivered(check_id))
