"""Proposals written in bulk (the batches of life events, the pension-age scan): copied into a
temporary table (a proposal's computation is a few kilobytes of JSON), then one statement that
skips a right proposed meanwhile (each right once: a database constraint), then their references.
"""

from __future__ import annotations

import datetime
import json

from django.db import connection, transaction

from benefits.models import Proposal
from core.db import any_of

_INCOMING = "benefits_proposals_incoming"
_COLUMNS = (
    "reference",
    "scheme",
    "periodicity",
    "trigger",
    "month",
    "amount",
    "computation",
    "rules_fingerprint",
    "openfisca_core",
    "data_version",
    "status",
    "created_at",
    "verified_at",
    "verified_automatically",
    "sampled",
    "offered_at",
    "note",
    "event_id",
    "person_id",
    "subject_id",
)

_INCOMING_CREATE = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_INCOMING} ON COMMIT DELETE ROWS
AS SELECT {", ".join(_COLUMNS)} FROM benefits_proposal WITH NO DATA
"""  # noqa: S608
_INCOMING_STORE = f"""
INSERT INTO benefits_proposal ({", ".join(_COLUMNS)}) SELECT {", ".join(_COLUMNS)} FROM {_INCOMING}
ON CONFLICT DO NOTHING RETURNING id
"""  # noqa: S608


def _row(proposal: Proposal) -> tuple[object, ...]:
    return tuple(
        json.dumps(proposal.computation) if column == "computation" else getattr(proposal, column)
        for column in _COLUMNS
    )


def proposals_write(proposals: list[Proposal], *, today: datetime.date) -> list[Proposal]:
    """The proposals inserted (a right proposed meanwhile is skipped), with their references;
    returns those created (their computations not read back)."""
    if not proposals:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INCOMING_CREATE)
        cursor.execute(f"TRUNCATE {_INCOMING}")
        with cursor.cursor.copy(f"COPY {_INCOMING} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for proposal in proposals:
                copy.write_row(_row(proposal))
        cursor.execute(_INCOMING_STORE)
        created = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"TRUNCATE {_INCOMING}")
        cursor.execute(
            "UPDATE benefits_proposal SET reference = 'PRO-' || %s || '-' || lpad(id::text, greatest(6, length(id::text)), '0') WHERE id = ANY(%s)",
            [str(today.year), created],
        )
    return list(Proposal.objects.filter(pk__in=any_of(created)).defer("computation").order_by("pk"))
