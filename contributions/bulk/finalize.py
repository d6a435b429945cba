"""The whole file: in force at once or nothing, the uploader told; and the reconciler that
queues again whatever a lost message or a dead worker left unfinished."""

from __future__ import annotations

import contextlib
import datetime
import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone
from psycopg.types.json import Jsonb

from contributions import notices
from contributions.bulk.files import (
    _actor_restore,
)
from contributions.computation import branch_totals
from contributions.declarations import errors_summary
from contributions.in_force import declaration_periods_lock, declarations_bring_into_force
from contributions.ledger import declaration_due_date
from contributions.models import (
    BulkAnomaly,
    BulkChunk,
    BulkTotal,
    BulkUpload,
    Channel,
    ChunkStatus,
    Declaration,
    DeclarationStatus,
    UploadStatus,
)
from contributions.policies import declaring_capacities
from contributions.types import Severity
from core.periods import Period
from core.tasks import CLAIM_GRACE, enqueue
from identity.country_profiles import country_profile
from identity.selectors import (
    api_key_creator,
    enterprise_ids_by_numbers,
    enterprise_summaries,
)
from identity.types import InvalidIdentifier
from notifications.services import notify
from notifications.types import Recipient

logger = logging.getLogger(__name__)

# --- 4. The whole file: in force at once, or nothing -----------------------------------------


def upload_finalize(*, upload_id: int, now: datetime.datetime) -> bool:
    """Once every chunk is done: bring the file's declarations into force together, or — any
    blocking error anywhere, or a period declared meanwhile — delete them all and reject the
    file. Tells the uploader the file's outcome, and the representatives of each enterprise
    (but the uploader, who has the summary) theirs: a declaration in force, or — when the
    enterprise's own lines had blocking errors — a declaration rejected, with why. An enterprise
    whose lines were right in a file rejected for other employers' lines is not told: nothing
    is wrong on its side, and the sender, who was told, sends the file again. False when there
    was nothing to do."""
    with transaction.atomic():
        upload = (
            BulkUpload.objects.select_for_update(skip_locked=True)
            .filter(pk=upload_id, status=UploadStatus.PROCESSING)
            .first()
        )
        if upload is None or BulkChunk.objects.filter(upload=upload, status=ChunkStatus.PENDING).exists():
            return False
        counts = BulkChunk.objects.filter(upload=upload).aggregate(
            errors=Sum("errors", default=0), warnings=Sum("warnings", default=0)
        )
        errors, warnings = counts["errors"], counts["warnings"]
        totals = _declaration_totals(upload)
        declarations = list(Declaration.objects.filter(bulk_upload=upload, status=DeclarationStatus.PENDING))
        if not upload.lines_total:
            # Nothing but blank lines after the header (beyond what could be seen on arrival).
            BulkAnomaly.objects.create(upload=upload, code="no_lines", severity=Severity.ERROR)
            errors += 1
        if errors == 0:
            errors += _periods_declared_meanwhile(upload, declarations)
        sender_id = _sender(upload)
        if errors:
            _pending_delete(upload)
            upload.status = UploadStatus.REJECTED
            _tell_rejected(upload, sender_id, now)
        else:
            _in_force(upload, [d for d in declarations if d.pk in totals], totals, sender_id, now)
            # Groups none of whose lines were valid do not exist without errors; drop strays.
            _pending_delete(upload)
            upload.status = UploadStatus.ACCEPTED
            upload.declarations = len(totals)
        upload.errors, upload.warnings, upload.finished_at = errors, warnings, now
        upload.save(update_fields=["status", "errors", "warnings", "declarations", "finished_at"])
        _tell_uploader(upload, sender_id, now)
    return True


def _declaration_totals(upload: BulkUpload) -> dict[int, BulkTotal]:
    """Per declaration of the file, the sums of its chunks' totals."""
    summed: dict[int, BulkTotal] = {}
    for row in BulkTotal.objects.filter(chunk__upload=upload).order_by("declaration_id", "chunk_id"):
        total = summed.get(row.declaration_id)
        if total is None:
            summed[row.declaration_id] = row
            continue
        total.line_count += row.line_count
        total.total_wages += row.total_wages
        total.employee_total += row.employee_total
        total.employer_total += row.employer_total
        total.totals = branch_totals([total.totals, row.totals])
    return summed


def _periods_declared_meanwhile(upload: BulkUpload, declarations: list[Declaration]) -> int:
    """A period of the file that has a declaration in force is an error of the file (send a
    replacing declaration instead). Under the same locks as the form and the API."""
    if not declarations:
        return 0
    declaration_periods_lock((d.enterprise_id, d.period) for d in declarations)
    in_force = set(
        Declaration.objects.filter(
            status=DeclarationStatus.IN_FORCE,
            enterprise_id__in={d.enterprise_id for d in declarations},
            period__in={d.period for d in declarations},
        ).values_list("enterprise_id", "period")
    )
    clashes = [d for d in declarations if (d.enterprise_id, d.period) in in_force]
    numbers = {
        summary.id: summary.enterprise_number_display
        for summary in enterprise_summaries(enterprise_ids=list({d.enterprise_id for d in clashes}))
    }
    BulkAnomaly.objects.bulk_create(
        [
            BulkAnomaly(
                upload=upload,
                field="period",
                code="period_declared",
                severity=Severity.ERROR,
                employer_number=numbers.get(d.enterprise_id, "")[:40],
                period=d.period,
            )
            for d in clashes
        ]
    )
    return len(clashes)


def _pending_delete(upload: BulkUpload) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM contributions_declarationline WHERE declaration_id IN"
            " (SELECT id FROM contributions_declaration WHERE bulk_upload_id = %s AND status = 'pending')",
            [upload.pk],
        )
    BulkTotal.objects.filter(chunk__upload=upload).delete()
    Declaration.objects.filter(bulk_upload=upload, status=DeclarationStatus.PENDING).delete()


def _in_force(
    upload: BulkUpload,
    declarations: list[Declaration],
    totals: dict[int, BulkTotal],
    sender_id: int | None,
    now: datetime.datetime,
) -> None:
    """The file's declarations, with their totals summed over the chunks, come into force
    together by the rule of every channel, declared through the bureau the uploader declares
    through now; their lines' warnings become theirs."""
    with connection.cursor() as cursor:
        # One statement over arrays (Django's bulk_update writes a CASE of every row for every
        # column: quadratic in the rows, seconds for a file of a thousand employers).
        cursor.execute(
            "UPDATE contributions_declaration d SET line_count = v.lines, total_wages = v.wages, totals = v.totals"
            " FROM unnest(%s::bigint[], %s::integer[], %s::numeric[], %s::jsonb[]) AS v(id, lines, wages, totals)"
            " WHERE d.id = v.id",
            [
                [d.pk for d in declarations],
                [totals[d.pk].line_count for d in declarations],
                [totals[d.pk].total_wages for d in declarations],
                [Jsonb(totals[d.pk].totals) for d in declarations],
            ],
        )
    bureaus = declaring_capacities(
        actor=_actor_restore(upload.actor),
        enterprise_ids=sorted({d.enterprise_id for d in declarations}),
        on=timezone.localdate(now),
    )
    declarations_bring_into_force(
        declaration_ids=[d.pk for d in declarations], bureaus=bureaus, now=now, told_user_id=sender_id
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contributions_declarationwarning (declaration_id, line_number, field, code)"
            " SELECT declaration_pk, line_number, field, code FROM contributions_bulkanomaly"
            " WHERE upload_id = %s AND severity = 'warning' AND declaration_pk IS NOT NULL ORDER BY line_number",
            [upload.pk],
        )


def _sender(upload: BulkUpload) -> int | None:
    """Who is told of the file: the person who sent it, or for software, the person who created
    its key."""
    if upload.uploaded_by_id is not None:
        return upload.uploaded_by_id
    if upload.uploaded_with_key_id is not None:
        return api_key_creator(api_key_id=upload.uploaded_with_key_id)
    return None


def _tell_uploader(upload: BulkUpload, user_id: int | None, now: datetime.datetime) -> None:
    """The person who sent the file (for software, the person who created its key) is told in
    the same transaction as the outcome."""
    if user_id is None:
        return
    notify(
        recipients=[Recipient(user_id)],
        event="bulk_upload_processed",
        context={
            "file_name": upload.file_name,
            "accepted": upload.status == UploadStatus.ACCEPTED,
            "lines": upload.lines_total or 0,
            "errors": upload.errors,
            "warnings": upload.warnings,
            "declarations": upload.declarations,
        },
        now=now,
        link=reverse("contributions:bulk_upload", args=[upload.pk]),
    )


# The errors of a line's employer, not of its declaration: the sender may not declare for it,
# or it is not one.
_NOT_THE_EMPLOYERS = ("employer_number_invalid", "employer_unknown", "employer_not_allowed")


def _tell_rejected(upload: BulkUpload, sender_id: int | None, now: datetime.datetime) -> None:
    """The representatives of each enterprise the sender may declare for whose own lines (or
    period) had blocking errors: its declaration of the month was rejected, why, by whom.
    Three queries (the errors grouped by employer, period and code; the employers; whom the
    sender may declare for) and the notices', whatever the number of lines."""
    found = list(
        BulkAnomaly.objects.filter(upload=upload, severity=Severity.ERROR)
        .exclude(employer_number="")
        .exclude(code__in=_NOT_THE_EMPLOYERS)
        .order_by()
        .values_list("employer_number", "period", "code")
        .annotate(first=Min("line_number"), count=Count("pk"))
    )
    if not found:
        return
    scheme = country_profile().enterprise_number
    numbers: dict[str, str | None] = {}
    for written, _period, _code, _first, _count in found:
        if written not in numbers:
            try:
                numbers[written] = scheme.validate(written)
            except InvalidIdentifier:
                numbers[written] = None
    enterprises = enterprise_ids_by_numbers(enterprise_numbers=sorted({n for n in numbers.values() if n}))
    bureaus = declaring_capacities(
        actor=_actor_restore(upload.actor),
        enterprise_ids=sorted(set(enterprises.values())),
        on=timezone.localdate(now),
    )
    errors: dict[tuple[int, str], list[tuple[str, int | None, int]]] = {}
    for written, period, code, first, count in found:
        enterprise_id = enterprises.get(numbers[written] or "")
        if enterprise_id is None or enterprise_id not in bureaus:
            continue
        with contextlib.suppress(ValueError):
            period = str(Period.parse(period))
        errors.setdefault((enterprise_id, period), []).append((code, first, count))
    today = timezone.localdate(now)
    rejected = []
    for (enterprise_id, period), anomalies in sorted(errors.items()):
        try:
            due_on: datetime.date | None = declaration_due_date(
                period=Period.parse(period), due_day=settings.DECLARATION_DUE_DAY
            )
        except ValueError:
            due_on = None
        rejected.append(
            notices.Rejected(
                enterprise_id=enterprise_id,
                period=period,
                channel=Channel.FILE,
                replacement=False,  # a file declares months not declared yet
                error_count=sum(count for _code, _first, count in anomalies),
                errors=errors_summary(anomalies),
                due_on=due_on,
                overdue=due_on is not None and today > due_on,
                file_name=upload.file_name,
                bureau_id=bureaus[enterprise_id],
                told_user_id=sender_id,
            )
        )
    notices.declarations_rejected(rejected=rejected, now=now)


# --- The reconciler ---------------------------------------------------------------------------


def uploads_reconcile(*, now: datetime.datetime) -> int:
    """Queue again every step that is unfinished, not running and was queued more than
    BULK_REQUEUE_AFTER_SECONDS ago: a plan, a chunk (a running one holds its row lock and is
    skipped), a finalization. And, without waiting that long, the chunks a dead worker left:

    - taken by a worker that no longer holds its row lock (PostgreSQL dropped the lock with the
      worker's connection) more than CLAIM_GRACE ago, and not queued since;
    - never taken, while a chunk queued after it (of a file in progress) was taken more than
      CLAIM_GRACE ago: the queue is first in, first out, so its message was received by a
      worker that died before taking it.

    Returns how many were queued."""
    cutoff = now - datetime.timedelta(seconds=settings.BULK_REQUEUE_AFTER_SECONDS)
    taken_before = now - CLAIM_GRACE
    queued_after_and_taken = BulkChunk.objects.filter(
        Q(queued_at__gt=OuterRef("queued_at")) | Q(queued_at=OuterRef("queued_at"), pk__gt=OuterRef("pk")),
        upload__status=UploadStatus.PROCESSING,
        started_at__lt=taken_before,
        started_at__gte=F("queued_at"),  # taken from that message, not before it was queued again
    )
    with transaction.atomic():
        plans = list(
            BulkUpload.objects.select_for_update(skip_locked=True)
            .filter(status=UploadStatus.RECEIVED, queued_at__lt=cutoff)
            .values_list("pk", flat=True)
        )
        chunks = list(
            BulkChunk.objects.select_for_update(skip_locked=True)
            .filter(status=ChunkStatus.PENDING)
            .filter(
                Q(queued_at__lt=cutoff)
                | Q(started_at__lt=taken_before, queued_at__lte=F("started_at"))
                | ((Q(started_at__isnull=True) | Q(started_at__lt=F("queued_at"))) & Exists(queued_after_and_taken))
            )
            .values_list("pk", flat=True)
        )
        finals = list(
            BulkUpload.objects.select_for_update(skip_locked=True)
            .filter(status=UploadStatus.PROCESSING, queued_at__lt=cutoff)
            .exclude(Exists(BulkChunk.objects.filter(upload=OuterRef("pk"), status=ChunkStatus.PENDING)))
            .values_list("pk", flat=True)
        )
        BulkUpload.objects.filter(pk__in=plans + finals).update(queued_at=now)
        BulkChunk.objects.filter(pk__in=chunks).update(queued_at=now)
        for pk in plans:
            enqueue("contributions.bulk_plan", upload_id=pk)
        for pk in chunks:
            enqueue("contributions.bulk_chunk", chunk_id=pk)
        for pk in finals:
            enqueue("contributions.bulk_finalize", upload_id=pk)
    if plans or chunks or finals:
        logger.info("bulk work queued again", extra={"plans": len(plans), "chunks": len(chunks), "finals": len(finals)})
    return len(plans) + len(chunks) + len(finals)
