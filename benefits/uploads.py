"""The documents people send (to a claim, as a life certificate): checked by what they contain,
not by their name.

A PDF must open as one (pypdf reads its pages), an image must decode (Pillow verifies it); the
type kept is the one found, and the name kept is stripped of anything but letters, digits, dots,
hyphens and underscores. The size is bounded before anything is read.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from benefits.types import ClaimRefused
from core.sizes import file_size

ACCEPTED = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    content: bytes
    sha256: str


def _content_type(content: bytes) -> str | None:
    if content.startswith(b"%PDF-"):
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError

        try:
            pages = len(PdfReader(io.BytesIO(content), strict=False).pages)
        except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
            return None
        return "application/pdf" if pages > 0 else None
    if content.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(content)) as image:
                found = {"JPEG": "image/jpeg", "PNG": "image/png"}.get(image.format or "")
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            return None
        return found
    return None


def _safe_name(name: str, extension: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem = _SAFE_NAME.sub("-", ascii_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip("-.") or "document"
    stem = stem.rsplit(".", 1)[0][:80] or "document"
    return f"{stem}{extension}"


def file_check(*, name: str, size: int, read: Callable[[], bytes]) -> CheckedFile:
    """``read`` is the upload's ``read`` (called only when the size is within the limit)."""
    if size <= 0:
        raise ClaimRefused("document_empty")
    if size > settings.CLAIM_DOCUMENT_MAX_BYTES:
        raise ClaimRefused("document_too_large", params={"size": file_size(settings.CLAIM_DOCUMENT_MAX_BYTES)})
    content = read()
    if not isinstance(content, bytes) or len(content) != size:
        raise ClaimRefused("document_unreadable")
    content_type = _content_type(content)
    if content_type is None:
        raise ClaimRefused("document_type")
    return CheckedFile(
        filename=_safe_name(name, ACCEPTED[content_type]),
        content_type=content_type,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )
