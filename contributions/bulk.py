"""Bulk declaration files: one file, many employers and periods, a million lines.

The flow, and what makes it safe:

1. ``upload_receive`` (in the request) stores the file, hashing and sniffing it on the way, and
   answers at once: the technical acknowledgement, the first upload when the same file comes
   again, or an immediate rejection. The upload row is committed, then its plan is queued.
2. ``upload_plan`` reads the file once: it finds the (employer, period) groups, creates one
   *pending* declaration per group (invisible to everyone) and cuts the file into chunks of
   ``BULK_CHUNK_LINES`` lines — rows in the database — then queues them.
3. ``chunk_process`` validates every line of a chunk by the rules of the form and the API
   (``contributions.declarations``), computes the contributions by the same code, and writes the
   chunk's lines with ``COPY``, its anomalies and its totals, and marks it done, in one
   transaction that holds the chunk's row lock: a chunk is done once or not at all.
4. ``upload_finalize`` — once no chunk is pending — brings every declaration of the file into
   force at once, or, when any line has a blocking error, deletes them all: all or nothing.

The database is the source of truth for work: ``uploads_reconcile`` (every 30 s) queues again any
step that is unfinished and not running (a running chunk holds its row lock, so ``SKIP LOCKED``
tells them apart). Every task is safe to run twice or concurrently.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import logging
import os
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import psycopg
from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contributions import ledger
from contributions.computation import RateTable, branch_totals, cents, cents_text
from contributions.declarations import (
    ParsedLine,
    line_check,
    line_warnings,
    national_number_check,
    period_check,
)
from contributions.models import (
    BulkAnomaly,
    BulkChunk,
    BulkTotal,
    BulkUpload,
    Channel,
    ChunkStatus,
    Declaration,
    DeclarationLine,
    DeclarationStatus,
    UploadStatus,
)
from contributions.selectors import rates_for_period
from contributions.services import NotFound, declaring_capacities
from contributions.types import ANOMALY_MESSAGES, UPLOAD_ERROR_MESSAGES, Anomaly, LineInput, Severity
from identity.country_profiles import country_profile
from identity.selectors import (
    api_key_creator,
    enterprise_ids_by_numbers,
    enterprise_summaries,
    persons_by_national_numbers,
)
from identity.types import ApiKeyScope, InvalidIdentifier
from notifications.services import notify
from notifications.types import Recipient
from portal.core.actor import ActingMode, Actor, LevelOfAssurance
from portal.core.periods import Period
from portal.core.spreadsheet import Echo, neutralised

logger = logging.getLogger(__name__)

COLUMNS = (
    "employer_number",
    "period",
    "national_number",
    "last_name",
    "first_name",
    "worker_category",
    "gross_wage",
    "days_worked",
)
# The columns of a declaration line as a chunk writes them with COPY.
LINE_COLUMNS = (
    "declaration_id, line_number, person_id, worker_category, gross_wage, days_worked, employee_amount, employer_amount"
)
_BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 64 * 1024
_COPY_BLOCK = 1 << 20


# --- 1. Receiving a file ---------------------------------------------------------------------


@dataclass(frozen=True)
class FileFormat:
    encoding: str  # "utf-8", or "utf-8-sig" when the file starts with a byte order mark
    separator: str  # "," or ";"
    decimal_mark: str  # "." with commas; "," (a point is read too) with semicolons
    line_ending: str  # "LF" or "CRLF"


class UploadRejected(Exception):
    """A file refused as it arrives; ``message`` says why, in the user's language."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return (
            str(UPLOAD_ERROR_MESSAGES[self.code]) % self.params
            if self.params
            else str(UPLOAD_ERROR_MESSAGES[self.code])
        )


def rejection(code: str) -> UploadRejected:
    """An immediate rejection with the limits of this installation in its message."""
    params: dict[str, object] = {}
    if code == "too_large":
        params["limit"] = filesizeformat(settings.BULK_MAX_BYTES)
    elif code == "too_many_lines":
        params["limit"] = settings.BULK_MAX_LINES
    elif code == "too_many_uploads":
        params["limit"] = settings.BULK_MAX_IN_PROGRESS
    elif code == "header":
        params["columns"] = ", ".join(COLUMNS)
    return UploadRejected(code, **params)


def format_sniff(head: bytes) -> FileFormat:
    """The format of a file from its first bytes: encoding, separator (from the header row),
    decimal mark and line ending. Raises UploadRejected (not CSV, wrong header)."""
    encoding = "utf-8"
    if head.startswith(_BOM):
        encoding, head = "utf-8-sig", head[len(_BOM) :]
    if b"\x00" in head:
        raise rejection("not_csv")
    end = head.find(b"\n")
    if end < 0:
        if len(head) >= _SNIFF_BYTES:
            raise rejection("not_csv")
        end = len(head)
    raw_header = head[:end]
    line_ending = "CRLF" if raw_header.endswith(b"\r") else "LF"
    try:
        header = raw_header.rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        raise rejection("not_csv") from None
    separator = ";" if ";" in header else ","
    names = tuple(name.strip().strip('"').strip().lower() for name in header.split(separator))
    if names != COLUMNS:
        raise rejection("header")
    return FileFormat(
        encoding=encoding,
        separator=separator,
        decimal_mark="," if separator == ";" else ".",
        line_ending=line_ending,
    )


@dataclass(frozen=True)
class Receipt:
    """The technical acknowledgement: what was received, and whether it was already."""

    upload: BulkUpload
    duplicate: bool


def _owner_filter(actor: Actor) -> Q:
    if actor.is_machine:
        return Q(key_enterprise_id=next(iter(actor.enterprise_ids)))
    return Q(uploaded_by_id=actor.user_id, uploaded_with_key__isnull=True)


def _actor_snapshot(actor: Actor) -> dict[str, Any]:
    return {
        "user_id": actor.user_id,
        "api_key_id": actor.api_key_id,
        "mode": str(actor.mode),
        "enterprise_ids": sorted(actor.enterprise_ids),
        "scopes": sorted(actor.scopes),
    }


def _actor_restore(snapshot: dict[str, Any]) -> Actor:
    """The uploader, as the processing checks it: their roles and the mandates in force are
    read again from the database, so a right withdrawn meanwhile is withdrawn for the file."""
    return Actor(
        user_id=snapshot["user_id"],
        level_of_assurance=LevelOfAssurance.SUBSTANTIAL if snapshot["api_key_id"] else LevelOfAssurance.LOW,
        mode=ActingMode(snapshot["mode"]),
        enterprise_ids=frozenset(snapshot["enterprise_ids"]),
        scopes=frozenset(snapshot["scopes"]),
        api_key_id=snapshot["api_key_id"],
    )


def upload_receive(
    *, actor: Actor, name: str, chunks: Iterable[bytes], size: int | None, channel: str, now: datetime.datetime
) -> Receipt:
    """Store a declaration file and acknowledge it, or refuse it at once (UploadRejected).
    ``chunks`` is the file's content, read once (memory stays flat whatever its size)."""
    if not actor.is_authenticated or (actor.is_machine and ApiKeyScope.DECLARE not in actor.scopes):
        raise NotFound
    if size is not None and size > settings.BULK_MAX_BYTES:
        raise rejection("too_large")
    directory = Path(settings.BULK_UPLOAD_DIR) / f"{now:%Y}" / f"{now:%m}"
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".receiving-{secrets.token_hex(8)}"
    digest, total, newlines, head = hashlib.sha256(), 0, 0, b""
    try:
        with temporary.open("wb") as stored:
            for block in chunks:
                total += len(block)
                if total > settings.BULK_MAX_BYTES:
                    raise rejection("too_large")
                if len(head) < _SNIFF_BYTES:
                    head += block[: _SNIFF_BYTES - len(head)]
                digest.update(block)
                newlines += block.count(b"\n")
                stored.write(block)
        if total == 0:
            raise rejection("empty")
        file_format = format_sniff(head)
        body = head.split(b"\n", 1)[1] if b"\n" in head else b""
        # Blank lines are not lines to declare; past the head, the processing finds out.
        if not body.strip() and (newlines <= 1 or total <= _SNIFF_BYTES):
            raise rejection("empty")
        if newlines > settings.BULK_MAX_LINES + 1:
            raise rejection("too_many_lines")
        sha256 = digest.hexdigest()
        owner = _owner_filter(actor)
        first = BulkUpload.objects.filter(owner, sha256=sha256).first()
        if first is not None:
            return Receipt(upload=first, duplicate=True)
        in_progress = BulkUpload.objects.filter(
            owner, status__in=[UploadStatus.RECEIVED, UploadStatus.PROCESSING]
        ).count()
        if in_progress >= settings.BULK_MAX_IN_PROGRESS:
            raise rejection("too_many_uploads")
        stored_name = f"{now:%Y}/{now:%m}/{sha256}-{secrets.token_hex(4)}.csv"
        os.replace(temporary, Path(settings.BULK_UPLOAD_DIR) / stored_name)
        try:
            with transaction.atomic():
                upload = BulkUpload.objects.create(
                    uploaded_by_id=actor.user_id,
                    uploaded_with_key_id=actor.api_key_id,
                    key_enterprise_id=next(iter(actor.enterprise_ids)) if actor.is_machine else None,
                    actor=_actor_snapshot(actor),
                    channel=channel,
                    file_name=Path(name).name[:255] or "declarations.csv",
                    stored_name=stored_name,
                    size=total,
                    sha256=sha256,
                    encoding=file_format.encoding,
                    separator=file_format.separator,
                    decimal_mark=file_format.decimal_mark,
                    line_ending=file_format.line_ending,
                    created_at=now,
                    queued_at=now,
                )
                transaction.on_commit(lambda: _queue("contributions.bulk_plan", upload_id=upload.pk))
        except IntegrityError:
            # The same file, sent twice at the same moment: the first one stands.
            (Path(settings.BULK_UPLOAD_DIR) / stored_name).unlink(missing_ok=True)
            return Receipt(upload=BulkUpload.objects.get(owner, sha256=sha256), duplicate=True)
        return Receipt(upload=upload, duplicate=False)
    finally:
        temporary.unlink(missing_ok=True)


def _queue(task: str, **kwargs: int) -> None:
    """Queue a step by its task's name (the tasks module calls this one: no import cycle)."""
    current_app.send_task(task, kwargs=kwargs)


def _path(upload: BulkUpload) -> Path:
    return Path(settings.BULK_UPLOAD_DIR) / upload.stored_name


# --- 2. Planning: groups and chunks ----------------------------------------------------------


def _lines(file: IO[bytes], start: int) -> Iterator[tuple[int, bytes]]:
    """(offset after the line, the line without its line ending) from ``start``."""
    file.seek(start)
    offset = start
    for raw in file:
        offset += len(raw)
        yield offset, raw.rstrip(b"\r\n")


def _split(line: str, separator: str) -> list[str]:
    if '"' not in line:
        return line.split(separator)
    return next(csv.reader([line], delimiter=separator))


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
            for offset, raw in _lines(file, len(header)):
                number += 1
                if not raw.strip():
                    continue
                _group_add(groups, raw, separator, upload.separator)
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
        if chunk_ids:

            def queue_chunks() -> None:
                for pk in chunk_ids:
                    _queue("contributions.bulk_chunk", chunk_id=pk)

            transaction.on_commit(queue_chunks)
        else:
            transaction.on_commit(lambda: _queue("contributions.bulk_finalize", upload_id=upload.pk))
    return True


def _group_add(groups: set[tuple[str, str]], raw: bytes, separator: bytes, text_separator: str) -> None:
    """Note the (employer number, period) of a line, as written (the chunk checks them)."""
    parts = raw.split(separator, 2)
    if len(parts) < 2:
        return
    if b'"' in parts[0] or b'"' in parts[1]:
        try:
            fields = _split(raw.decode("utf-8"), text_separator)
        except (UnicodeDecodeError, csv.Error):
            return
        if len(fields) >= 2:
            groups.add((fields[0].strip(), fields[1].strip()))
        return
    try:
        groups.add((parts[0].strip().decode("utf-8"), parts[1].strip().decode("utf-8")))
    except UnicodeDecodeError:
        return


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


# --- 3. A chunk: every line validated, computed and written ----------------------------------


@dataclass
class _Group:
    """What a chunk knows of one (employer number, period) as written in the file."""

    key: tuple[str, str]
    enterprise_id: int | None
    period: Period | None
    errors: tuple[Anomaly, ...]  # of the group, reported on each of its lines
    declaration_id: int | None
    table: RateTable | None
    seen: set[int]


def chunk_process(*, chunk_id: int, now: datetime.datetime) -> bool:
    """Validate and write one chunk, exactly once: False when it is done already or being
    processed by another worker (whose row lock it found)."""
    with transaction.atomic():
        chunk = (
            # Only the chunk's row: locking its upload too would make the chunks of a file
            # skip each other.
            BulkChunk.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("upload")
            .filter(pk=chunk_id, status=ChunkStatus.PENDING)
            .first()
        )
        if chunk is None:
            return False
        # A chunk is redone if its commit is lost in a database crash (it is still pending then,
        # with nothing of it written): no need to wait for the disk on each chunk's commit.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        upload = chunk.upload
        rows, anomalies = _chunk_read(upload, chunk)
        groups = _groups(upload, rows, now)
        parsed, anomalies = _chunk_check(rows, groups, anomalies)
        # A file with an error anywhere is rejected whole: once one is known, its lines are not
        # written (the report still lists every anomaly of every line).
        doomed = (
            any(a.severity == Severity.ERROR for a, _key in anomalies)
            or BulkChunk.objects.filter(upload=upload, errors__gt=0).exists()
        )
        if not doomed:
            rows_text, sums = _computed(parsed)
            duplicates = _lines_write(rows_text, parsed)
            if duplicates:
                anomalies.extend(duplicates)
                doomed = True
        _anomalies_write(upload, anomalies, groups)
        if not doomed:
            _totals_write(chunk, sums)
        chunk.status = ChunkStatus.DONE
        chunk.errors = sum(1 for a, _key in anomalies if a.severity == Severity.ERROR)
        chunk.warnings = len(anomalies) - chunk.errors
        chunk.done_at = now
        chunk.save(update_fields=["status", "errors", "warnings", "done_at"])
        # Asked once committed: two last chunks finishing together each see the other as still
        # pending inside their transactions; after commit, at least one of them sees none.
        transaction.on_commit(lambda: _finalize_when_done(upload.pk))
    return True


def _finalize_when_done(upload_id: int) -> None:
    if not BulkChunk.objects.filter(upload_id=upload_id, status=ChunkStatus.PENDING).exists():
        _queue("contributions.bulk_finalize", upload_id=upload_id)


_Row = tuple[int, tuple[str, str], LineInput]  # (line number, (employer number, period) as written, line)
_Found = tuple[Anomaly, tuple[str, str] | None]  # an anomaly, and the group of its line


def _chunk_read(upload: BulkUpload, chunk: BulkChunk) -> tuple[list[_Row], list[_Found]]:
    rows: list[_Row] = []
    anomalies: list[_Found] = []
    separator, decimal_comma = upload.separator, upload.decimal_mark == ","
    with _path(upload).open("rb") as file:
        file.seek(chunk.start_offset)
        data = file.read(chunk.end_offset - chunk.start_offset)
    number = chunk.first_line - 1
    for raw in data.split(b"\n"):
        number += 1
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            anomalies.append((Anomaly("line_encoding", Severity.ERROR, number), None))
            continue
        try:
            fields = _split(text, separator)
        except csv.Error:
            fields = []
        if len(fields) != len(COLUMNS):
            anomalies.append((Anomaly("columns_count", Severity.ERROR, number), None))
            continue
        employer, period, national, _last, _first, category, wage, days = (field.strip() for field in fields)
        if not decimal_comma and "," in wage:
            wage = "?"  # a decimal comma needs the semicolon separator: the wage is unreadable
        rows.append((number, (employer, period), LineInput(national, category, wage, days)))
    return rows, anomalies


def _groups(upload: BulkUpload, rows: list[_Row], now: datetime.datetime) -> dict[tuple[str, str], _Group]:
    """Each (employer number, period) of the chunk's lines, checked once: the employer exists
    and the uploader may declare for it (read now), the period, its rates, its declaration."""
    actor = _actor_restore(upload.actor)
    today = timezone.localdate(now)
    written = {key for _n, key, _line in rows}
    scheme = country_profile().enterprise_number
    numbers: dict[str, str | None] = {}
    for employer, _period in written:
        if employer not in numbers:
            try:
                numbers[employer] = scheme.validate(employer)
            except InvalidIdentifier:
                numbers[employer] = None
    enterprises = enterprise_ids_by_numbers(enterprise_numbers=[n for n in set(numbers.values()) if n is not None])
    capacities = declaring_capacities(actor=actor, enterprise_ids=sorted(set(enterprises.values())), on=today)
    allowed = {enterprise_id: enterprise_id in capacities for enterprise_id in set(enterprises.values())}
    periods = {period: period_check(period, today=today) for period in {period for _e, period in written}}
    tables = {
        declared: RateTable(rates_for_period(period=declared))
        for declared in {declared for declared, _errors in periods.values() if declared is not None}
    }
    pending = {
        (enterprise_id, period): pk
        for enterprise_id, period, pk in Declaration.objects.filter(
            bulk_upload=upload, status=DeclarationStatus.PENDING, enterprise_id__in=list(allowed)
        ).values_list("enterprise_id", "period", "pk")
    }
    groups = {}
    for employer, period in written:
        errors: list[Anomaly] = []
        number = numbers[employer]
        enterprise_id = enterprises.get(number) if number is not None else None
        if number is None:
            errors.append(Anomaly("employer_number_invalid", Severity.ERROR, field="employer_number"))
        elif enterprise_id is None:
            errors.append(Anomaly("employer_unknown", Severity.ERROR, field="employer_number"))
        elif not allowed[enterprise_id]:
            errors.append(Anomaly("employer_not_allowed", Severity.ERROR, field="employer_number"))
        declared, period_errors = periods[period]
        errors.extend(period_errors)
        groups[(employer, period)] = _Group(
            key=(employer, period),
            enterprise_id=enterprise_id if enterprise_id is not None and allowed.get(enterprise_id) else None,
            period=declared,
            errors=tuple(errors),
            declaration_id=pending.get((enterprise_id, str(declared))) if enterprise_id and declared else None,
            table=tables.get(declared) if declared is not None else None,
            seen=set(),
        )
    return groups


_Checked = tuple[_Group, ParsedLine]


def _chunk_check(
    rows: list[_Row], groups: dict[tuple[str, str], _Group], found: list[_Found]
) -> tuple[list[_Checked], list[_Found]]:
    """Every rule on every line (never stopping at the first error); the valid lines with their
    group, and every anomaly with the group of its line."""
    scheme = country_profile().person_number
    anomalies: list[Anomaly] = []
    compact: dict[int, str] = {}
    for number, _key, line in rows:
        if (valid := national_number_check(number, line.national_number, scheme, anomalies)) is not None:
            compact[number] = valid
    keys = {number: key for number, key, _line in rows}
    registry = persons_by_national_numbers(compact_numbers=list(set(compact.values())))
    checked: list[_Checked] = []
    for number, key, line in rows:
        group = groups[key]
        anomalies.extend(Anomaly(error.code, error.severity, number, error.field) for error in group.errors)
        if group.period is None or group.table is None:
            continue
        number_compact = compact.get(number)
        parsed = line_check(
            number,
            line,
            compact=number_compact,
            entry=registry.get(number_compact) if number_compact is not None else None,
            declared=group.period,
            table=group.table,
            seen=group.seen,
            anomalies=anomalies,
        )
        if parsed is not None and group.enterprise_id is not None and group.table.has_category(parsed[2]):
            checked.append((group, parsed))
    by_period: dict[Period, list[tuple[int, int, int, Decimal]]] = defaultdict(list)
    for group, (number, person_id, _category, wage, _days) in checked:
        assert group.period is not None and group.enterprise_id is not None
        by_period[group.period].append((number, group.enterprise_id, person_id, wage))
    for period, lines in by_period.items():
        anomalies.extend(line_warnings(period=period, lines=lines))
    found.extend((anomaly, keys.get(anomaly.line_number or 0)) for anomaly in anomalies)
    return checked, found


@dataclass
class _Sums:
    """What a chunk's lines add to one declaration, in cents."""

    lines: int = 0
    wages: int = 0
    employee: int = 0
    employer: int = 0
    branches: dict[str, list[int]] | None = None


def _computed(parsed: list[_Checked]) -> tuple[list[str], dict[int, _Sums]]:
    """The contributions of each line (the computation of every channel, ``line_cents``, in
    integer cents) as ``COPY`` rows, and their sums per declaration."""
    rows: list[str] = []
    sums: dict[int, _Sums] = {}
    for group, (number, person_id, category, wage, days) in parsed:
        declaration_id, table = group.declaration_id, group.table
        assert declaration_id is not None and table is not None
        wage_cents = cents(wage)
        total = sums.get(declaration_id)
        if total is None:
            total = sums[declaration_id] = _Sums(branches={})
        branches = total.branches
        assert branches is not None
        employee = employer = 0
        for branch, _base, employee_share, employer_share in table.line_cents(
            worker_category=category, wage_cents=wage_cents
        ):
            employee += employee_share
            employer += employer_share
            branch_sum = branches.get(branch)
            if branch_sum is None:
                branches[branch] = [employee_share, employer_share]
            else:
                branch_sum[0] += employee_share
                branch_sum[1] += employer_share
        total.lines += 1
        total.wages += wage_cents
        total.employee += employee
        total.employer += employer
        rows.append(
            f"{declaration_id}\t{number}\t{person_id}\t{category}\t{cents_text(wage_cents)}\t{days}\t"
            f"{cents_text(employee)}\t{cents_text(employer)}\n"
        )
    return rows, sums


def _lines_write(rows: list[str], parsed: list[_Checked]) -> list[_Found]:
    """The chunk's lines into their pending declarations with ``COPY``. A person declared twice
    for the same employer and period in two chunks breaks the unique constraint: then nothing
    is written and the chunk's copies are reported as duplicates."""
    try:
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY contributions_declarationline ({LINE_COLUMNS}) FROM STDIN") as copy,
        ):
            for start in range(0, len(rows), 5000):
                copy.write("".join(rows[start : start + 5000]))
    except psycopg.errors.UniqueViolation:
        pairs = {(group.declaration_id, line[1]): line[0] for group, line in parsed}
        written = set(
            DeclarationLine.objects.filter(
                declaration_id__in={declaration_id for declaration_id, _p in pairs},
                person_id__in=RawSQL("SELECT unnest(%s::bigint[])", [list({person for _d, person in pairs})]),
            ).values_list("declaration_id", "person_id")
        )
        keys = {line[0]: group for group, line in parsed}
        return [
            (Anomaly("line_duplicate", Severity.ERROR, number, "national_number"), keys[number].key)
            for pair, number in sorted(pairs.items(), key=lambda item: item[1])
            if pair in written
        ]
    return []


def _anomalies_write(upload: BulkUpload, anomalies: list[_Found], groups: dict[tuple[str, str], _Group]) -> None:
    if not anomalies:
        return
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY contributions_bulkanomaly (upload_id, line_number, field, code, severity, employer_number, period,"
            " declaration_pk) FROM STDIN"
        ) as copy,
    ):
        for anomaly, key in anomalies:
            group = groups.get(key) if key is not None else None
            copy.write_row(
                (
                    upload.pk,
                    anomaly.line_number,
                    anomaly.field,
                    anomaly.code,
                    anomaly.severity,
                    key[0][:40] if key else "",
                    key[1][:20] if key else "",
                    group.declaration_id if group is not None and anomaly.severity == Severity.WARNING else None,
                )
            )


def _totals_write(chunk: BulkChunk, sums: dict[int, _Sums]) -> None:
    BulkTotal.objects.bulk_create(
        [
            BulkTotal(
                chunk=chunk,
                declaration_id=declaration_id,
                line_count=total.lines,
                total_wages=Decimal(total.wages).scaleb(-2),
                employee_total=Decimal(total.employee).scaleb(-2),
                employer_total=Decimal(total.employer).scaleb(-2),
                totals={
                    branch: [cents_text(employee), cents_text(employer)]
                    for branch, (employee, employer) in (total.branches or {}).items()
                },
            )
            for declaration_id, total in sums.items()
        ]
    )


# --- 4. The whole file: in force at once, or nothing -----------------------------------------


def upload_finalize(*, upload_id: int, now: datetime.datetime) -> bool:
    """Once every chunk is done: bring the file's declarations into force together, or — any
    blocking error anywhere, or a period declared meanwhile — delete them all and reject the
    file. Tells the uploader. False when there was nothing to do."""
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
        if errors:
            _pending_delete(upload)
            upload.status = UploadStatus.REJECTED
        else:
            _in_force(upload, [d for d in declarations if d.pk in totals], totals, now)
            # Groups none of whose lines were valid do not exist without errors; drop strays.
            _pending_delete(upload)
            upload.status = UploadStatus.ACCEPTED
            upload.declarations = len(totals)
        upload.errors, upload.warnings, upload.finished_at = errors, warnings, now
        upload.save(update_fields=["status", "errors", "warnings", "declarations", "finished_at"])
        _tell_uploader(upload, now)
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
    keys = sorted({d.enterprise_id * 1_000_000 + int(d.period[:4]) * 100 + int(d.period[5:7]) for d in declarations})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(k::bigint) FROM unnest(%s::bigint[]) AS k ORDER BY k", [keys])
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
    upload: BulkUpload, declarations: list[Declaration], totals: dict[int, BulkTotal], now: datetime.datetime
) -> None:
    versions: dict[tuple[int, str], int] = {}
    for enterprise_id, period, version in (
        Declaration.objects.filter(
            enterprise_id__in={d.enterprise_id for d in declarations}, period__in={d.period for d in declarations}
        )
        .exclude(status=DeclarationStatus.PENDING)
        .values_list("enterprise_id", "period", "version")
    ):
        versions[(enterprise_id, period)] = max(version, versions.get((enterprise_id, period), 0))
    actor = _actor_restore(upload.actor)
    today = timezone.localdate(now)
    bureaus = declaring_capacities(
        actor=actor, enterprise_ids=sorted({d.enterprise_id for d in declarations}), on=today
    )
    for declaration in declarations:
        total = totals[declaration.pk]
        declaration.status = DeclarationStatus.IN_FORCE
        declaration.version = versions.get((declaration.enterprise_id, declaration.period), 0) + 1
        declaration.submitted_at = now
        declaration.via_bureau_id = bureaus.get(declaration.enterprise_id)
        declaration.line_count = total.line_count
        declaration.total_wages = total.total_wages
        declaration.totals = total.totals
    Declaration.objects.bulk_update(
        declarations,
        ["status", "version", "submitted_at", "via_bureau", "line_count", "total_wages", "totals"],
        batch_size=500,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contributions_declarationwarning (declaration_id, line_number, field, code)"
            " SELECT declaration_pk, line_number, field, code FROM contributions_bulkanomaly"
            " WHERE upload_id = %s AND severity = 'warning' AND declaration_pk IS NOT NULL ORDER BY line_number",
            [upload.pk],
        )
    ledger.declarations_post_bulk(declarations=declarations, now=now)


def _tell_uploader(upload: BulkUpload, now: datetime.datetime) -> None:
    """The person who sent the file (for software, the person who created its key) is told in
    the same transaction as the outcome."""
    user_id = upload.uploaded_by_id
    if user_id is None and upload.uploaded_with_key_id is not None:
        user_id = api_key_creator(api_key_id=upload.uploaded_with_key_id)
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


# --- The reconciler ---------------------------------------------------------------------------


def uploads_reconcile(*, now: datetime.datetime) -> int:
    """Queue again every step that is unfinished, not running and was queued more than
    BULK_REQUEUE_AFTER_SECONDS ago: a plan, a chunk (a running one holds its row lock and is
    skipped), a finalization. Returns how many were queued."""
    cutoff = now - datetime.timedelta(seconds=settings.BULK_REQUEUE_AFTER_SECONDS)
    with transaction.atomic():
        plans = list(
            BulkUpload.objects.select_for_update(skip_locked=True)
            .filter(status=UploadStatus.RECEIVED, queued_at__lt=cutoff)
            .values_list("pk", flat=True)
        )
        chunks = list(
            BulkChunk.objects.select_for_update(skip_locked=True)
            .filter(status=ChunkStatus.PENDING, queued_at__lt=cutoff)
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

        def queue() -> None:
            for pk in plans:
                _queue("contributions.bulk_plan", upload_id=pk)
            for pk in chunks:
                _queue("contributions.bulk_chunk", chunk_id=pk)
            for pk in finals:
                _queue("contributions.bulk_finalize", upload_id=pk)

        transaction.on_commit(queue)
    if plans or chunks or finals:
        logger.info("bulk work queued again", extra={"plans": len(plans), "chunks": len(chunks), "finals": len(finals)})
    return len(plans) + len(chunks) + len(finals)


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
