"""Money: Decimal amounts, rounded in one place with the legal rule (half up, to the cent)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats
from django.utils.translation import get_language

CENT = Decimal("0.01")


def round_half_up(amount: Decimal) -> Decimal:
    """Round to the cent, halves away from zero (0.005 → 0.01), as contribution law requires."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# The one notation of an amount, on every channel: ASCII digits, then at most two decimals after
# a point (a decimal comma where the channel allows it: the form, and the semicolon variant of
# the files, which turns it into a point before the line is checked). No sign, exponent,
# grouping, other digits, nor a point without digits on both sides: a payroll export's stray
# "1e3" or "1_000.00" is a line error, never a guess. A leading minus is told apart (negative).
_AMOUNT = re.compile(r"(-?)([0-9]{1,12}(?:\.[0-9]{1,2})?)")


def amount_parse(value: str, *, decimal_comma: bool = False) -> Decimal | None:
    """The amount ``value`` writes in the documented notation, or None; a negative amount comes
    back negative (the caller refuses it with its own message)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if decimal_comma and "." not in text:
        text = text.replace(",", ".", 1)
    match = _AMOUNT.fullmatch(text)
    if match is None:
        return None
    amount = Decimal(match.group(2))
    return amount.copy_negate() if match.group(1) else amount  # "-0.00" stays signed


_SEPARATORS: dict[str, tuple[str, str]] = {}


def amount_text(value: Decimal | int | float | str | None) -> str:
    """An amount with two decimals, grouped, with the active language's separators: "1 234,50"
    in French, "1,234.50" in English (pages, letters and worded explanations alike). Formatted in
    Python: pages listing hundreds of amounts stay fast (``floatformat`` costs a tenth of a
    millisecond a number)."""
    if value is None or value == "":
        return ""
    language = get_language() or "fr"
    if language not in _SEPARATORS:
        _SEPARATORS[language] = (
            str(formats.get_format("THOUSAND_SEPARATOR", language)),
            str(formats.get_format("DECIMAL_SEPARATOR", language)),
        )
    thousands, decimal = _SEPARATORS[language]
    text = f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)
