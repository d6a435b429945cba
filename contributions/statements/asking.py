"""Asking for a statement: the years checked at once, the request stored (who asks, for whom),
and its rendering queued once the request is committed."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from contributions.models import StatementRequest, StatementStatus
from contributions.record import contribution_record_get
from contributions.types import ContributionRecord
from core.actor import Actor
from core.documents import DocumentLimitReached, documents_issued_today
from core.errors import DomainError, NotFound
from core.locks import LockNamespace, advisory_lock
from core.tasks import enqueue
from core.types import DocumentKind, DocumentSubject

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STATEMENT_REFUSAL_MESSAGES: dict[str, StrOrPromise] = {
    "range_invalid": _("The range of years is not valid: the first year cannot come after the last one."),
    "range_outside": _("Choose years within your contribution record: from %(first)s to %(last)s."),
    "no_months": _(
        "Your contribution record has no month in the years chosen: there is nothing to put on a statement."
    ),
    "form_expired": _("The form has expired: try again."),
}
RENDER_TASK = "contributions.statement_render"


class StatementRefused(DomainError):
    """The years asked cannot make a statement: ``code`` is a key of
    ``STATEMENT_REFUSAL_MESSAGES``; ``message`` says it in the active language."""

    messages = STATEMENT_REFUSAL_MESSAGES

    def __init__(self, code: str, *, first_year: int | None = None, last_year: int | None = None) -> None:
        years = {"first": first_year, "last": last_year} if code == "range_outside" else {}
        super().__init__(code, params=years)
        self.first_year = first_year
        self.last_year = last_year


def statement_years(*, record: ContributionRecord, year_from: int | None, year_to: int | None) -> tuple[int, int]:
    """The first and last years of the statement: those asked, a missing one standing for the
    record's first or last year. Refused (StatementRefused) when the first comes after the last,
    when a year asked is before the record's first year or after its last, and when no month
    of the record falls in the range (a record with gaps of whole years)."""
    years = sorted(row.year for row in record.years)
    if not years:
        raise StatementRefused("no_months")
    if year_from is not None and year_to is not None and year_from > year_to:
        raise StatementRefused("range_invalid")
    if any(year is not None and not years[0] <= year <= years[-1] for year in (year_from, year_to)):
        raise StatementRefused("range_outside", first_year=years[0], last_year=years[-1])
    first = years[0] if year_from is None else year_from
    last = years[-1] if year_to is None else year_to
    if not any(first <= year <= last for year in years):
        raise StatementRefused("no_months")
    return first, last


@dataclass(frozen=True)
class Asked:
    """The request that answers an ask: a new one, or the one already made by the same form or
    being prepared for the same years and language (``created`` False)."""

    statement_id: int
    created: bool


def _language(language: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    return language if language in codes else settings.LANGUAGE_CODE


def statement_ask(
    *,
    actor: Actor,
    person_id: int,
    year_from: int | None,
    year_to: int | None,
    language: str,
    intent: uuid.UUID | None,
    now: datetime.datetime,
) -> Asked:
    """Ask for the person's contribution statement for the years ``year_from`` to ``year_to``
    (both None: every year of the record; one None: from the first or to the last year) in
    ``language``. Checked at once: NotFound for an actor who may not read the record (the
    person, a proxy whose mandate allows viewing the file, staff at the counter; a read by
    anyone else is written in the person's trail); StatementRefused for years that make no
    statement; DocumentLimitReached past ``DOCUMENTS_PER_HOLDER_PER_DAY`` (the documents issued
    today and those still being prepared) — each with nothing stored. Then the request is stored
    with who asked and for whom, and its rendering queued once committed. Asked once per
    ``intent`` (the form's one-time token; None, a form without one, is refused as expired),
    and once per years and language while one is being prepared."""
    if actor.user_id is None:
        raise NotFound
    record = contribution_record_get(actor=actor, person_id=person_id, now=now)
    if record is None:
        raise NotFound
    first, last = statement_years(record=record, year_from=year_from, year_to=year_to)
    if intent is None:
        raise StatementRefused("form_expired")
    language = _language(language)
    with transaction.atomic():
        # A person's asks queue behind each other: two at once cannot both pass the count.
        advisory_lock(LockNamespace.STATEMENT_REQUESTS, person_id)
        same_form = StatementRequest.objects.filter(requested_by_id=actor.user_id, intent=intent).first()
        if same_form is not None:
            if same_form.person_id != person_id:  # the form of another file, sent again
                raise StatementRefused("form_expired")
            return Asked(statement_id=same_form.pk, created=False)
        waiting = StatementRequest.objects.filter(
            person_id=person_id, year_from=first, year_to=last, language=language, status=StatementStatus.PENDING
        ).first()
        if waiting is not None:
            return Asked(statement_id=waiting.pk, created=False)
        pending = StatementRequest.objects.filter(person_id=person_id, status=StatementStatus.PENDING).count()
        issued = documents_issued_today(
            kind=DocumentKind.CONTRIBUTION_STATEMENT, subject_type=DocumentSubject.PERSON, subject_id=person_id, now=now
        )
        if issued + pending >= settings.DOCUMENTS_PER_HOLDER_PER_DAY:
            raise DocumentLimitReached
        try:
            with transaction.atomic():
                statement = StatementRequest.objects.create(
                    person_id=person_id,
                    requested_by_id=actor.user_id,
                    acting_mode=str(actor.mode),
                    mandate_id=actor.mandate_id,
                    intent=intent,
                    year_from=first,
                    year_to=last,
                    language=language,
                    requested_at=now,
                    queued_at=now,
                )
        except IntegrityError:  # the same token sent for another file at the same moment
            raise StatementRefused("form_expired") from None
        enqueue(RENDER_TASK, statement_id=statement.pk)
    return Asked(statement_id=statement.pk, created=True)
