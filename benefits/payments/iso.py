"""Reading the bank's ISO 20022 answers (any version: elements found by their local name), and
the end-to-end ids the institution's transfers carry, by which the answers name them."""

from __future__ import annotations

import datetime
import re
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeElementTree
from django.db.models import Q

from benefits.models import PaymentRun
from benefits.types import PaymentRefused


def document_parse(content: bytes) -> Any:
    """The XML document's root, parsed without entities or DTD: PaymentRefused when unreadable."""
    try:
        return SafeElementTree.fromstring(content, forbid_dtd=True)
    except (SafeElementTree.ParseError, UnicodeError, defusedxml.DefusedXmlException) as error:
        raise PaymentRefused("answer_unreadable", params={"detail": str(error)[:100]}) from error


def local_name(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def child(element: Any, *path: str) -> Any:
    for name in path:
        if element is None:
            return None
        element = next((node for node in element if local_name(node.tag) == name), None)
    return element


def text(element: Any, *path: str) -> str:
    found = child(element, *path)
    return (found.text or "").strip() if found is not None else ""


def transactions_named(element: Any, *, status: str, reason: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """Each ``TxInfAndSts`` under ``element`` that names a transfer: (its end-to-end id, its
    status from the child ``status``, the reason code at the path ``reason``)."""
    found = []
    for node in element.iter():
        if local_name(node.tag) != "TxInfAndSts":
            continue
        end_to_end_id, state = text(node, "OrgnlEndToEndId"), text(node, status)
        if end_to_end_id and state:
            found.append((end_to_end_id, state, text(node, *reason)[:8]))
    return tuple(found)


_END_TO_END = re.compile(r"GUI(\d{4})(\d{2})E(\d{1,18})")


def end_to_end_prefix(period: datetime.date) -> str:
    """The end-to-end ids of a run's transfers start with its month; the entitlement follows
    (one payment each): ``GUI202612E1234``. Quoted back by the bank's answer."""
    return f"GUI{period:%Y%m}E"


def quoted(end_to_end_ids: list[str]) -> Q:
    """The payments the bank quotes, found by the unique index of their run and entitlement
    (the id is built from both: no index of its own on a million rows a month)."""
    wanted: dict[datetime.date, list[int]] = {}
    for quoted_id in end_to_end_ids:
        match = _END_TO_END.fullmatch(quoted_id)
        if match is None or not 1 <= int(match.group(2)) <= 12:
            continue
        period = datetime.date(int(match.group(1)), int(match.group(2)), 1)
        wanted.setdefault(period, []).append(int(match.group(3)))
    runs = dict(PaymentRun.objects.filter(period__in=list(wanted)).values_list("period", "pk"))
    found = Q(pk__in=[])
    for period, entitlement_ids in wanted.items():
        if period in runs:
            found |= Q(run_id=runs[period], entitlement_id__in=entitlement_ids)
    return found
