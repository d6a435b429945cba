"""Receiving a bulk declaration file: its format, the immediate checks and the technical
acknowledgement; and what the other steps share (where files are, how steps are queued)."""

from __future__ import annotations

import csv
import datetime
import hashlib
import logging
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats

from contributions.models import (
    BulkUpload,
    UploadStatus,
)
from contributions.types import UPLOAD_ERROR_MESSAGES
from core.actor import ActingMode, Actor, LevelOfAssurance
from core.errors import DomainError, NotFound, Unavailable
from core.sizes import file_size
from core.tasks import enqueue
from identity.types import ApiKeyScope

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
# Files being received, beside the months' folders: one that cannot be stored is removed from here.
RECEIVING_DIRECTORY = ".receiving"


# --- 1. Receiving a file ---------------------------------------------------------------------


@dataclass(frozen=True)
class FileFormat:
    encoding: str  # "utf-8", or "utf-8-sig" when the file starts with a byte order mark
    separator: str  # "," or ";"
    decimal_mark: str  # "." with commas; "," (a point is read too) with semicolons
    line_ending: str  # "LF" or "CRLF"


class UploadRejected(DomainError):
    """A file refused as it arrives; ``message`` says why, in the user's language."""

    messages = UPLOAD_ERROR_MESSAGES


def rejection(code: str) -> UploadRejected:
    """An immediate rejection with the limits of this installation in its message."""
    params: dict[str, object] = {}
    if code == "too_large":
        params["limit"] = file_size(settings.BULK_MAX_BYTES)
    elif code == "too_many_lines":
        params["limit"] = formats.number_format(settings.BULK_MAX_LINES, force_grouping=True)
    elif code == "too_many_uploads":
        params["limit"] = settings.BULK_MAX_IN_PROGRESS
    elif code == "header":
        params["columns"] = ", ".join(COLUMNS)
    return UploadRejected(code, params=params)


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
    receiving = Path(settings.BULK_UPLOAD_DIR) / RECEIVING_DIRECTORY
    with _storage("create the receiving folder"):
        receiving.mkdir(parents=True, exist_ok=True)
        stored = (receiving / secrets.token_hex(8)).open("xb")
    temporary = Path(stored.name)
    digest, total, newlines, head = hashlib.sha256(), 0, 0, b""
    try:
        for block in chunks:
            total += len(block)
            if total > settings.BULK_MAX_BYTES:
                raise rejection("too_large")
            if len(head) < _SNIFF_BYTES:
                head += block[: _SNIFF_BYTES - len(head)]
            digest.update(block)
            newlines += block.count(b"\n")
            with _storage("write the file"):
                stored.write(block)
        with _storage("write the file"):
            stored.close()  # what the buffer holds is written now: a full disk says so here
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
        with _storage("store the file"):
            (Path(settings.BULK_UPLOAD_DIR) / stored_name).parent.mkdir(parents=True, exist_ok=True)
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
                enqueue("contributions.bulk_plan", upload_id=upload.pk)
        except IntegrityError:
            # The same file, sent twice at the same moment: the first one stands.
            _remove(Path(settings.BULK_UPLOAD_DIR) / stored_name)
            return Receipt(upload=BulkUpload.objects.get(owner, sha256=sha256), duplicate=True)
        except BaseException:
            # Not recorded (the database failed): the stored file is nobody's.
            _remove(Path(settings.BULK_UPLOAD_DIR) / stored_name)
            raise
        return Receipt(upload=upload, duplicate=False)
    finally:
        if not stored.closed:
            try:
                stored.close()
            except OSError:
                logger.warning("upload storage: the file being received could not be closed", exc_info=True)
        _remove(temporary)


@contextmanager
def _storage(step: str) -> Iterator[None]:
    """A failure of the upload storage (read-only, full, missing) answers "uploads unavailable"
    (503), with the real error logged."""
    try:
        yield
    except OSError as error:
        logger.error("upload storage failed", exc_info=error, extra={"step": step})
        raise Unavailable("uploads") from error


def _remove(path: Path) -> None:
    """Remove a file of this upload that will not be kept; a failure to is logged on its own,
    never in place of the error that brought us here."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        logger.error(
            "upload storage: a file left behind could not be removed", exc_info=True, extra={"file": str(path)}
        )


def _path(upload: BulkUpload) -> Path:
    return Path(settings.BULK_UPLOAD_DIR) / upload.stored_name


def _split(line: str, separator: str) -> list[str]:
    """The fields of one line (the csv module only when the line quotes something: it is slower)."""
    if '"' not in line:
        return line.split(separator)
    return next(csv.reader([line], delimiter=separator))
