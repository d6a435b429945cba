"""CSV exports that spreadsheets open safely."""

from __future__ import annotations

from typing import Any


class Echo:
    """A file-like object for ``csv.writer`` that hands each row back (for streamed responses)."""

    def write(self, value: str) -> str:
        return value


def neutralised(value: Any) -> str:
    """A cell a spreadsheet would run as a formula is prefixed with an apostrophe (numbers,
    negative ones included, are left as they are)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
