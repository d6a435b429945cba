"""Bank transfers to the institution's account: staff import a camt.053 statement; every booked
credit whose structured reference names an enterprise credits that enterprise's account; the
others wait in the staff work queue, where staff assign them to an enterprise or mark them for
refund.

A transfer credits an account once, whatever happens: the same file imported twice is
recognised by its SHA-256; a transfer that overlapping statements both carry is one row under
its natural key (account, bank reference, index in the entry); and the ledger credit's source is
that same key, so an automatic match and a staff assignment cannot both credit it. Imports of
one account are serialised by a lock, and the ledger's per-enterprise locks are taken in
enterprise order, so that two imports running together cannot deadlock.
"""

from __future__ import annotations

import datetime
import hashlib
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from stdnum import iso11649

from contributions import ledger, notices
from contributions.camt053 import statement_parse
from contributions.models import BankStatementImport, BankTransaction, BankTransactionStatus
from contributions.types import BankStatementError
from core.actor import Actor, LevelOfAssurance
from core.errors import NotFound
from core.locks import LockNamespace, advisory_lock
from identity import selectors as identity_selectors

_EURO = "EUR"
# After "RF" and the check digits, our references are the enterprise number, a letter for the
# kind of debt (D: declaration; L and I are kept for penalties and interest) and YYYYMM.
_REFERENCE_BODY = re.compile(r"([0-9A-Z]+)([DLI])(\d{6})")

IMPORT_PERMISSION = "contributions.add_bankstatementimport"
HANDLE_PERMISSION = "contributions.change_banktransaction"


def _check_staff(actor: Actor, permission: str) -> int:
    """Staff with a second factor and the permission; anyone else is answered as if nothing
    were there. Returns the acting user's id."""
    if (
        actor.user_id is None
        or not actor.is_staff
        or not actor.has_level(LevelOfAssurance.SUBSTANTIAL)
        or not identity_selectors.staff_has_permission(user_id=actor.user_id, permission=permission)
    ):
        raise NotFound
    return actor.user_id


def reference_enterprise_number(reference: str) -> str | None:
    """The enterprise number inside one of our structured references; None when the reference
    is not a valid ISO 11649 one, or not shaped like ours."""
    compact = "".join(reference.split()).upper()
    if not iso11649.is_valid(compact):
        return None
    match = _REFERENCE_BODY.fullmatch(compact[4:])
    return match.group(1) if match else None


def _source(*, account: str, entry_reference: str, index: int) -> str:
    """The ledger source of a transfer: its natural key (hashed if longer than the column)."""
    source = f"bank:{account}:{entry_reference}:{index}"
    if len(source) > 80:
        source = "bank:" + hashlib.sha256(source.encode()).hexdigest()
    return source


def bank_statement_import(
    *, actor: Actor, file_name: str, content: bytes, now: datetime.datetime
) -> BankStatementImport:
    """Import a camt.053 file in one transaction and return its record with the counts; the
    representatives of each enterprise credited are told of each transfer, in one batch.
    BankStatementError when the file is refused (nothing is stored) or was already imported
    (nothing changes)."""
    user_id = _check_staff(actor, IMPORT_PERMISSION)
    if len(content) > settings.BANK_STATEMENT_MAX_BYTES:
        raise BankStatementError("too_large")
    digest = hashlib.sha256(content).hexdigest()
    if BankStatementImport.objects.filter(sha256=digest).exists():
        raise BankStatementError("already_imported")
    parsed = statement_parse(content)

    numbers = {credit: reference_enterprise_number(credit.structured_reference) for credit in parsed.credits}
    enterprise_ids = identity_selectors.enterprise_ids_by_numbers(
        enterprise_numbers=sorted({number for number in numbers.values() if number})
    )
    try:
        with transaction.atomic():
            advisory_lock(LockNamespace.BANK_ACCOUNT, parsed.account)
            if BankStatementImport.objects.filter(sha256=digest).exists():
                raise BankStatementError("already_imported")
            known = set(
                BankTransaction.objects.filter(
                    account_iban=parsed.account,
                    entry_reference__in={credit.entry_reference for credit in parsed.credits},
                ).values_list("entry_reference", "index")
            )
            rows: list[BankTransaction] = []
            # (enterprise, transfer) to credit, in enterprise order: the ledger locks each one.
            to_credit: list[tuple[int, BankTransaction]] = []
            for credit in parsed.credits:
                key = (credit.entry_reference, credit.index)
                if key in known:
                    continue
                known.add(key)
                number = numbers[credit]
                enterprise_id = enterprise_ids.get(number) if number else None
                note = ""
                if credit.currency != _EURO:
                    enterprise_id = None
                    note = gettext("Paid in %(currency)s: not credited automatically.") % {"currency": credit.currency}
                row = BankTransaction(
                    account_iban=parsed.account,
                    entry_reference=credit.entry_reference,
                    index=credit.index,
                    booking_date=credit.booking_date,
                    value_date=credit.value_date,
                    amount=credit.amount,
                    currency=credit.currency,
                    debtor_name=credit.debtor_name,
                    debtor_iban=credit.debtor_iban,
                    structured_reference=credit.structured_reference,
                    unstructured_remittance=credit.unstructured_remittance,
                    status=BankTransactionStatus.MATCHED if enterprise_id else BankTransactionStatus.UNMATCHED,
                    enterprise_id=enterprise_id,
                    payment_reference=credit.structured_reference if enterprise_id else "",
                    note=note,
                )
                rows.append(row)
                if enterprise_id:
                    to_credit.append((enterprise_id, row))
            statement_import = BankStatementImport.objects.create(
                file_name=file_name[:255],
                sha256=digest,
                statement_id=", ".join(parsed.statement_ids)[:255],
                account_iban=parsed.account,
                imported_by_id=user_id,
                imported_at=now,
                credit_count=len(parsed.credits),
                matched_count=len(to_credit),
                unmatched_count=len(rows) - len(to_credit),
                already_imported_count=len(parsed.credits) - len(rows),
                skipped_count=parsed.skipped,
            )
            for row in rows:
                row.statement_import = statement_import
            BankTransaction.objects.bulk_create(rows)
            received = []
            for enterprise_id, row in sorted(to_credit, key=lambda pair: (pair[0], pair[1].booking_date)):
                source = _source(account=row.account_iban, entry_reference=row.entry_reference, index=row.index)
                if ledger.credit_post(
                    enterprise_id=enterprise_id,
                    amount=row.amount,
                    payment_reference=row.payment_reference,
                    source=source,
                    booked_on=row.booking_date,
                    now=now,
                ):
                    received.append(_received(enterprise_id, row, source))
            # Each enterprise's representatives, of each transfer credited: one batch.
            notices.payments_received(received=received, now=now)
    except IntegrityError:
        # The same file, imported at the same moment by someone else.
        if BankStatementImport.objects.filter(sha256=digest).exists():
            raise BankStatementError("already_imported") from None
        raise
    return statement_import


def bank_transaction_resolve(
    *, actor: Actor, transaction_id: int, enterprise_id: int, payment_reference: str, now: datetime.datetime
) -> BankTransaction:
    """Staff assign a transfer of the work queue to an enterprise (with, optionally, the
    structured reference of the debt it pays): its account is credited and its representatives
    are told. Assigning it again to the same enterprise changes nothing."""
    user_id = _check_staff(actor, HANDLE_PERMISSION)
    enterprises = identity_selectors.enterprise_summaries(enterprise_ids=[enterprise_id])
    if not enterprises:
        raise BankStatementError("enterprise_unknown")
    reference = "".join(payment_reference.split()).upper()
    if reference:
        if not iso11649.is_valid(reference):
            raise BankStatementError("reference_invalid", reference)
        if reference_enterprise_number(reference) != enterprises[0].enterprise_number:
            raise BankStatementError("reference_other_enterprise", reference)
    with transaction.atomic():
        row = BankTransaction.objects.select_for_update().filter(pk=transaction_id).first()
        if row is None:
            raise NotFound
        if row.status == BankTransactionStatus.RESOLVED and row.enterprise_id == enterprise_id:
            return row
        if row.status != BankTransactionStatus.UNMATCHED:
            raise BankStatementError("not_open")
        if row.currency != _EURO:
            raise BankStatementError("currency", row.currency)
        source = _source(account=row.account_iban, entry_reference=row.entry_reference, index=row.index)
        credited = ledger.credit_post(
            enterprise_id=enterprise_id,
            amount=row.amount,
            payment_reference=reference,
            source=source,
            booked_on=row.booking_date,
            now=now,
        )
        BankTransaction.objects.filter(pk=row.pk).update(
            status=BankTransactionStatus.RESOLVED,
            enterprise_id=enterprise_id,
            payment_reference=reference,
            resolved_by_id=user_id,
            resolved_at=now,
        )
        row.refresh_from_db()
        if credited:
            notices.payments_received(received=[_received(enterprise_id, row, source)], now=now)
    return row


def _received(enterprise_id: int, row: BankTransaction, source: str) -> notices.Received:
    return notices.Received(
        enterprise_id=enterprise_id,
        source=source,
        amount=row.amount,
        booked_on=row.booking_date,
        method="transfer",
        payment_reference=row.payment_reference,
    )


def bank_transaction_return(*, actor: Actor, transaction_id: int, note: str, now: datetime.datetime) -> BankTransaction:
    """Staff decide that a transfer of the work queue is to be paid back (the refund itself is
    made from the bank); ``note`` says why. Deciding it again changes nothing."""
    user_id = _check_staff(actor, HANDLE_PERMISSION)
    reason = note.strip()
    if not reason:
        raise BankStatementError("note_required")
    with transaction.atomic():
        row = BankTransaction.objects.select_for_update().filter(pk=transaction_id).first()
        if row is None:
            raise NotFound
        if row.status == BankTransactionStatus.RETURNED:
            return row
        if row.status != BankTransactionStatus.UNMATCHED:
            raise BankStatementError("not_open")
        BankTransaction.objects.filter(pk=row.pk).update(
            status=BankTransactionStatus.RETURNED,
            note=f"{row.note}\n{reason}" if row.note else reason,
            resolved_by_id=user_id,
            resolved_at=now,
        )
        row.refresh_from_db()
    return row
