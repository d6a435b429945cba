"""Calling an outside provider's JSON API (online payments, remote identity checks): a bearer
secret, an idempotency key on creation, a 10-second timeout; anything but a JSON answer is
``ProviderUnreachable``. And reading its signed callback (``signed_callback``). Each app's adapter
turns these errors into its own."""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from core.signatures import SIGNATURE_HEADER, verify


class ProviderUnreachable(Exception):
    """The provider could not be reached, answered an error, or not in JSON."""


def provider_call(
    *, base_url: str, secret: str, method: str, path: str, body: dict[str, str] | None = None, key: str = ""
) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    request = urllib.request.Request(  # noqa: S310 — the configured provider URL
        f"{base_url.rstrip('/')}{path}",
        data=json.dumps(body).encode() if body else None,
        method=method,
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answer: dict[str, str] = json.loads(response.read())
            return answer
    except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as error:
        raise ProviderUnreachable(str(error)) from error


class CallbackInvalid(Exception):
    """A provider's callback whose signature or content does not check out."""


def signed_callback(*, body: bytes, headers: Mapping[str, str], secret: str, now: datetime.datetime) -> Any:
    """The JSON of a provider's server-to-server callback signed with ``secret`` (core.signatures)
    within five minutes of ``now``; CallbackInvalid otherwise."""
    if not verify(body=body, header=headers.get(SIGNATURE_HEADER, ""), secret=secret, now=now.timestamp()):
        raise CallbackInvalid("bad signature")
    try:
        return json.loads(body)
    except ValueError as error:
        raise CallbackInvalid(str(error)) from error
