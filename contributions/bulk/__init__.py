"""Bulk declaration files: one file, many employers and periods, a million lines.

The flow, and what makes it safe:

1. ``upload_receive`` (files.py, in the request) stores the file, hashing and sniffing it on the way, and
   answers at once: the technical acknowledgement, the first upload when the same file comes
   again, or an immediate rejection. The upload row is committed, then its plan is queued.
2. ``upload_plan`` (plan.py) reads the file once: it finds the (employer, period) groups, creates one
   *pending* declaration per group (invisible to everyone) and cuts the file into chunks of
   ``BULK_CHUNK_LINES`` lines — rows in the database — then queues them.
3. ``chunk_process`` (chunks.py) validates every line of a chunk by the rules of the form and the API
   (``contributions.declarations``), computes the contributions by the same code, and writes the
   chunk's lines with ``COPY``, its anomalies and its totals, and marks it done, in one
   transaction that holds the chunk's row lock: a chunk is done once or not at all.
4. ``upload_finalize`` (finalize.py) — once no chunk is pending — brings every declaration of the file into
   force at once, by the rule of the form and the API (``contributions.in_force``), or, when any
   line has a blocking error, deletes them all: all or nothing.

The database is the source of truth for work: ``uploads_reconcile`` (every 15 s) queues again any
step that is unfinished and not running (a running chunk holds its row lock, so ``SKIP LOCKED``
tells them apart; a chunk taken by a worker that died is no longer locked, and is queued again
at once). Every task is safe to run twice or concurrently, and retries transient database
errors by itself (``core.tasks.Task``).
"""

from contributions.bulk.chunks import chunk_process
from contributions.bulk.files import (
    COLUMNS,
    LINE_COLUMNS,
    FileFormat,
    Receipt,
    UploadRejected,
    format_sniff,
    rejection,
    upload_receive,
)
from contributions.bulk.finalize import upload_finalize, uploads_reconcile
from contributions.bulk.plan import upload_plan
from contributions.bulk.reads import (
    GroupTotal,
    Progress,
    anomalies_csv,
    upload_anomalies,
    upload_get,
    upload_list,
    upload_progress,
    upload_queryset,
    upload_totals,
)

__all__ = [
    "COLUMNS",
    "LINE_COLUMNS",
    "FileFormat",
    "GroupTotal",
    "Progress",
    "Receipt",
    "UploadRejected",
    "anomalies_csv",
    "chunk_process",
    "format_sniff",
    "rejection",
    "upload_anomalies",
    "upload_finalize",
    "upload_get",
    "upload_list",
    "upload_plan",
    "upload_progress",
    "upload_queryset",
    "upload_receive",
    "upload_totals",
    "uploads_reconcile",
]
