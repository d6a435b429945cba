"""The civil registry's partners and how their requests are trusted.

A partner presents ``Authorization: Partner <key>`` (the key is stored as a digest, shown once
when staff create the partner) and signs the raw body with its secret:
``X-Guichet-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (core.signatures),
within five minutes of our clock. The same signature is accepted once: a replay is refused.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from benefits.models import LifeEventKind, PartnerRequest, RegistryPartner
from benefits.types import PartnerRefused
from core.signatures import TOLERANCE_SECONDS, verify

SIGNATURE_HEADER = "X-Guichet-Signature"
KEY_PREFIX = "gcr_"


@dataclass(frozen=True)
class PartnerCredential:
    partner_id: int
    name: str
    scopes: frozenset[str]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def partner_create(
    *, name: str, scopes: list[str], user_id: int | None, now: datetime.datetime
) -> tuple[int, str, str]:
    """A new partner with the kinds of events it may send. Returns (id, key, signing secret):
    neither is shown again (the key is kept as its digest)."""
    chosen = sorted(set(scopes))
    if not chosen or any(scope not in LifeEventKind.values for scope in chosen):
        raise PartnerRefused("partner_scopes")
    if not name.strip():
        raise PartnerRefused("partner_name")
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}.{secrets.token_urlsafe(32)}"
    secret = secrets.token_hex(32)
    try:
        with transaction.atomic():
            partner = RegistryPartner.objects.create(
                name=name.strip()[:120],
                key_prefix=prefix,
                key_digest=_digest(key),
                signing_secret=secret,
                scopes=chosen,
                created_at=now,
                registered_by_id=user_id,
            )
    except IntegrityError as error:
        raise PartnerRefused("partner_name_taken") from error
    return partner.pk, key, secret


def partner_revoke(*, partner_id: int, now: datetime.datetime) -> None:
    RegistryPartner.objects.filter(pk=partner_id, revoked_at__isnull=True).update(revoked_at=now)


def partner_authenticate(*, key: str) -> RegistryPartner | None:
    """The partner of a key still in force, or None."""
    if not key.startswith(KEY_PREFIX) or "." not in key:
        return None
    prefix = key[len(KEY_PREFIX) :].split(".", 1)[0]
    partner = RegistryPartner.objects.filter(key_prefix=prefix, revoked_at__isnull=True).first()
    if partner is None or not hmac.compare_digest(partner.key_digest, _digest(key)):
        return None
    return partner


def request_check(
    *, partner: RegistryPartner, body: bytes, signature_header: str, now: datetime.datetime
) -> PartnerCredential:
    """The request's signature checked and remembered (a replay raises ``replayed``), in the
    caller's transaction: if what follows fails, the signature may be sent again."""
    if not verify(body=body, header=signature_header, secret=partner.signing_secret, now=now.timestamp()):
        raise PartnerRefused("signature_invalid")
    digest = dict(part.split("=", 1) for part in signature_header.split(",") if "=" in part).get("v1", "")
    try:
        with transaction.atomic():
            PartnerRequest.objects.create(partner=partner, signature=digest[:64], received_at=now)
    except IntegrityError as error:
        raise PartnerRefused("replayed") from error
    return PartnerCredential(partner_id=partner.pk, name=partner.name, scopes=frozenset(partner.scopes))


def partner_requests_purge(*, now: datetime.datetime) -> int:
    """Signatures older than twice their tolerance cannot be replayed any more (too old)."""
    cutoff = now - datetime.timedelta(seconds=2 * TOLERANCE_SECONDS)
    deleted, _ = PartnerRequest.objects.filter(received_at__lt=cutoff).delete()
    return deleted
