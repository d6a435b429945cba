"""Proposals written in bulk (the batches of life events, the pension-age scan): copied into a
temporary table, then one statement that numbers them, gives them their references, skips a
right proposed meanwhile (each right once: a database constraint) and returns what the notices
need (no model instance either way: a batch of births writes 10,000 proposals).

A batch's explanations share one template (``explanation_template_of``, kept once for the same
text), each proposal keeping only its values in it: a whole explanation is a few kilobytes of
JSON, its values a few hundred bytes.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction

from benefits.models import ExplanationTemplate, Proposal
from core.db import text_array


class NewProposal(NamedTuple):
    """A proposal to write; ``computation``: its JSON text, or None with a template's id and its
    values in it. A tuple: it is the row the batch copies (10,000 a batch of births)."""

    person_id: int
    subject_id: int | None
    scheme: str
    periodicity: str
    trigger: str
    event_id: int | None
    month: datetime.date
    amount: Decimal
    computation: str | None
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
    explanation_template_id: int | None = None
    explanation_values: tuple[str, ...] | None = None


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
_COLUMNS = NewProposal._fields
_RETURNED = tuple(field.name if field.name != "pk" else "id" for field in fields(Written))

_VALUES = _COLUMNS.index("explanation_values")


def _array_literal(values: Sequence[str], quoted: dict[str, str]) -> str:
    """``core.db.text_array`` of the values, each quoted once (``quoted``: a batch's values
    repeat from proposal to proposal)."""
    parts = []
    for value in values:
        part = quoted.get(value)
        if part is None:
            part = quoted[value] = text_array((value,))[1:-1]
        parts.append(part)
    return "{" + ",".join(parts) + "}"


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


_TEMPLATE = ExplanationTemplate._meta.db_table
# One statement: the template stored, or the one stored before.
_TEMPLATE_STORE = f"""
WITH stored AS (
    INSERT INTO {_TEMPLATE} (digest, form) VALUES (%(digest)s, %(form)s) ON CONFLICT (digest) DO NOTHING RETURNING id
)
SELECT id FROM stored UNION ALL SELECT id FROM {_TEMPLATE} WHERE digest = %(digest)s
"""  # noqa: S608


def explanation_template_of(form: str) -> int:
    """The id of the template of this text (``claims.computation.ExplanationForms.form``),
    stored the first time it is written."""
    digest = hashlib.sha256(form.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(_TEMPLATE_STORE, {"digest": digest, "form": form})
        row = cursor.fetchone()
    if row is None:  # stored by another batch since this statement began
        return ExplanationTemplate.objects.values_list("pk", flat=True).get(digest=digest)
    return int(row[0])


def proposals_write(proposals: Sequence[NewProposal], *, today: datetime.date) -> list[Written]:
    """The proposals inserted (a right proposed meanwhile is skipped), with their references;
    returns those created, in the order written."""
    if not proposals:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INCOMING_CREATE)
        cursor.execute(f"TRUNCATE {_INCOMING}")
        with cursor.cursor.copy(f"COPY {_INCOMING} ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            quoted: dict[str, str] = {}
            literals: dict[tuple[str, ...], str] = {}  # the same values come back in a batch
            for proposal in proposals:
                values = proposal.explanation_values
                if values is None:
                    copy.write_row(proposal)
                    continue
                literal = literals.get(values)
                if literal is None:
                    literal = literals[values] = _array_literal(values, quoted)
                row = list(proposal)
                row[_VALUES] = literal
                copy.write_row(row)
        cursor.execute(_INCOMING_STORE, [str(today.year)])
        created = sorted((Written(*row) for row in cursor.fetchall()), key=lambda written: written.pk)
        cursor.execute(f"TRUNCATE {_INCOMING}")
    return created
