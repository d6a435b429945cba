"""PDF documents of the contributions app, rendered by WeasyPrint from Django templates."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

from contributions.selectors import declaration_receipt_get

FONTS = {
    "regular": "guichet/fonts/public-sans/PublicSans-Regular.woff2",
    "bold": "guichet/fonts/public-sans/PublicSans-Bold.woff2",
}


# A PDF is rendered in the request (about 1 s for a page of lines): the receipt of a large
# declaration lists its first lines only; every line is on the receipt page and in the API.
RECEIPT_PDF_MAX_LINES = 200


@dataclass(frozen=True)
class Pdf:
    filename: str
    content: bytes


def _font_urls() -> dict[str, str]:
    """file:// URLs of the embedded fonts (a missing one falls back to the default sans-serif)."""
    urls = {}
    for weight, name in FONTS.items():
        found = finders.find(name)
        if isinstance(found, str):
            urls[weight] = Path(found).resolve().as_uri()
    return urls


def declaration_receipt_pdf(*, enterprise_id: int, declaration_id: int, language: str) -> Pdf:
    """The receipt of one of the enterprise's declarations as an A4 PDF in ``language``
    (LookupError for a declaration of another enterprise; the caller has checked who may see it)."""
    import weasyprint

    with translation.override(language):
        receipt = declaration_receipt_get(enterprise_id=enterprise_id, declaration_id=declaration_id)
        html = render_to_string(
            "contributions/receipt_pdf.html",
            {
                "receipt": receipt,
                "lines": receipt.lines[:RECEIPT_PDF_MAX_LINES],
                "lines_left_out": len(receipt.lines) > RECEIPT_PDF_MAX_LINES,
                "language": language,
                "fonts": _font_urls(),
            },
        )
    # Only local files (the fonts) and inline data: a template never makes the server fetch a URL.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"file", "data"})
    # PDF/UA: a tagged PDF with its title and language, for screen readers.
    content = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(pdf_variant="pdf/ua-1")
    return Pdf(filename=f"{receipt.reference}.pdf", content=content)


@dataclass(frozen=True)
class CertificateContent:
    """What the compliance certificate says (contributions.certificates decides it)."""

    enterprise_name: str
    enterprise_number_display: str
    as_of: datetime.date
    issued_at: datetime.datetime
    valid_until: datetime.date
    code: str
    verification_page: str
    verification_url: str


def compliance_certificate_pdf(*, certificate: CertificateContent, language: str) -> Pdf:
    """The compliance certificate as an A4 PDF in ``language``, with its verification code in
    text and as a QR code of the verification address."""
    import segno
    import weasyprint

    # The QR code goes in as an SVG data: URI, which the fetcher below allows: nothing is fetched.
    qr_code = segno.make(certificate.verification_url, error="m").svg_data_uri(scale=4, border=4, dark="#1b1b1b")
    with translation.override(language):
        html = render_to_string(
            "contributions/certificate_pdf.html",
            {
                "certificate": certificate,
                "qr_code": qr_code,
                "language": language,
                "fonts": _font_urls(),
            },
        )
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"file", "data"})
    content = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf(pdf_variant="pdf/ua-1")
    return Pdf(filename=f"compliance-certificate-{certificate.as_of.isoformat()}.pdf", content=content)
