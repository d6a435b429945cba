"""A batch file of life events imported by registry clerks in a partner's name: the partner API's
events, one a line, taken through the same path.

The file: CSV in UTF-8 (a byte order mark is allowed), separated by ``;`` or ``,`` (the header
line says which), the header first, naming the columns of ``COLUMNS`` (in any order); blank lines
are skipped. Each line becomes the event the API would receive — an empty cell is a value not
given, ``parents`` and ``spouses`` hold national numbers separated by ``|``, a line's cells for
another kind of event are not read — and is validated on its own by the API's serializer
(``shapes``) and the partner's scopes: taken whole or rejected whole, each error reported with
its line (the file's: the header is line 1), its column and its message. The lines taken are
received in one call of ``events_receive``, in one transaction, each event stored with the clerk
who imported the file (``imported_by``): an event id sent before (by the API or a file) is a
duplicate, ignored (it keeps who sent it first).

The file is refused whole, nothing stored (``PartnerRefused``), when it is larger than
``LIFE_EVENTS_FILE_MAX_BYTES``, has more than ``LIFE_EVENTS_FILE_MAX_LINES`` lines, is not UTF-8
CSV, has no header or no line, or when the partner's key is revoked.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext
from rest_framework import serializers
from rest_framework.settings import api_settings

from benefits.attribution.events import EventInput, events_receive
from benefits.attribution.shapes import LifeEventSerializer
from benefits.models import LifeEventKind, RegistryPartner
from benefits.types import BatchLineError, BatchReport, PartnerRefused
from core.sizes import file_size

COLUMNS = (
    "id",
    "type",
    "occurred_on",
    "corrects",
    "person",
    "child_national_number",
    "child_first_name",
    "child_last_name",
    "parents",
    "spouses",
    "marriage_kind",
    "street",
    "postal_code",
    "city",
    "country",
)
# The columns read for each kind of event, and where each goes in the event's data.
DATA_COLUMNS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    LifeEventKind.BIRTH: (
        ("child_national_number", ("child", "national_number")),
        ("child_first_name", ("child", "first_name")),
        ("child_last_name", ("child", "last_name")),
        ("parents", ("parents",)),
    ),
    LifeEventKind.MARRIAGE: (("spouses", ("spouses",)), ("marriage_kind", ("kind",))),
    LifeEventKind.DEATH: (("person", ("person",)),),
    LifeEventKind.ADDRESS: (
        ("person", ("person",)),
        ("street", ("street",)),
        ("postal_code", ("postal_code",)),
        ("city", ("city",)),
        ("country", ("country",)),
    ),
}
LIST_COLUMNS = frozenset({"parents", "spouses"})
LIST_SEPARATOR = "|"
# The errors a report keeps (the counts cover every line).
BATCH_ERRORS_KEPT = 1000
_TOP_COLUMNS = ("id", "type", "occurred_on", "corrects")


def events_file_import(*, partner_id: int, content: bytes, user_id: int | None, now: datetime.datetime) -> BatchReport:
    """Import a batch file of events in the partner's name and scopes: the valid lines received in
    one transaction (each event stored records ``user_id``, the clerk who imported the file), the
    others reported. Raises PartnerRefused when the file is refused whole."""
    if len(content) > settings.LIFE_EVENTS_FILE_MAX_BYTES:
        raise PartnerRefused("file_too_large", params={"limit": file_size(settings.LIFE_EVENTS_FILE_MAX_BYTES)})
    partner = RegistryPartner.objects.filter(pk=partner_id, revoked_at__isnull=True).first()
    if partner is None:
        raise PartnerRefused("partner_revoked")
    text, separator, positions = _read_header(content)
    count = _line_count(text, separator)
    if not count:
        raise PartnerRefused("file_empty")
    if count > settings.LIFE_EVENTS_FILE_MAX_LINES:
        raise PartnerRefused(
            "file_too_many_lines",
            params={"limit": formats.number_format(settings.LIFE_EVENTS_FILE_MAX_LINES, force_grouping=True)},
        )
    scopes = frozenset(partner.scopes)
    validator = LifeEventSerializer(context={"today": timezone.localdate(now)})
    lines, rejected, left_off = 0, 0, 0
    errors: list[BatchLineError] = []
    taken: list[EventInput] = []
    for line, cells in _rows(text, separator):
        lines += 1
        event, found = _line_read(cells, positions, validator, scopes)
        if event is not None:
            taken.append(event)
            continue
        rejected += 1
        for field, message in found:
            if len(errors) < BATCH_ERRORS_KEPT:
                errors.append(BatchLineError(line=line, field=field, message=message))
            else:
                left_off += 1
    with transaction.atomic():
        receipts = events_receive(partner_id=partner.pk, events=taken, now=now, imported_by_id=user_id) if taken else []
    accepted = sum(1 for receipt in receipts if receipt.status == "accepted")
    return BatchReport(
        lines=lines,
        accepted=accepted,
        duplicates=len(receipts) - accepted,
        rejected=rejected,
        errors=tuple(errors),
        errors_left_off=left_off,
    )


def _read_header(content: bytes) -> tuple[str, str, dict[str, int]]:
    """The file's text, its separator and where each column is; or refused."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PartnerRefused("file_not_csv") from None
    if "\x00" in text:
        raise PartnerRefused("file_not_csv")
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    separator = ";" if ";" in first else ","
    try:
        header = next(csv.reader([first.rstrip("\r")], delimiter=separator), [])
    except csv.Error:
        header = []
    names = [name.strip().lower() for name in header]
    if sorted(names) != sorted(COLUMNS):
        raise PartnerRefused("file_header", params={"columns": separator.join(COLUMNS)})
    return text, separator, {name: names.index(name) for name in COLUMNS}


def _rows(text: str, separator: str) -> Iterator[tuple[int, list[str]]]:
    """Each line after the header that is not blank, with its line in the file (a quoted cell may
    hold a line break: the line is where its row starts)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        next(reader)  # the header
        start = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error:
        raise PartnerRefused("file_not_csv") from None


def _line_count(text: str, separator: str) -> int:
    """The lines to read, counted up to one past the limit (a file too long is refused before
    any line is validated)."""
    count = 0
    for _row in _rows(text, separator):
        count += 1
        if count > settings.LIFE_EVENTS_FILE_MAX_LINES:
            break
    return count


def _line_read(
    cells: list[str], positions: dict[str, int], validator: LifeEventSerializer, scopes: frozenset[str]
) -> tuple[EventInput | None, list[tuple[str, str]]]:
    """The line's event, validated by the API's serializer and in the partner's scopes; or its
    errors, each (column, message)."""
    if len(cells) != len(positions):
        message = gettext("This line has %(cells)s cells; the header has %(columns)s.") % {
            "cells": len(cells),
            "columns": len(positions),
        }
        return None, [("", message)]
    values = {column: cells[position].strip() for column, position in positions.items()}
    kind = values["type"]
    if kind in LifeEventKind.values and kind not in scopes:
        return None, [("type", str(PartnerRefused.messages["scope_missing"]))]
    try:
        event = validator.run_validation(_event_of_line(values))
    except serializers.ValidationError as error:
        return None, [(_column(kind, path), message) for path, message in _flattened(error.detail)]
    return (
        EventInput(
            partner_event_id=event["id"],
            kind=event["type"],
            occurred_on=event["occurred_on"],
            corrects=event["corrects"],
            data=event["data"],
        ),
        [],
    )


def _event_of_line(values: dict[str, str]) -> dict[str, Any]:
    """The event a line stands for, as the partner API receives it (a cell left empty is not
    given)."""
    event: dict[str, Any] = {column: values[column] for column in _TOP_COLUMNS if values[column]}
    data: dict[str, Any] = {}
    kind = values["type"]
    if kind == LifeEventKind.BIRTH:
        data["child"] = {}  # its missing parts are named one by one
    for column, path in DATA_COLUMNS.get(kind, ()):
        value = values[column]
        if not value:
            continue
        parent = data
        for key in path[:-1]:
            parent = parent.setdefault(key, {})
        parent[path[-1]] = (
            [number.strip() for number in value.split(LIST_SEPARATOR)] if column in LIST_COLUMNS else value
        )
    event["data"] = data
    return event


def _flattened(detail: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Each message of a serializer's errors with where it is (its keys, nested)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _flattened(value, (*path, key))
    elif isinstance(detail, list):
        for item in detail:
            yield from _flattened(item, path)
    else:
        yield path, str(detail)


def _column(kind: str, path: tuple[Any, ...]) -> str:
    """The file's column of an error's place in the event (empty: the whole line)."""
    if not path or path[0] == api_settings.NON_FIELD_ERRORS_KEY:
        return ""
    if path[0] != "data":
        return str(path[0])
    inside = path[1:]
    for column, place in DATA_COLUMNS.get(kind, ()):
        if inside[: len(place)] == place:
            return column
    return ""
