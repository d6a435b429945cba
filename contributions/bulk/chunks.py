"""A chunk of a file: every line validated by the rules of every channel, the contributions
computed by the same code, and the lines written with ``COPY`` — once, in one transaction that
holds the chunk's row lock."""

from __future__ import annotations

import csv
import datetime
import gc
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import psycopg
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from contributions.bulk.files import (
    COLUMNS,
    LINE_COLUMNS,
    _actor_restore,
    _path,
)
from contributions.computation import RateTable, cents, cents_text
from contributions.declarations import (
    ParsedLine,
    line_check,
    line_warnings,
    national_numbers_resolve,
    period_check,
)
from contributions.models import (
    BulkChunk,
    BulkTotal,
    BulkUpload,
    ChunkStatus,
    Declaration,
    DeclarationLine,
    DeclarationStatus,
)
from contributions.policies import declaring_capacities
from contributions.reads import rates_for_period
from contributions.types import Anomaly, LineInput, Severity
from core.periods import Period
from core.tasks import enqueue
from identity.country_profiles import country_profile
from identity.selectors import enterprise_ids_by_numbers
from identity.types import InvalidIdentifier

logger = logging.getLogger(__name__)

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


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A chunk makes hundreds of thousands of small objects that live until it ends and form no
    cycles: the cyclic garbage collector would walk them again and again (a third of a chunk's
    time, measured); reference counting frees them when the chunk is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def chunk_process(*, chunk_id: int, now: datetime.datetime) -> bool:
    """Validate and write one chunk, exactly once: False when it is done already or being
    processed by another worker (whose row lock it found). The chunk is marked as taken first,
    in its own transaction: a worker killed while processing it leaves it taken and unlocked,
    which tells the reconciler to queue it again at once."""
    if not _chunk_take(chunk_id=chunk_id, now=now):
        return False
    with _without_cycle_collection():
        return _chunk_process(chunk_id=chunk_id, now=now)


def _chunk_take(*, chunk_id: int, now: datetime.datetime) -> bool:
    with transaction.atomic():
        if not BulkChunk.objects.select_for_update(skip_locked=True).filter(pk=chunk_id, status=ChunkStatus.PENDING):
            return False
        BulkChunk.objects.filter(pk=chunk_id).update(started_at=now)
    return True


def _chunk_process(*, chunk_id: int, now: datetime.datetime) -> bool:
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
        # with nothing of it written): no need to wait for the disk on each chunk's commit. And
        # chunks run side by side, a worker process a core: parallel query workers would only
        # take the cores of the other chunks, and cost more to start than they save here.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather TO 0")
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
        enqueue("contributions.bulk_finalize", upload_id=upload_id)


_Row = tuple[int, tuple[str, str], LineInput]  # (line number, (employer number, period) as written, line)
_Found = tuple[Anomaly, tuple[str, str] | None]  # an anomaly, and the group of its line


def _chunk_read(upload: BulkUpload, chunk: BulkChunk) -> tuple[list[_Row], list[_Found]]:
    with _path(upload).open("rb") as file:
        file.seek(chunk.start_offset)
        data = file.read(chunk.end_offset - chunk.start_offset)
    try:
        # The whole chunk at once (decoding it line by line costs more than the rest of the
        # reading); a chunk with a line that is not UTF-8 is read line by line to name it.
        texts: list[str | None] = list(data.decode("utf-8").split("\n"))
    except UnicodeDecodeError:
        texts = []
        for raw in data.split(b"\n"):
            try:
                texts.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                texts.append(None)
    rows: list[_Row] = []
    anomalies: list[_Found] = []
    separator, decimal_comma = upload.separator, upload.decimal_mark == ","
    quoted = '"'
    for number, text in enumerate(texts, start=chunk.first_line):
        if text is None:
            anomalies.append((Anomaly("line_encoding", Severity.ERROR, number), None))
            continue
        if not text or text.isspace():
            continue
        if quoted in text:
            try:
                fields = next(csv.reader([text.rstrip("\r")], delimiter=separator))
            except csv.Error:
                fields = []
        else:
            fields = text.rstrip("\r").split(separator)
        if len(fields) != _COLUMN_COUNT:
            anomalies.append((Anomaly("columns_count", Severity.ERROR, number), None))
            continue
        employer, period, national, _last, _first, category, wage, days = fields
        wage = wage.strip()
        if decimal_comma and "." not in wage:
            wage = wage.replace(",", ".", 1)  # the semicolon variant's decimal comma
        elif "," in wage:
            wage = "?"  # a decimal comma needs the semicolon separator: the wage is unreadable
        rows.append(
            (
                number,
                (employer.strip(), period.strip()),
                LineInput(national.strip(), category.strip(), wage, days.strip()),
            )
        )
    return rows, anomalies


_COLUMN_COUNT = len(COLUMNS)


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
    anomalies: list[Anomaly] = []
    resolved = national_numbers_resolve(
        [(number, line.national_number) for number, _key, line in rows], country_profile().person_number, anomalies
    )
    keys = {number: key for number, key, _line in rows}
    checked: list[_Checked] = []
    for number, key, line in rows:
        group = groups[key]
        if group.errors:
            anomalies.extend(Anomaly(error.code, error.severity, number, error.field) for error in group.errors)
        if group.period is None or group.table is None:
            continue
        compact, entry = resolved[number]
        parsed = line_check(
            number,
            line,
            compact=compact,
            entry=entry,
            declared=group.period,
            table=group.table,
            seen=group.seen,
            anomalies=anomalies,
        )
        if parsed is not None and group.enterprise_id is not None and group.table.has_category(parsed[2]):
            checked.append((group, parsed))
    # The warnings' lines per period (by group first: a group's key hashes faster than a Period).
    by_group: dict[tuple[str, str], list[tuple[int, int, int, Decimal]]] = defaultdict(list)
    for group, (number, person_id, _category, wage, _days) in checked:
        assert group.enterprise_id is not None
        by_group[group.key].append((number, group.enterprise_id, person_id, wage))
    by_period: dict[Period, list[tuple[int, int, int, Decimal]]] = defaultdict(list)
    for key, lines in by_group.items():
        period = groups[key].period
        assert period is not None
        by_period[period].extend(lines)
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
    """The contributions of each line (the computation of every channel, in integer cents,
    ``RateTable.lines_cents``: the lines of a declaration and category at once) as ``COPY``
    rows, and their sums per declaration."""
    by_kind: dict[tuple[int, str], list[tuple[int, int, int, int]]] = defaultdict(list)
    tables: dict[int, RateTable] = {}
    for group, (number, person_id, category, wage, days) in parsed:
        declaration_id, table = group.declaration_id, group.table
        assert declaration_id is not None and table is not None
        tables[declaration_id] = table
        by_kind[(declaration_id, category)].append((number, person_id, cents(wage), days))
    rows: list[str] = []
    sums: dict[int, _Sums] = {}
    for (declaration_id, category), lines in by_kind.items():
        wages = [wage for _n, _p, wage, _d in lines]
        employee, employer, branches = tables[declaration_id].lines_cents(worker_category=category, wages_cents=wages)
        total = sums.get(declaration_id)
        if total is None:
            total = sums[declaration_id] = _Sums(branches={})
        assert total.branches is not None
        for branch, (employee_sum, employer_sum) in branches.items():
            branch_sum = total.branches.setdefault(branch, [0, 0])
            branch_sum[0] += employee_sum
            branch_sum[1] += employer_sum
        total.lines += len(lines)
        total.wages += sum(wages)
        total.employee += sum(employee)
        total.employer += sum(employer)
        prefix = f"{declaration_id}\t"
        middle = f"\t{category}\t"
        rows += [
            f"{prefix}{number}\t{person_id}{middle}{cents_text(wage)}\t{days}\t"
            f"{cents_text(employee_share)}\t{cents_text(employer_share)}\n"
            for (number, person_id, wage, days), employee_share, employer_share in zip(
                lines, employee, employer, strict=True
            )
        ]
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
