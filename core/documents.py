"""Verifiable documents: the registry of what the portal issued, and the check of a code.

Each issued document (a compliance certificate, a contribution statement…) gets a random
verification code, printed on it in text and as a QR code. Anyone holding the code can check on
the public verification page that the document is authentic and still valid; they learn its
kind, its issue date, its validity and the holder's masked name — nothing more.

The code is 24 symbols from an alphabet without look-alikes (no 0/O, 1/I/L), about 119 bits
drawn by ``secrets``. Only its SHA-256 is stored, with the first group for staff to find a
document: the 20 symbols left (about 99 bits) cannot be searched from a leaked digest, so a
plain hash is enough and, unlike an HMAC keyed with ``SECRET_KEY``, the codes already printed
survive a rotation of the key.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.models import VerifiableDocument
from core.types import DocumentKind, DocumentSubject, IssuedDocument, VerificationResult

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 24
CODE_GROUP = 4
# What a person may type between the symbols: spaces, hyphens and dashes of any kind.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")

# Legal forms stay legible in a masked enterprise name: they say nothing about who it is.
LEGAL_FORMS = frozenset(
    {"ASBL", "BV", "CV", "COMMV", "EURL", "GIE", "NV", "SA", "SARL", "SAS", "SASU", "SC", "SCA", "SCI", "SCOMM"}
    | {"SCRL", "SCS", "SE", "SNC", "SPRL", "SRL", "VOF", "VZW"}
)
_MASK = "***"


def code_normalise(code: str) -> str | None:
    """The code as stored (upper case, without separators), or None when it cannot be one."""
    compact = _SEPARATORS.sub("", code).upper()
    if len(compact) != CODE_LENGTH or any(symbol not in CODE_ALPHABET for symbol in compact):
        return None
    return compact


def code_format(compact: str) -> str:
    """``XXXX-XXXX-XXXX-XXXX-XXXX-XXXX``: groups of four, as printed and typed."""
    return "-".join(compact[index : index + CODE_GROUP] for index in range(0, len(compact), CODE_GROUP))


def code_digest(compact: str) -> str:
    return hashlib.sha256(compact.encode("ascii")).hexdigest()


def verification_page_url() -> str:
    """The absolute address of the public verification page (printed on documents)."""
    return f"{settings.SITE_URL.rstrip('/')}{reverse('portal:verify')}"


def verification_url(code: str) -> str:
    """The address that verifies ``code`` at once (what the QR code on a document holds)."""
    return f"{verification_page_url()}?{urlencode({'code': code})}"


def _word_mask(word: str, *, keep: int) -> str:
    letters = [index for index, symbol in enumerate(word) if symbol.isalnum()]
    if not letters:
        return word  # "&", "-": nothing to hide
    return word[: letters[min(keep, len(letters)) - 1] + 1] + _MASK


def holder_name_mask(name: str, *, subject_type: str) -> str:
    """The name as the verification page shows it: enough for someone who knows the holder to
    recognise it, too little to learn it. A person keeps the initial of each name ("Marie
    Dupont" → "M*** D***"); an enterprise the first half of each word, at most four letters,
    and its legal form ("Boulangerie Dupont SRL" → "Boul*** Dup*** SRL"). Every masked word
    ends with the same mark, whatever its length."""
    masked = []
    for word in name.split():
        if subject_type != DocumentSubject.PERSON and word.strip(".,").replace(".", "").upper() in LEGAL_FORMS:
            masked.append(word)
            continue
        parts: list[str] = []
        for part in word.split("-"):
            if not part:
                parts.append(part)
                continue
            letters = sum(symbol.isalnum() for symbol in part)
            keep = 1 if subject_type == DocumentSubject.PERSON else max(1, min(4, letters // 2))
            parts.append(_word_mask(part, keep=keep))
        masked.append("-".join(parts))
    return " ".join(masked)


def document_register(
    *,
    kind: str,
    holder_name: str,
    subject_type: str,
    subject_id: int,
    valid_until: datetime.date | None,
    issued_by_id: int | None,
    now: datetime.datetime,
) -> tuple[int, str]:
    """Register a document about to be issued; returns its id and its verification code,
    formatted, in clear — the only time the code exists outside the document itself. The
    caller renders the document with the code, then records its hash with
    ``document_set_content_hash`` (in the same transaction, so that a failed rendering leaves
    no document behind)."""
    if kind not in DocumentKind.values:
        raise ValueError(f"unknown document kind: {kind!r}")
    if subject_type not in DocumentSubject.values:
        raise ValueError(f"unknown document subject: {subject_type!r}")
    if valid_until is not None and valid_until < timezone.localdate(now):
        raise ValueError("a document cannot expire before it is issued")
    compact = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    document = VerifiableDocument.objects.create(
        kind=kind,
        code_digest=code_digest(compact),
        code_prefix=compact[:CODE_GROUP],
        issued_at=now,
        valid_until=valid_until,
        holder_name_masked=holder_name_mask(holder_name, subject_type=subject_type)[:200],
        subject_type=subject_type,
        subject_id=subject_id,
        issued_by_id=issued_by_id,
    )
    return document.pk, code_format(compact)


def document_set_content_hash(*, document_id: int, content: bytes) -> str:
    """Record the SHA-256 of the issued file (a verifier may compare it with the file they were
    given); returns it. Set once: a document's content never changes afterwards."""
    digest = hashlib.sha256(content).hexdigest()
    updated = VerifiableDocument.objects.filter(pk=document_id, content_sha256="").update(content_sha256=digest)
    if not updated:
        raise LookupError(f"no document {document_id} waiting for its content")
    return digest


class DocumentLimitReached(DomainError):
    """Too many documents of a kind issued for one holder today (each is a PDF to render and a
    row kept for verification)."""

    messages = {
        "document_limit": _(
            "The limit of documents of this kind issued today is reached. Use one already issued (it stays "
            "valid), or try again tomorrow."
        )
    }

    def __init__(self, code: str = "document_limit") -> None:
        super().__init__(code)


def documents_issued_today(*, kind: str, subject_type: str, subject_id: int, now: datetime.datetime) -> int:
    """How many documents of ``kind`` the holder was issued on the local day of ``now`` (what
    ``DOCUMENTS_PER_HOLDER_PER_DAY`` bounds)."""
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return VerifiableDocument.objects.filter(
        kind=kind, subject_type=subject_type, subject_id=subject_id, issued_at__gte=day_start
    ).count()


def document_issue(
    *,
    kind: str,
    holder_name: str,
    subject_type: str,
    subject_id: int,
    valid_until: datetime.date | None,
    issued_by_id: int | None,
    now: datetime.datetime,
    render: Callable[[str], bytes],
) -> IssuedDocument:
    """Register a document, render it with its code (``render(code)`` returns the file) and
    record the file's SHA-256, in one transaction: a failed rendering leaves no code that
    verifies (a caller that keeps the file does so in its own transaction around this one, so
    that the code and the file kept exist together or not at all). At most
    ``DOCUMENTS_PER_HOLDER_PER_DAY`` of a kind for one holder a day (DocumentLimitReached)."""
    issued_today = documents_issued_today(kind=kind, subject_type=subject_type, subject_id=subject_id, now=now)
    if issued_today >= settings.DOCUMENTS_PER_HOLDER_PER_DAY:
        raise DocumentLimitReached
    with transaction.atomic():
        document_id, code = document_register(
            kind=kind,
            holder_name=holder_name,
            subject_type=subject_type,
            subject_id=subject_id,
            valid_until=valid_until,
            issued_by_id=issued_by_id,
            now=now,
        )
        content = render(code)
        document_set_content_hash(document_id=document_id, content=content)
    return IssuedDocument(document_id=document_id, code=code, content=content)


def document_revoke(*, document_id: int, now: datetime.datetime) -> bool:
    """Withdraw a document: its code no longer verifies. Returns whether this call revoked it."""
    return bool(VerifiableDocument.objects.filter(pk=document_id, revoked_at__isnull=True).update(revoked_at=now))


def document_verify(*, code: str, now: datetime.datetime) -> VerificationResult | None:
    """What the document of ``code`` may tell anyone, or None when no document has this code.
    A revoked or expired document is found, marked not valid: the page decides what to show."""
    compact = code_normalise(code)
    if compact is None:
        return None
    document = (
        VerifiableDocument.objects.filter(code_digest=code_digest(compact))
        .only("kind", "issued_at", "valid_until", "revoked_at", "holder_name_masked", "content_sha256")
        .first()
    )
    # A document whose rendering has not completed was never handed to anyone.
    if document is None or not document.content_sha256:
        return None
    revoked = document.revoked_at is not None and document.revoked_at <= now
    expired = document.valid_until is not None and timezone.localdate(now) > document.valid_until
    return VerificationResult(
        kind=document.kind,
        issued_at=document.issued_at,
        valid_until=document.valid_until,
        is_valid_now=not revoked and not expired and document.issued_at <= now,
        revoked=revoked,
        holder_name_masked=document.holder_name_masked,
    )


# --- Rendering: one way for every app's PDFs ------------------------------------------------------

PDF_FONTS = {
    "regular": "guichet/fonts/public-sans/PublicSans-Regular.woff2",
    "bold": "guichet/fonts/public-sans/PublicSans-Bold.woff2",
}


def _font_urls() -> dict[str, str]:
    """file:// URLs of the embedded fonts (a missing one falls back to the default sans-serif)."""
    from django.contrib.staticfiles import finders

    urls = {}
    for weight, name in PDF_FONTS.items():
        found = finders.find(name)
        if isinstance(found, str):
            urls[weight] = Path(found).resolve().as_uri()
    return urls


def qr_code_data_uri(url: str) -> str:
    """A QR code of ``url`` as an SVG data: URI, which the PDFs' fetcher allows: nothing is fetched."""
    import segno

    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=4, dark="#1b1b1b"))


@functools.cache
def _font_configuration() -> Any:
    """One font configuration per process: WeasyPrint loads the embedded fonts once (it keys
    them by their @font-face rule), where a configuration per document costs 0.15 s a PDF."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def pdf_render(*, template: str, context: dict[str, Any], language: str) -> bytes:
    """An A4 PDF of ``template`` (which extends ``documents/pdf_base.html``) rendered in
    ``language``: a tagged PDF/UA with its title and language, for screen readers. Only local
    files (the fonts) and inline data are read: a template never makes the server fetch a URL."""
    import weasyprint

    with translation.override(language):
        html = render_to_string(template, {**context, "language": language, "fonts": _font_urls()})
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"file", "data"})
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    return bytes(document.write_pdf(pdf_variant="pdf/ua-1", font_config=_font_configuration()))
