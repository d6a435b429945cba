"""What goes to the bank and what comes back: the run's ``pain.001.001.03`` credit-transfer
files (built with sepaxml, a file per ``PAYMENT_FILE_TRANSACTIONS`` payments, streamed from the
database), and the bank's answers: its ``pain.002`` payment status reports, which mark
payments paid or rejected, and its ``camt.029`` resolutions of the transfers recalled
(``recalls``).

A file is the same on every export: its message and payment-information ids come from the run
and its number, its creation time is the run's approval, the end-to-end id of each transfer is
stored on the payment (the bank quotes it back).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation
from sepaxml import SepaTransfer

from benefits.models import BankAnswer, Payment, PaymentFile, PaymentRun, PaymentStatus, RunStatus
from benefits.payments import deaths, recalls
from benefits.payments.iso import child, document_parse, quoted, text, transactions_named
from benefits.payments.notices import tell_payment_rejected
from benefits.payments.wording import scheme_titles
from benefits.types import PaymentRefused
from core.periods import Period
from core.sizes import file_size

# The bank of an IBAN, for the run's totals: its country and the bank code of its BBAN (where
# it starts and how long it is varies by country; four characters elsewhere).
BANK_CODE_SQL = (
    "left(iban, 2) || ' ' || CASE left(iban, 2)"
    " WHEN 'FR' THEN substr(iban, 5, 5) WHEN 'DE' THEN substr(iban, 5, 8) WHEN 'BE' THEN substr(iban, 5, 3)"
    " WHEN 'IT' THEN substr(iban, 6, 5) WHEN 'TR' THEN substr(iban, 5, 5) WHEN 'LU' THEN substr(iban, 5, 3)"
    " WHEN 'MA' THEN substr(iban, 5, 3) WHEN 'CH' THEN substr(iban, 5, 5) ELSE substr(iban, 5, 4) END"
)

_PLAN = """
WITH numbered AS (
    SELECT id, amount, (row_number() OVER (ORDER BY id) - 1) / %(size)s AS chunk
    FROM benefits_payment WHERE run_id = %(run)s AND status = %(pending)s
)
INSERT INTO benefits_paymentfile (run_id, sequence, transactions, total, message_id, first_payment_id,
                                  last_payment_id, sha256)
SELECT %(run)s, chunk + 1, count(*), sum(amount), %(prefix)s || (chunk + 1), min(id), max(id), ''
FROM numbered GROUP BY chunk
ON CONFLICT DO NOTHING
RETURNING id
"""


def files_plan(run: PaymentRun) -> list[int]:
    """Split the approved run's payments into files, by their order (a statement; nothing per
    payment). Returns the files' ids."""
    with connection.cursor() as cursor:
        cursor.execute(
            _PLAN,
            {
                "run": run.pk,
                "size": settings.PAYMENT_FILE_TRANSACTIONS,
                "pending": PaymentStatus.PENDING,
                "prefix": f"GUI-{run.period:%Y%m}-{run.pk}-",
            },
        )
        return [row[0] for row in cursor.fetchall()]


class _StableTransfer(SepaTransfer):
    """sepaxml's transfer with the ids and time given, not drawn at random or read off the
    clock: the same payments make the same file."""

    def __init__(self, config: dict[str, Any], *, message_id: str, created_at: datetime.datetime) -> None:
        super().__init__(config, schema="pain.001.001.03")
        header = self._xml.find("CstmrCdtTrfInitn/GrpHdr")
        header.find("MsgId").text = message_id
        header.find("CreDtTm").text = created_at.strftime("%Y-%m-%dT%H:%M:%S")
        self._message_id = message_id

    def _finalize_batch(self) -> None:
        super()._finalize_batch()
        for number, node in enumerate(self._xml.iter("PmtInfId"), start=1):
            node.text = f"{self._message_id}-{number}"[:35]


def _transfers(payment_file: PaymentFile) -> Iterator[tuple[Any, ...]]:
    return (
        Payment.objects.filter(
            run_id=payment_file.run_id,
            status=PaymentStatus.PENDING,
            pk__gte=payment_file.first_payment_id,
            pk__lte=payment_file.last_payment_id,
        )
        .order_by("pk")
        .values_list("end_to_end_id", "holder_name", "iban", "amount", "scheme", "months")
        .iterator(chunk_size=5000)
    )


def pain001(payment_file: PaymentFile, run: PaymentRun) -> bytes:
    """The file's ``pain.001.001.03`` document."""
    return _build(payment_file, run)[0]


def _build(payment_file: PaymentFile, run: PaymentRun) -> tuple[bytes, int, Decimal]:
    """The document, and how many transfers of what total it holds (a payment stopped since the
    run was approved — the person died — is left out)."""
    transfer = _StableTransfer(
        {
            "name": settings.INSTITUTION_NAME,
            "IBAN": settings.INSTITUTION_IBAN,
            "BIC": settings.INSTITUTION_BIC,
            "batch": True,
            "currency": "EUR",
        },
        message_id=payment_file.message_id,
        created_at=run.approved_at or run.prepared_at,
    )
    # Remittance text in the institution's language, whoever approved the run.
    with translation.override(settings.LANGUAGE_CODE):
        titles = scheme_titles()
    count, total = 0, Decimal(0)
    for end_to_end_id, holder_name, iban, amount, scheme, months in _transfers(payment_file):
        count += 1
        total += amount
        last = Period.of(months.upper).previous()
        first = Period.of(months.lower)
        span = f"{first}" if first == last else f"{first} - {last}"
        transfer.add_payment(
            {
                "name": holder_name,
                "IBAN": iban,
                "amount": int(amount * 100),
                "execution_date": run.pay_on,
                "description": f"{titles.get(scheme, scheme)} {span} {end_to_end_id}",
                "endtoend_id": end_to_end_id,
            }
        )
    return bytes(transfer.export(validate=False)), count, total


def file_write(*, file_id: int, now: datetime.datetime) -> bool:
    """Write one file of an approved run, once (a copy of the task at the same time skips it);
    the last file written marks the run exported, in the same transaction: a worker killed
    between the two would otherwise leave a run approved for ever, all its files written (and
    the bank's answer, which reads exported runs, matching none of its payments). Returns
    whether this call wrote it."""
    with transaction.atomic():
        payment_file = (
            PaymentFile.objects.select_for_update(skip_locked=True).filter(pk=file_id, content__isnull=True).first()
        )
        if payment_file is None:
            return False
        run = PaymentRun.objects.get(pk=payment_file.run_id)
        content, payment_file.transactions, payment_file.total = _build(payment_file, run)
        payment_file.content = content
        payment_file.sha256 = hashlib.sha256(content).hexdigest()
        payment_file.written_at = now
        payment_file.save(update_fields=["content", "sha256", "written_at", "transactions", "total"])
        # Last, under the run's lock: another file's write is then committed (seen) or will take
        # this lock after this commit (and see this file written).
        run = PaymentRun.objects.select_for_update().get(pk=payment_file.run_id)
        if run.status == RunStatus.APPROVED and not run.files.filter(content__isnull=True).exists():
            run.status = RunStatus.EXPORTED
            run.exported_at = now
            run.save(update_fields=["status", "exported_at"])
    return True


def files_to_write() -> list[int]:
    """The files of approved runs not yet written: what a lost task or a killed worker left."""
    return list(
        PaymentFile.objects.filter(run__status=RunStatus.APPROVED, content__isnull=True).values_list("pk", flat=True)
    )


# --- The bank's answer ---------------------------------------------------------------------------

_ACCEPTED = {"ACSC", "ACCP", "ACSP", "ACWC", "ACCC"}
_REJECTED = {"RJCT"}


@dataclass(frozen=True)
class StatusReport:
    message_id: str
    original_message_id: str
    group_status: str
    # (end-to-end id, status, reason code) of each transaction the report names.
    transactions: tuple[tuple[str, str, str], ...]


def status_report_parse(report: Any) -> StatusReport:
    """Read a ``pain.002``'s CustomerPaymentStatusReport (any version)."""
    message_id = text(report, "GrpHdr", "MsgId")
    original = child(report, "OrgnlGrpInfAndSts")
    if not message_id or original is None:
        raise PaymentRefused("answer_unreadable", params={"detail": "GrpHdr/MsgId, OrgnlGrpInfAndSts"})
    return StatusReport(
        message_id=message_id[:35],
        original_message_id=text(original, "OrgnlMsgId"),
        group_status=text(original, "GrpSts"),
        transactions=transactions_named(report, status="TxSts", reason=("StsRsnInf", "Rsn", "Cd")),
    )


@dataclass(frozen=True)
class AnswerImported:
    paid: int
    rejected: int
    unknown: int
    # Recalls (camt.029) the bank cancelled, and those it could not (paid: asked of the estate).
    cancelled: int = 0
    not_cancelled: int = 0


def answer_import(*, content: bytes, user_id: int, now: datetime.datetime) -> AnswerImported:
    """Import a bank's answer, once per message id: a payment status report (``pain.002``,
    ``status_report_import``) or the resolution of a recall (``camt.029``,
    ``recalls.resolution_import``). A recall that failed (the transfer was paid) is asked back
    from the estate in the same transaction. Anything else is refused and changes nothing."""
    if len(content) > settings.BANK_STATEMENT_MAX_BYTES:
        raise PaymentRefused("answer_too_large", params={"size": file_size(settings.BANK_STATEMENT_MAX_BYTES)})
    root = document_parse(content)
    report, resolution = child(root, "CstmrPmtStsRpt"), child(root, "RsltnOfInvstgtn")
    if report is None and resolution is None:
        raise PaymentRefused("answer_unreadable", params={"detail": "CstmrPmtStsRpt, RsltnOfInvstgtn"})
    parsed = status_report_parse(report) if report is not None else recalls.resolution_parse(resolution)
    with transaction.atomic():
        known = BankAnswer.objects.filter(message_id=parsed.message_id).first()
        if known is not None:
            raise PaymentRefused(
                "answer_known", params={"message_id": parsed.message_id, "when": f"{known.imported_at:%Y-%m-%d}"}
            )
        if isinstance(parsed, StatusReport):
            imported = status_report_import(report=parsed, content=content, user_id=user_id, now=now)
            failed = recalls.recalls_settle(now=now)
        else:
            resolved = recalls.resolution_import(resolution=parsed, content=content, user_id=user_id, now=now)
            imported = AnswerImported(
                paid=0,
                rejected=0,
                unknown=resolved.unknown,
                cancelled=resolved.cancelled,
                not_cancelled=resolved.refused,
            )
            failed = resolved.refused > 0
        if failed:
            deaths.deaths_apply(now=now)
    return imported


def status_report_import(
    *, report: StatusReport, content: bytes, user_id: int, now: datetime.datetime
) -> AnswerImported:
    """Apply a bank's payment status report, in the caller's transaction: each transaction it
    names is marked paid or rejected (a payment already answered, or not ours, is counted and
    left); when the whole file is accepted or partly accepted, the payments of the original
    file it does not name are paid. A rejected payment's person is asked to check their
    account; its months are paid again in the next run once the account changes."""
    open_payments = Payment.objects.filter(status=PaymentStatus.PENDING, run__status=RunStatus.EXPORTED)
    accepted = [e2e for e2e, status, _code in report.transactions if status in _ACCEPTED]
    rejected = {e2e: code for e2e, status, code in report.transactions if status in _REJECTED}
    named_paid = open_payments.filter(quoted(accepted)).update(status=PaymentStatus.PAID, answered_at=now)
    paid = named_paid
    rejected_rows = list(
        open_payments.filter(quoted(list(rejected)))
        .select_for_update()
        .values_list("pk", "end_to_end_id", "person_id", "entitlement_id", "run_id")
    )
    for pk, end_to_end_id, _person, _entitlement, _run in rejected_rows:
        Payment.objects.filter(pk=pk).update(
            status=PaymentStatus.REJECTED, answered_at=now, rejection_code=rejected[end_to_end_id] or "NARR"
        )
    # A later payment of the same entitlement that has not left yet would go to the same
    # account: stopped, its months are paid with the rejected ones once the account changes.
    entitlements = [row[3] for row in rejected_rows]
    Payment.objects.filter(
        entitlement_id__in=entitlements,
        status=PaymentStatus.PENDING,
        run__status__in=[RunStatus.PREPARED, RunStatus.SUBMITTED],
    ).update(status=PaymentStatus.STOPPED, answered_at=now, rejection_code="ACCOUNT")
    if report.group_status in {"ACSC", "ACCP", "ACSP", "ACWC", "PART"} and report.original_message_id:
        payment_file = PaymentFile.objects.filter(message_id=report.original_message_id).first()
        if payment_file is not None:
            paid += (
                open_payments.filter(
                    run_id=payment_file.run_id,
                    pk__gte=payment_file.first_payment_id,
                    pk__lte=payment_file.last_payment_id,
                )
                .exclude(quoted(list(rejected)))
                .update(status=PaymentStatus.PAID, answered_at=now)
            )
    unknown = len(report.transactions) - named_paid - len(rejected_rows)
    BankAnswer.objects.create(
        message_id=report.message_id,
        imported_at=now,
        imported_by_id=user_id,
        paid=paid,
        rejected=len(rejected_rows),
        unknown=unknown,
        content=content,
    )
    for _pk, _e2e, person_id, _entitlement, _run in rejected_rows:
        tell_payment_rejected(person_id=person_id, now=now)
    return AnswerImported(paid=paid, rejected=len(rejected_rows), unknown=unknown)
