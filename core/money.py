"""Money: Decimal amounts, rounded in one place with the legal rule (half up, to the cent)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def round_half_up(amount: Decimal) -> Decimal:
    """Round to the cent, halves away from zero (0.005 → 0.01), as contribution law requires."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
