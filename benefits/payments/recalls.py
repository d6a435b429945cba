"""Transfers recalled from the bank: a payment already in a bank file, to a person reported dead
before its payment date, is asked back from the bank rather than from the estate.

- ``recalls_request`` (run by ``deaths_apply``, in its transaction): each such payment gets a
  recall, and the recalls not sent yet are written into one ``camt.055.001.08`` payment
  cancellation request (``RecallFile``) for finance to send with the next files.
- The bank's answer, a ``camt.029`` resolution of investigation, imported like its ``pain.002``
  reports (``resolution_import``): a cancelled transfer stops the payment (its months up to the
  death are paid again by the next run, to the account on file); a refused one (already
  executed) is asked back from the estate by the next ``deaths_apply``, which the import runs.
- A ``pain.002`` answering the transfer first settles the recall too (``recalls_settle``): paid,
  the recall failed; rejected, nothing left the institution.

The payment date is the bank's execution day: on and after it, a transfer is not recalled (it
is asked back from the estate).
"""

from __future__ import annotations

import datetime
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from benefits.models import (
    BankAnswer,
    Payment,
    PaymentFile,
    PaymentRecall,
    PaymentStatus,
    RecallFile,
    RecallStatus,
    RunStatus,
)
from benefits.payments.iso import quoted, text, transactions_named
from benefits.registry_table import PERSON_TABLE
from benefits.types import PaymentRefused

CAMT055 = "urn:iso:std:iso:20022:tech:xsd:camt.055.001.08"
# ExternalCancellationReason1Code: undue payment (the beneficiary died before it was due).
REASON_CODE = "UPAY"
REASON_TEXT = "Beneficiary deceased before the payment date"

_PERSON = PERSON_TABLE

# A payment to a person reported dead, covering a month after the death, pending in a file the
# bank has (written), whose payment date has not come.
_REQUEST = f"""
INSERT INTO benefits_paymentrecall (payment_id, status, requested_at, answer_code)
SELECT p.id, %(requested)s, %(now)s, ''
FROM benefits_payment p
JOIN {_PERSON} person ON person.id = p.person_id AND person.death_date IS NOT NULL
JOIN benefits_paymentrun run ON run.id = p.run_id
WHERE p.status = 'pending' AND run.pay_on > %(today)s
  AND upper(p.months) > (date_trunc('month', person.death_date) + interval '1 month')::date
  AND EXISTS (SELECT 1 FROM benefits_paymentfile f
              WHERE f.run_id = p.run_id AND p.id BETWEEN f.first_payment_id AND f.last_payment_id
                AND f.content IS NOT NULL)
ON CONFLICT (payment_id) DO NOTHING
"""  # noqa: S608


def recalls_request(*, now: datetime.datetime) -> int:
    """Recall the transfers due (see the module) and write the recall file of those not sent
    yet. Returns how many recalls this call asked. Runs in the caller's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_REQUEST, {"requested": RecallStatus.REQUESTED, "now": now, "today": timezone.localdate(now)})
        asked = cursor.rowcount
    recall_file_write(now=now)
    return asked


@dataclass(frozen=True)
class _Recalled:
    recall_id: int
    end_to_end_id: str
    amount: Decimal
    pay_on: datetime.date
    file_message_id: str
    file_created_at: datetime.datetime


def _unsent() -> list[_Recalled]:
    """The recalls asked and not in a recall file, locked, by the bank file that holds them."""
    recalls = list(
        PaymentRecall.objects.select_for_update()
        .filter(file__isnull=True, status=RecallStatus.REQUESTED)
        .values_list("pk", "payment_id")
    )
    if not recalls:
        return []
    payments = {
        row[0]: row[1:]
        for row in Payment.objects.filter(pk__in=[payment_id for _pk, payment_id in recalls]).values_list(
            "pk", "run_id", "end_to_end_id", "amount", "run__pay_on", "run__approved_at", "run__prepared_at"
        )
    }
    runs = {run_id for run_id, *_rest in payments.values()}
    files = list(
        PaymentFile.objects.filter(run_id__in=runs, content__isnull=False).values_list(
            "run_id", "first_payment_id", "last_payment_id", "message_id"
        )
    )
    found = []
    for recall_id, payment_id in recalls:
        run_id, end_to_end_id, amount, pay_on, approved_at, prepared_at = payments[payment_id]
        message_id = next(
            message for run, first, last, message in files if run == run_id and first <= payment_id <= last
        )
        found.append(_Recalled(recall_id, end_to_end_id, amount, pay_on, message_id, approved_at or prepared_at))
    return sorted(found, key=lambda recalled: (recalled.file_message_id, recalled.end_to_end_id))


def recall_file_write(*, now: datetime.datetime) -> RecallFile | None:
    """One ``camt.055`` file of the recalls not sent yet (none when there are none)."""
    recalled = _unsent()
    if not recalled:
        return None
    recall_file = RecallFile.objects.create(
        message_id="",
        recalls=len(recalled),
        total=sum((item.amount for item in recalled), Decimal("0.00")),
        content=b"",
        sha256="",
        written_at=now,
    )
    recall_file.message_id = f"GUI-RCL-{now:%Y%m%d}-{recall_file.pk}"
    recall_file.content = camt055(recall_file, recalled)
    recall_file.sha256 = hashlib.sha256(recall_file.content).hexdigest()
    recall_file.save(update_fields=["message_id", "content", "sha256"])
    PaymentRecall.objects.filter(pk__in=[item.recall_id for item in recalled]).update(file=recall_file)
    return recall_file


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    node = ET.SubElement(parent, tag, attributes)
    if text is not None:
        node.text = text
    return node


def _party(parent: ET.Element, tag: str, *, agent: bool) -> None:
    """A Party40Choice: the institution by its name, or its bank by its BIC."""
    node = _element(parent, tag)
    if agent:
        _element(_element(_element(node, "Agt"), "FinInstnId"), "BICFI", settings.INSTITUTION_BIC)
    else:
        _element(_element(node, "Pty"), "Nm", settings.INSTITUTION_NAME)


def _stamp(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S")


def camt055(recall_file: RecallFile, recalled: Iterable[_Recalled]) -> bytes:
    """The ``CustomerPaymentCancellationRequestV08``: the case (the file's message id), its
    control sums, and per original ``pain.001`` file its payment information (``<msg>-1``: one
    per file, all transfers of a run share the execution date) and the transfers recalled, each
    by its end-to-end id, amount and execution date, for an undue payment."""
    items = list(recalled)
    document = ET.Element("Document", {"xmlns": CAMT055})
    request = _element(document, "CstmrPmtCxlReq")
    assignment = _element(request, "Assgnmt")
    _element(assignment, "Id", recall_file.message_id)
    _party(assignment, "Assgnr", agent=False)
    _party(assignment, "Assgne", agent=True)
    _element(assignment, "CreDtTm", _stamp(recall_file.written_at))
    case = _element(request, "Case")
    _element(case, "Id", recall_file.message_id)
    _party(case, "Cretr", agent=False)
    control = _element(request, "CtrlData")
    _element(control, "NbOfTxs", str(len(items)))
    _element(control, "CtrlSum", f"{sum((item.amount for item in items), Decimal('0.00')):.2f}")
    underlying = _element(request, "Undrlyg")
    for message_id, group in groupby(items, key=lambda item: item.file_message_id):
        transfers = list(group)
        instruction = _element(underlying, "OrgnlPmtInfAndCxl")
        _element(instruction, "OrgnlPmtInfId", f"{message_id}-1"[:35])
        original = _element(instruction, "OrgnlGrpInf")
        _element(original, "OrgnlMsgId", message_id)
        _element(original, "OrgnlMsgNmId", "pain.001.001.03")
        _element(original, "OrgnlCreDtTm", transfers[0].file_created_at.strftime("%Y-%m-%dT%H:%M:%S"))
        _element(instruction, "NbOfTxs", str(len(transfers)))
        _element(instruction, "CtrlSum", f"{sum((item.amount for item in transfers), Decimal('0.00')):.2f}")
        _element(instruction, "PmtInfCxl", "false")
        for item in transfers:
            transaction = _element(instruction, "TxInf")
            _element(transaction, "CxlId", f"GUI-RCL-{item.recall_id}")
            _element(transaction, "OrgnlEndToEndId", item.end_to_end_id)
            _element(transaction, "OrgnlInstdAmt", f"{item.amount:.2f}", Ccy="EUR")
            _element(_element(transaction, "OrgnlReqdExctnDt"), "Dt", item.pay_on.isoformat())
            reason = _element(transaction, "CxlRsnInf")
            _element(_element(reason, "Rsn"), "Cd", REASON_CODE)
            _element(reason, "AddtlInf", REASON_TEXT)
    ET.indent(document)
    return ET.tostring(document, encoding="UTF-8", xml_declaration=True)


# --- The bank's answer -------------------------------------------------------------------------

# camt.029 cancellation statuses: cancelled (or accepted to be), and refused.
_CANCELLED = {"CNCL", "ACCR"}
_REFUSED = {"RJCR"}


@dataclass(frozen=True)
class Resolution:
    message_id: str
    case_id: str
    # The case's confirmation (CNCL, RJCR, ...), for an answer that names no transfer.
    confirmation: str
    # (end-to-end id, status, reason code) of each transfer it names.
    transactions: tuple[tuple[str, str, str], ...]


def resolution_parse(resolution: Any) -> Resolution:
    """Read a ``camt.029``'s ResolutionOfInvestigation (any version)."""
    message_id = text(resolution, "Assgnmt", "Id")
    if not message_id:
        raise PaymentRefused("answer_unreadable", params={"detail": "RsltnOfInvstgtn/Assgnmt/Id"})
    return Resolution(
        message_id=message_id[:35],
        case_id=text(resolution, "RslvdCase", "Id"),
        confirmation=text(resolution, "Sts", "Conf"),
        transactions=transactions_named(resolution, status="TxCxlSts", reason=("CxlStsRsnInf", "Rsn", "Cd")),
    )


@dataclass(frozen=True)
class ResolutionImported:
    cancelled: int
    refused: int
    unknown: int


def resolution_import(
    *, resolution: Resolution, content: bytes, user_id: int, now: datetime.datetime
) -> ResolutionImported:
    """Apply the bank's answer to the recalls it names (or, naming none, to every recall of the
    case it resolves), in the caller's transaction: a cancelled transfer's payment is stopped, a
    refused one is asked back from the estate. A recall already answered, or a transfer not
    recalled, is counted and left."""
    open_recalls = PaymentRecall.objects.filter(
        status=RecallStatus.REQUESTED, payment__status=PaymentStatus.PENDING, payment__run__status=RunStatus.EXPORTED
    )
    outcomes: dict[str, list[tuple[str, str]]] = {"cancelled": [], "refused": []}
    if resolution.transactions:
        for end_to_end_id, status, code in resolution.transactions:
            if status in _CANCELLED:
                outcomes["cancelled"].append((end_to_end_id, code or status))
            elif status in _REFUSED:
                outcomes["refused"].append((end_to_end_id, code or status))
    elif resolution.confirmation in _CANCELLED | _REFUSED and resolution.case_id:
        kind = "cancelled" if resolution.confirmation in _CANCELLED else "refused"
        outcomes[kind] = [
            (end_to_end_id, resolution.confirmation)
            for end_to_end_id in open_recalls.filter(file__message_id=resolution.case_id).values_list(
                "payment__end_to_end_id", flat=True
            )
        ]
    counts: dict[str, int] = {}
    for kind, named in outcomes.items():
        codes = dict(named)
        rows = list(
            open_recalls.filter(payment__in=Payment.objects.filter(quoted(list(codes))))
            .select_for_update(of=("self",))
            .values_list("pk", "payment_id", "payment__end_to_end_id")
        )
        for recall_id, payment_id, end_to_end_id in rows:
            status = RecallStatus.CANCELLED if kind == "cancelled" else RecallStatus.REFUSED
            PaymentRecall.objects.filter(pk=recall_id).update(
                status=status, answered_at=now, answer_code=codes[end_to_end_id]
            )
            if kind == "cancelled":
                Payment.objects.filter(pk=payment_id).update(
                    status=PaymentStatus.STOPPED, answered_at=now, rejection_code="RECALLED"
                )
        counts[kind] = len(rows)
    unknown = len(outcomes["cancelled"]) + len(outcomes["refused"]) - counts["cancelled"] - counts["refused"]
    BankAnswer.objects.create(
        message_id=resolution.message_id,
        imported_at=now,
        imported_by_id=user_id,
        paid=0,
        rejected=0,
        unknown=unknown,
        cancelled=counts["cancelled"],
        not_cancelled=counts["refused"],
        content=content,
    )
    return ResolutionImported(cancelled=counts["cancelled"], refused=counts["refused"], unknown=unknown)


def recalls_settle(*, now: datetime.datetime) -> bool:
    """The bank answered recalled transfers with a ``pain.002`` before any ``camt.029``: a
    recall of one paid failed (asked back from the estate), of one rejected has nothing left to
    recall. Returns whether a recall failed (the caller then applies the deaths)."""
    settled = PaymentRecall.objects.filter(status=RecallStatus.REQUESTED)
    refused = settled.filter(payment__status=PaymentStatus.PAID).update(
        status=RecallStatus.REFUSED, answered_at=now, answer_code="ACSC"
    )
    settled.filter(payment__status=PaymentStatus.REJECTED).update(
        status=RecallStatus.CANCELLED, answered_at=now, answer_code="RJCT"
    )
    return refused > 0
