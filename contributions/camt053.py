"""Reading ISO 20022 camt.053 bank statements (BankToCustomerStatement, versions .001.02 to
.001.08): the booked credits of each statement, one per transaction of a batch entry.

Elements are matched on their local names, whatever the namespace (the versions differ by it,
and by a few moves: the status became ``Sts/Cd`` and the debtor ``Dbtr/Pty`` in newer versions;
a transaction carries its own ``Amt`` since .001.04). The file is parsed with defusedxml, with
document type declarations forbidden: a statement never has one, and entity expansion is how
an uploaded XML file exhausts a server.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import defusedxml
import defusedxml.ElementTree as SafeElementTree

from contributions.types import BankStatementError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

_AMOUNT = re.compile(r"\d{1,12}(\.\d{1,5})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CENT = Decimal("0.01")
# What payers' banks put in a reference field they have no value for.
_NO_REFERENCE = {"", "NOTPROVIDED", "NONREF"}


@dataclass(frozen=True)
class StatementCredit:
    """One credit: an entry, or one transaction (``index``) of a batch entry."""

    entry_reference: str
    index: int
    booking_date: datetime.date
    value_date: datetime.date | None
    amount: Decimal
    currency: str
    debtor_name: str
    debtor_iban: str
    structured_reference: str
    unstructured_remittance: str


@dataclass(frozen=True)
class ParsedStatement:
    statement_ids: tuple[str, ...]
    account: str
    credits: tuple[StatementCredit, ...]
    # Entries (or transactions of an entry) that are not booked credits: debits, pending or
    # informational entries, reversals.
    skipped: int


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element | None, name: str) -> list[Element]:
    if element is None:
        return []
    return [child for child in element if _local(child.tag) == name]


def _find(element: Element | None, *path: str) -> Element | None:
    for name in path:
        found = _children(element, name)
        element = found[0] if found else None
    return element


def _text(element: Element | None, *path: str) -> str:
    found = _find(element, *path)
    if found is None or found.text is None:
        return ""
    return " ".join(found.text.split())


def _compact(value: str) -> str:
    return "".join(value.split()).upper()


def _amount(element: Element | None, where: str) -> tuple[Decimal, str]:
    text = "" if element is None or element.text is None else element.text.strip()
    currency = "" if element is None else element.get("Ccy", "").strip()
    if not _AMOUNT.fullmatch(text) or not _CURRENCY.fullmatch(currency):
        raise BankStatementError("amount_invalid", f"{where}: {text or '—'} {currency}".strip())
    value = Decimal(text)
    if value <= 0 or value != value.quantize(_CENT):
        raise BankStatementError("amount_invalid", f"{where}: {text} {currency}")
    return value.quantize(_CENT), currency


def _date(element: Element | None, where: str) -> datetime.date | None:
    """``Dt`` (a date) or ``DtTm`` (a date and time, whose date is kept as written); None when
    there is neither."""
    day, moment = _text(element, "Dt"), _text(element, "DtTm")
    if not day and not moment:
        return None
    try:
        if day:
            if not _DATE.fullmatch(day):
                raise ValueError(day)
            return datetime.date.fromisoformat(day)
        return datetime.datetime.fromisoformat(moment).date()
    except ValueError:
        raise BankStatementError("date_invalid", f"{where}: {day or moment}") from None


def _status(entry: Element) -> str:
    status = _find(entry, "Sts")
    if status is None:
        return ""
    if _children(status, "Cd"):  # .001.07 and later
        return _text(status, "Cd").upper()
    return _text(status).upper()


def _fingerprint(account: str, *parts: object) -> str:
    """A reference for a transfer the bank gave none: the same transfer in two statements gets
    the same one (identical transfers of a day are told apart by their rank)."""
    digest = hashlib.sha256("|".join([account, *(str(part) for part in parts)]).encode()).hexdigest()
    return f"~{digest[:32]}"


def statement_parse(content: bytes) -> ParsedStatement:
    """The booked credits of a camt.053 file (BankStatementError when it is not one)."""
    try:
        root = SafeElementTree.fromstring(content, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise BankStatementError("unsafe_xml") from None
    except (SafeElementTree.ParseError, UnicodeError):
        raise BankStatementError("not_xml") from None
    report = _find(root, "BkToCstmrStmt")
    if _local(root.tag) != "Document" or report is None:
        raise BankStatementError("not_camt053", _local(root.tag))
    statements = _children(report, "Stmt")
    if not statements:
        raise BankStatementError("no_statement")

    statement_ids: list[str] = []
    accounts: set[str] = set()
    credits: list[StatementCredit] = []
    skipped = 0
    seen: Counter[str] = Counter()
    for statement in statements:
        statement_id = _text(statement, "Id")
        account = _compact(_text(statement, "Acct", "Id", "IBAN") or _text(statement, "Acct", "Id", "Othr", "Id"))
        if not account or len(account) > 34:
            raise BankStatementError("no_account", statement_id)
        statement_ids.append(statement_id)
        accounts.add(account)
        for position, entry in enumerate(_children(statement, "Ntry"), start=1):
            where = f"{statement_id} #{position}"
            booked_credit = (
                _text(entry, "CdtDbtInd").upper() == "CRDT"
                and _status(entry) == "BOOK"
                and _text(entry, "RvslInd").lower() not in ("true", "1")
            )
            if not booked_credit:
                skipped += 1
                continue
            entry_amount, entry_currency = _amount(_find(entry, "Amt"), where)
            booking_date = _date(_find(entry, "BookgDt"), where)
            if booking_date is None:
                raise BankStatementError("date_invalid", where)
            value_date = _date(_find(entry, "ValDt"), where)
            # Only the bank's own reference (AcctSvcrRef) identifies an entry across statements:
            # NtryRef is often a number within the statement, and "NOTPROVIDED" is no reference.
            entry_reference = _text(entry, "AcctSvcrRef")
            if entry_reference.upper() in _NO_REFERENCE:
                entry_reference = ""
            transactions = [tx for details in _children(entry, "NtryDtls") for tx in _children(details, "TxDtls")]
            for index, transaction in enumerate(transactions or [None]):
                indicator = _text(transaction, "CdtDbtInd").upper()
                if indicator and indicator != "CRDT":
                    skipped += 1
                    continue
                # An element without children is false: compare with None.
                amount_element = _find(transaction, "Amt")
                if amount_element is None:
                    amount_element = _find(transaction, "AmtDtls", "TxAmt", "Amt")
                if amount_element is not None:
                    amount, currency = _amount(amount_element, where)
                elif len(transactions) <= 1:
                    amount, currency = entry_amount, entry_currency
                else:
                    raise BankStatementError("amount_invalid", f"{where}, {index + 1}")
                parties = _find(transaction, "RltdPties")
                debtor_name = _text(parties, "Dbtr", "Nm") or _text(parties, "Dbtr", "Pty", "Nm")
                debtor_iban = _compact(_text(parties, "DbtrAcct", "Id", "IBAN"))
                remittance = _find(transaction, "RmtInf")
                structured = ""
                for part in _children(remittance, "Strd"):
                    structured = _compact(_text(part, "CdtrRefInf", "Ref"))
                    if structured:
                        break
                unstructured = " ".join(_text(line) for line in _children(remittance, "Ustrd")).strip()
                reference = entry_reference or _text(transaction, "Refs", "AcctSvcrRef")
                if reference.upper() in _NO_REFERENCE:
                    reference = ""
                if not reference:
                    # No bank reference: the transfer's content (with the payer's own references,
                    # which alone may repeat) identifies it, numbered when it repeats in a file.
                    base = _fingerprint(
                        account,
                        booking_date,
                        amount,
                        currency,
                        debtor_iban,
                        debtor_name,
                        structured,
                        unstructured,
                        _text(transaction, "Refs", "TxId"),
                        _text(transaction, "Refs", "EndToEndId"),
                    )
                    seen[base] += 1
                    reference = _fingerprint(base, seen[base])
                credits.append(
                    StatementCredit(
                        entry_reference=reference[:35],
                        index=index,
                        booking_date=booking_date,
                        value_date=value_date,
                        amount=amount,
                        currency=currency,
                        debtor_name=debtor_name[:140],
                        debtor_iban=debtor_iban[:34],
                        structured_reference=structured[:35],
                        unstructured_remittance=unstructured[:500],
                    )
                )
    if len(accounts) != 1:
        raise BankStatementError("several_accounts", ", ".join(sorted(accounts)))
    return ParsedStatement(
        statement_ids=tuple(statement_ids), account=accounts.pop(), credits=tuple(credits), skipped=skipped
    )
