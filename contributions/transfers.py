"""Paying by bank transfer: the institution's account (settings INSTITUTION_NAME, _IBAN, _BIC,
checked at start-up) and the EPC QR code a banking app scans to fill in a SEPA credit transfer
(European Payments Council, EPC069-12, version 002).

The payment references of the account are ISO 11649 creditor references (RF…, see
``ledger.structured_reference``): the QR code carries them as the structured remittance
information, so that the bank passes them on unchanged and the credit settles the right debits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import segno
import segno.helpers
from django.conf import settings
from stdnum import iban as stdnum_iban

# EPC069-12: character set 1 is UTF-8; the amount is "EUR" and at most two decimals, without
# trailing zeros (the form segno writes); no purpose code: ISO 20022 has none for contributions.
_CHARACTER_SET_UTF8 = 1


@dataclass(frozen=True)
class TransferDetails:
    """What a bank transfer to the institution needs: beneficiary, account, amount, reference."""

    beneficiary: str
    iban: str  # compact (no spaces)
    bic: str
    amount: Decimal
    reference: str

    @property
    def iban_display(self) -> str:
        """The IBAN in groups of four, as printed on bank documents."""
        return str(stdnum_iban.format(self.iban))


def transfer_details(*, amount: Decimal, reference: str) -> TransferDetails:
    return TransferDetails(
        beneficiary=settings.INSTITUTION_NAME.strip(),
        iban=settings.INSTITUTION_IBAN,
        bic=settings.INSTITUTION_BIC,
        amount=amount,
        reference=reference,
    )


def _epc_amount(amount: Decimal) -> str:
    return f"EUR{amount:.2f}".rstrip("0").rstrip(".")


def transfer_payload(details: TransferDetails) -> str:
    """The EPC QR code's content, one element a line: service tag, version, character set,
    identification, BIC, beneficiary, IBAN, amount, purpose, structured remittance (the creditor
    reference); the unstructured remittance line is left out as the standard requires when the
    structured one is given."""
    return "\n".join(
        [
            "BCD",
            "002",
            str(_CHARACTER_SET_UTF8),
            "SCT",
            details.bic,
            details.beneficiary,
            details.iban,
            _epc_amount(details.amount),
            "",
            details.reference,
        ]
    )


def transfer_qr(details: TransferDetails) -> segno.QRCode:
    """The EPC QR code, built by segno's helper, which checks the lengths and the amount range the
    standard sets and writes what ``transfer_payload`` says."""
    return segno.helpers.make_epc_qr(
        name=details.beneficiary,
        iban=details.iban,
        amount=details.amount,
        reference=details.reference,
        bic=details.bic,
        encoding=_CHARACTER_SET_UTF8,
    )


def transfer_qr_svg(details: TransferDetails, *, title: str) -> str:
    """The EPC QR code as inline SVG: an image named by ``title`` (no script, no request)."""
    svg: str = transfer_qr(details).svg_inline(
        scale=4, border=4, dark="#1b1b1b", light="#ffffff", title=title, svgclass="qr-code"
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)
