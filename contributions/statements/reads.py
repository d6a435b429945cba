"""Reads of the statements asked for: one, the person's recent ones (a query each, whatever
their number), and the file of a ready one — for those who may read the record, checked on
every read."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils.translation import gettext

from contributions.models import StatementRequest, StatementStatus
from contributions.policies import can_view_record
from contributions.statements.rendering import failure_message
from core.actor import Actor
from core.audit import file_view_record

# The statement page lists the person's most recent requests.
STATEMENTS_LISTED = 10


@dataclass(frozen=True)
class StatementRow:
    """A statement asked for, as its pages show it (never its file)."""

    id: int
    year_from: int
    year_to: int
    language: str
    status: str
    failure: str
    requested_at: datetime.datetime
    requested_by_id: int
    requested_by_name: str
    acting_mode: str
    finished_at: datetime.datetime | None
    size: int | None
    code_prefix: str

    @property
    def is_finished(self) -> bool:
        return self.status != StatementStatus.PENDING

    @property
    def is_ready(self) -> bool:
        return self.status == StatementStatus.READY

    @property
    def status_label(self) -> str:
        return str(StatementStatus(self.status).label)

    @property
    def language_label(self) -> str:
        return str(dict(settings.LANGUAGES).get(self.language, self.language))

    @property
    def failure_message(self) -> str:
        return failure_message(self.failure) if self.status == StatementStatus.FAILED else ""

    @property
    def kept_until(self) -> datetime.datetime | None:
        """Until when the file is kept (a ready statement)."""
        if not self.is_ready or self.finished_at is None:
            return None
        return self.finished_at + datetime.timedelta(days=settings.STATEMENT_KEEP_DAYS)


_FIELDS = (
    "pk",
    "year_from",
    "year_to",
    "language",
    "status",
    "failure",
    "requested_at",
    "requested_by_id",
    "requested_by_name",
    "acting_mode",
    "finished_at",
    "size",
    "document__code_prefix",
)


def _rows(query: QuerySet[StatementRequest]) -> list[StatementRow]:
    """The rows of ``query``, with the name of who asked and the start of the code, in one query
    (the file itself is never read here)."""
    named = query.annotate(
        requested_by_name=Coalesce(
            NullIf(
                Concat(
                    F("requested_by__first_name"), Value(" "), F("requested_by__last_name"), output_field=CharField()
                ),
                Value(" "),
            ),
            F("requested_by__email"),
            output_field=CharField(),
        )
    )
    return [
        StatementRow(*values[:-1], code_prefix=values[-1] or "")  # type: ignore[misc]
        for values in named.values_list(*_FIELDS)
    ]


def statement_get(*, actor: Actor, statement_id: int) -> StatementRow | None:
    """A statement of the open file, if the actor may read the record; None otherwise (a
    statement of another file is not found)."""
    person_id = actor.subject_person_id
    if person_id is None or not can_view_record(actor=actor, person_id=person_id):
        return None
    rows = _rows(StatementRequest.objects.filter(pk=statement_id, person_id=person_id))
    return rows[0] if rows else None


def statement_list(*, actor: Actor, person_id: int, limit: int = STATEMENTS_LISTED) -> list[StatementRow]:
    """The person's most recent statements, newest first, for an actor who may read the record
    (none otherwise), in one query."""
    if not can_view_record(actor=actor, person_id=person_id):
        return []
    return _rows(StatementRequest.objects.filter(person_id=person_id).order_by("-requested_at", "-pk")[:limit])


@dataclass(frozen=True)
class StatementFile:
    filename: str
    content: bytes


def statement_file_get(*, actor: Actor, statement_id: int, now: datetime.datetime) -> StatementFile | None:
    """The PDF of a ready statement of the open file, checked against the actor's rights at the
    moment of the download (a revoked mandate stops at once); None when the actor may not read
    the record, or the statement is not theirs, not ready or no longer kept. A download by
    anyone but the person is written in their trail."""
    person_id = actor.subject_person_id
    if person_id is None or not can_view_record(actor=actor, person_id=person_id):
        return None
    found = (
        StatementRequest.objects.filter(pk=statement_id, person_id=person_id, status=StatementStatus.READY)
        .values_list("content", "document__code_prefix")
        .first()
    )
    content, code_prefix = found if found is not None else (None, "")
    if content is None:  # (a ready statement always has its file: a database constraint)
        return None
    file_view_record(actor=actor, subject_person_id=person_id, what="contribution statement", now=now)
    return StatementFile(filename=statement_filename(code_prefix=code_prefix), content=bytes(content))


def statement_filename(*, code_prefix: str) -> str:
    """The statement's file name, in the active language."""
    # Translators: a file name: no spaces, no accents.
    return gettext("contribution-statement-%(code)s.pdf") % {"code": code_prefix}
