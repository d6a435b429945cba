"""Reads of bulk files: the uploader's own, their progress, totals and anomalies (and the
anomaly report as CSV)."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet, Sum
from django.utils.translation import gettext as _

from contributions import ledger
from contributions.bulk.files import (
    _owner_filter,
)
from contributions.models import (
    BulkAnomaly,
    BulkChunk,
    BulkTotal,
    BulkUpload,
    ChunkStatus,
    Declaration,
    DeclarationStatus,
    UploadStatus,
)
from contributions.types import ANOMALY_MESSAGES, Severity
from core.actor import Actor
from core.errors import NotFound
from core.spreadsheet import Echo, neutralised
from identity.selectors import (
    enterprise_summaries,
)

logger = logging.getLogger(__name__)

# --- Reads: the uploader's files, progress, totals, anomalies ---------------------------------


def upload_get(*, actor: Actor, upload_id: int) -> BulkUpload:
    """One of the actor's uploads (a person's own; for software, its enterprise's); NotFound
    for anyone else's — the same answer as for an id that does not exist."""
    if not actor.is_authenticated:
        raise NotFound
    upload = BulkUpload.objects.filter(_owner_filter(actor), pk=upload_id).first()
    if upload is None:
        raise NotFound
    return upload


def upload_list(*, actor: Actor, limit: int = 20) -> list[BulkUpload]:
    if not actor.is_authenticated:
        return []
    return list(BulkUpload.objects.filter(_owner_filter(actor)).order_by("-created_at", "-pk")[:limit])


@dataclass(frozen=True)
class Progress:
    lines_total: int | None
    lines_done: int
    errors: int
    warnings: int

    @property
    def percent(self) -> int:
        if not self.lines_total:
            return 0
        return min(100, self.lines_done * 100 // self.lines_total)


def upload_progress(*, upload: BulkUpload) -> Progress:
    """Lines processed so far and the anomalies found in them (one query)."""
    if upload.is_finished:
        return Progress(upload.lines_total, upload.lines_total or 0, upload.errors, upload.warnings)
    done = BulkChunk.objects.filter(upload=upload, status=ChunkStatus.DONE).aggregate(
        lines=Sum("line_count", default=0), errors=Sum("errors", default=0), warnings=Sum("warnings", default=0)
    )
    return Progress(upload.lines_total, done["lines"], done["errors"], done["warnings"])


@dataclass(frozen=True)
class GroupTotal:
    enterprise_id: int
    enterprise_number: str
    enterprise_name: str
    period: str
    lines: int
    total_wages: Decimal
    contributions: Decimal
    declaration_reference: str  # once in force


def upload_totals(*, upload: BulkUpload) -> list[GroupTotal]:
    """Per employer and period of the file: lines, wages and contributions — of its declarations
    once in force, of the chunks done so far while it is processed (empty once rejected)."""
    rows: list[tuple[int, str, int, Decimal, Decimal, str]] = []
    if upload.status == UploadStatus.ACCEPTED:
        rows = [
            (d.enterprise_id, d.period, d.line_count, d.total_wages, ledger.declaration_total(d.totals), d.reference)
            for d in Declaration.objects.filter(bulk_upload=upload).exclude(status=DeclarationStatus.PENDING)
        ]
    elif upload.status == UploadStatus.PROCESSING:
        rows = [
            (
                enterprise_id,
                period,
                lines or 0,
                wages or Decimal("0.00"),
                (employee or Decimal("0.00")) + (employer or Decimal("0.00")),
                "",
            )
            for enterprise_id, period, lines, wages, employee, employer in BulkTotal.objects.filter(
                chunk__upload=upload
            )
            .values_list("declaration__enterprise_id", "declaration__period")
            .annotate(
                lines=Sum("line_count"), wages=Sum("total_wages"), ee=Sum("employee_total"), er=Sum("employer_total")
            )
            .values_list("declaration__enterprise_id", "declaration__period", "lines", "wages", "ee", "er")
        ]
    summaries = {s.id: s for s in enterprise_summaries(enterprise_ids=list({row[0] for row in rows}))}
    totals = [
        GroupTotal(
            enterprise_id=enterprise_id,
            enterprise_number=summaries[enterprise_id].enterprise_number_display,
            enterprise_name=summaries[enterprise_id].name,
            period=period,
            lines=lines,
            total_wages=wages,
            contributions=contributions,
            declaration_reference=reference,
        )
        for enterprise_id, period, lines, wages, contributions, reference in rows
    ]
    return sorted(totals, key=lambda total: (total.enterprise_name, total.enterprise_number, total.period))


def upload_anomalies(*, upload: BulkUpload) -> Any:
    """The anomalies of the file, by line (those of the whole file or of a period first)."""
    return BulkAnomaly.objects.filter(upload=upload).order_by(F("line_number").asc(nulls_first=True), "pk")


def anomalies_csv(*, upload: BulkUpload) -> Iterator[str]:
    """The anomaly report as CSV rows in the user's language (streamed; a cell a spreadsheet
    would run as a formula is neutralised: it may repeat what the file said)."""
    writer = csv.writer(Echo())
    severities = dict(Severity.choices)
    yield "\ufeff" + writer.writerow(
        [_("Line"), _("Column"), _("Employer number"), _("Period"), _("Severity"), _("Code"), _("Message")]
    )
    for line_number, field, employer_number, period, severity, code in (
        upload_anomalies(upload=upload)
        .values_list("line_number", "field", "employer_number", "period", "severity", "code")
        .iterator(chunk_size=5000)
    ):
        yield writer.writerow(
            [
                line_number or "",
                field,
                neutralised(employer_number),
                neutralised(period),
                severities.get(severity, severity),
                code,
                ANOMALY_MESSAGES[code],
            ]
        )


def upload_queryset(*, actor: Actor) -> QuerySet[BulkUpload]:
    """The actor's uploads, newest first, as a query to paginate (``upload_list`` cuts it)."""
    if not actor.is_authenticated:
        return BulkUpload.objects.none()
    return BulkUpload.objects.filter(_owner_filter(actor)).order_by("-created_at", "-pk")
