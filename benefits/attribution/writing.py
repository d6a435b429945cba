"""Proposals written in bulk (the batches of life events, the pension-age scan): copied into a
temporary table (a proposal's computation is a few kilobytes of JSON), then one statement that
numbers them, gives them their references, skips a right proposed meanwhile (each right once: a
database constraint) and returns what the notices need (no model instance either way: a batch
of births writes 10,000 proposals).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db import connection, transaction

from benefits.models import Proposal


@dataclass(frozen=True, slots=True)
class NewProposal:
    """A proposal to write; ``computation``: its JSON text."""

    person_id: int
    subject_id: int | None
    scheme: str
    periodicity: str
    trigger: str
    event_id: int | None
    month: datetime.date
    amount: Decimal
    computation: str
    rules_fingerprint: str
    openfisca_core: str
    data_version: str
    status: str
    created_at: datetime.datetime
    verified_at: datetime.datetime | None = None
    verified_automatically: bool = False
    sampled: bool = False
    offered_at: datetime.datetime | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Written:
    """A proposal written, as its notice reads it."""

    pk: int
    reference: str
    person_id: int
    scheme: str
    periodicity: str
    month: datetime.date
    amount: Decimal
    status: str
    note: str


def written_of(proposal: Proposal) -> Written:
    return Written(**{field.name: getattr(proposal, field.name) for field in fields(Written)})


_INCOMING = "benefits_proposals_incoming"
_COLUMNS = tuple(field.name for field in fields(NewProposal))
_RETURNED = tuple(field.name if field.name != "pk" else "id" for field in fields(Written))

_INCOMING_CREATE = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_INCOMING} ON COMMIT DELETE ROWS
AS SELECT {", ".join(_COLUMNS)} FROM benefits_proposal WITH NO DATA
"""  # noqa: S608
# Each proposal numbered from the table's sequence as it is inserted, its reference made of its
# number ("PRO-2026-000042"); a right proposed meanwhile is skipped (its number is lost).
_INCOMING_STORE = f"""
INSERT INTO benefits_proposal (id, reference, {", ".join(_COLUMNS)})
SELECT n.id, 'PRO-' || %s || '-' || lpad(n.id::text, greatest(6, length(n.id::text)), '0'), {", ".join(_COLUMNS)}
FROM (SELECT nextval(pg_get_serial_sequence('benefits_proposal', 'id')) AS id, i.* FROM {_INCOMING} i) AS n
ON CONFLICT DO NOTHING RETURNING {", ".join(_RETURNED)}
"""  # noqa: S608


def proposals_write(proposals: Sequence[NewProposal], *, today: datetime.date) -> list[Written]:
    """The proposals inserted (a right proposed meanwhile is skipped), with their references;
    returns those created, in the order written."""
    if not proposals:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INCOMING_CREATE)
        cursor.execute(f"TRUNCATE {_INCOMING}")
        with cursor.cursor.copy(f"COPY {_INCOMING} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for proposal in proposals:
                copy.write_row([getattr(proposal, column) for column in _COLUMNS])
        cursor.execute(_INCOMING_STORE, [str(today.year)])
        created = sorted((Written(*row) for row in cursor.fetchall()), key=lambda written: written.pk)
        cursor.execute(f"TRUNCATE {_INCOMING}")
    return created
