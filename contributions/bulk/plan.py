"""Planning a received file: its (employer, period) groups become pending declarations, its
lines are cut into chunks (rows of the database), and the chunks are queued."""

from __future__ import annotations

import csv
import datetime
import logging
import secrets
from collections.abc import Iterator
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.db import transaction

from contributions.bulk.files import (
    _path,
    _split,
)
from contributions.models import (
    BulkChunk,
    BulkUpload,
    Channel,
    Declaration,
    DeclarationStatus,
    UploadStatus,
)
from core.periods import Period
from core.tasks import enqueue
from identity.country_profiles import country_profile
from identity.selectors import (
    enterprise_ids_by_numbers,
)
from identity.types import InvalidIdentifier

logger = logging.getLogger(__name__)

# --- 2. Planning: groups and chunks ----------------------------------------------------------


# The file is read in blocks of this size (a line that runs past a block's end is completed).
_BLOCK_BYTES = 4 << 20


def _lines(file: IO[bytes], start: int) -> Iterator[tuple[int, bytes]]:
    """(offset after the line, the line without its line ending) from ``start``, read a block
    at a time (a line at a time costs more than the rest of the planning)."""
    file.seek(start)
    offset = start
    while block := file.read(_BLOCK_BYTES):
        if not block.endswith(b"\n"):
            block += file.readline()
        lines = block.split(b"\n")
        # After the block's last line ending: nothing, or at the end of the file a last line
        # without one.
        last = lines.pop()
        for raw in lines:
            offset += len(raw) + 1
            yield offset, raw.rstrip(b"\r")
        if last:
            offset += len(last)
            yield offset, last.rstrip(b"\r")


def upload_plan(*, upload_id: int, now: datetime.datetime) -> bool:
    """Cut the file into chunks and create a pending declaration per (employer, period) it
    names; queue the chunks. False when there was nothing to do (done already, or running)."""
    with transaction.atomic():
        upload = (
            BulkUpload.objects.select_for_update(skip_locked=True)
            .filter(pk=upload_id, status=UploadStatus.RECEIVED)
            .first()
        )
        if upload is None:
            return False
        separator = upload.separator.encode()
        groups: set[tuple[str, str]] = set()
        chunks: list[BulkChunk] = []
        size = settings.BULK_CHUNK_LINES
        with _path(upload).open("rb") as file:
            header = file.readline()
            # Line 1 is the header; a chunk starts on the line after the previous one's last.
            number, start, first_line, count, offset = 1, len(header), 2, 0, len(header)
            # Lines come grouped by employer and period in practice: a line that starts like the
            # previous group's (its first two fields as written) belongs to it, no need to split it.
            prefix: bytes | None = None
            for offset, raw in _lines(file, len(header)):
                number += 1
                if prefix is None or not raw.startswith(prefix):
                    if not raw.strip():
                        continue
                    prefix = _group_add(groups, raw, separator, upload.separator)
                count += 1
                if count == size:
                    chunks.append(_chunk(upload, len(chunks) + 1, first_line, count, start, offset))
                    start, count, first_line = offset, 0, number + 1
            if count:
                chunks.append(_chunk(upload, len(chunks) + 1, first_line, count, start, offset))
        BulkChunk.objects.bulk_create(chunks)
        _pending_declarations(upload, groups, now)
        upload.lines_total = sum(chunk.line_count for chunk in chunks)
        upload.status = UploadStatus.PROCESSING
        upload.queued_at = now
        upload.save(update_fields=["lines_total", "status", "queued_at"])
        BulkChunk.objects.filter(upload=upload).update(queued_at=now)
        chunk_ids = list(BulkChunk.objects.filter(upload=upload).values_list("pk", flat=True))
        for pk in chunk_ids:
            enqueue("contributions.bulk_chunk", chunk_id=pk)
        if not chunk_ids:
            enqueue("contributions.bulk_finalize", upload_id=upload.pk)
    return True


def _group_add(groups: set[tuple[str, str]], raw: bytes, separator: bytes, text_separator: str) -> bytes | None:
    """Note the (employer number, period) of a line, as written (the chunk checks them); the
    start of the line that names that group (its first two fields and separators), or None
    when the fields are quoted or the line has fewer."""
    parts = raw.split(separator, 2)
    if len(parts) < 2:
        return None
    if b'"' in parts[0] or b'"' in parts[1]:
        try:
            fields = _split(raw.decode("utf-8"), text_separator)
        except (UnicodeDecodeError, csv.Error):
            return None
        if len(fields) >= 2:
            groups.add((fields[0].strip(), fields[1].strip()))
        return None
    try:
        groups.add((parts[0].strip().decode("utf-8"), parts[1].strip().decode("utf-8")))
    except UnicodeDecodeError:
        return None
    return parts[0] + separator + parts[1] + separator if len(parts) == 3 else None


def _chunk(upload: BulkUpload, number: int, first_line: int, count: int, start: int, end: int) -> BulkChunk:
    return BulkChunk(
        upload=upload, number=number, first_line=first_line, line_count=count, start_offset=start, end_offset=end
    )


def _pending_declarations(upload: BulkUpload, groups: set[tuple[str, str]], now: datetime.datetime) -> None:
    """One pending declaration per group whose employer exists and whose period is written
    right (the lines of the others are errors: they need none)."""
    scheme = country_profile().enterprise_number
    compact: dict[tuple[str, str], tuple[str, str]] = {}
    for employer_number, period in groups:
        try:
            number = scheme.validate(employer_number)
            compact[(employer_number, period)] = (number, str(Period.parse(period)))
        except (InvalidIdentifier, ValueError):
            continue
    enterprises = enterprise_ids_by_numbers(enterprise_numbers=list({number for number, _p in compact.values()}))
    wanted = {(enterprises[number], period) for number, period in compact.values() if number in enterprises}
    Declaration.objects.bulk_create(
        [
            Declaration(
                enterprise_id=enterprise_id,
                period=period,
                version=0,
                status=DeclarationStatus.PENDING,
                reference=f"D{period[:4]}{period[5:7]}-{secrets.token_hex(5).upper()}",
                channel=Channel.FILE,
                submitted_at=now,
                submitted_by_id=upload.uploaded_by_id,
                submitted_with_key_id=upload.uploaded_with_key_id,
                bulk_upload=upload,
                line_count=0,
                total_wages=Decimal("0.00"),
            )
            for enterprise_id, period in sorted(wanted)
        ],
        ignore_conflicts=True,
    )
