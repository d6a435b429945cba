"""Signed server-to-server messages (webhooks): ``<header>: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>">`` with the shared secret, as real providers sign their webhooks."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Sandbox-Signature"
TOLERANCE_SECONDS = 300


def sign(*, body: bytes, secret: str, at: int) -> str:
    """The signature header of ``body`` sent at ``at`` (a Unix time, from the caller's clock)."""
    timestamp = at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(*, body: bytes, header: str, secret: str, now: float) -> bool:
    """True for a signature made with ``secret`` within five minutes of ``now`` (a Unix time)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))
