"""The citizen's contribution statement: their contribution record for all years or a range of
years, as a PDF registered as a verifiable document (its code and QR code lead to the public
verification page), for a bank, a landlord or a pension fund.

Those who may read the record may ask for it: the person, a proxy whose mandate allows viewing
the file, staff at the counter; a read by anyone but the person is written in their trail. The
statement tells the record as it stood when it was issued and does not expire (the registry
keeps no end date): a later declaration or payment changes the record, not the statement
already handed out, which says when it was issued.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from contributions.documents import StatementContent, contribution_statement_pdf
from contributions.record import ContributionRecord, contribution_record_get
from contributions.services import NotFound
from identity import selectors as identity_selectors
from portal.core.actor import Actor
from portal.core.documents import document_issue, verification_page_url, verification_url
from portal.core.types import DocumentKind, DocumentSubject

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STATEMENT_REFUSAL_MESSAGES: dict[str, StrOrPromise] = {
    "range_invalid": _("The range of years is not valid: the first year cannot come after the last one."),
    "range_outside": _("Choose years within your contribution record: from %(first)s to %(last)s."),
    "no_months": _(
        "Your contribution record has no month in the years chosen: there is nothing to put on a statement."
    ),
}


class StatementRefused(Exception):
    """The years asked cannot make a statement: ``code`` is a key of
    ``STATEMENT_REFUSAL_MESSAGES``; ``message`` says it in the active language."""

    def __init__(self, code: str, *, first_year: int | None = None, last_year: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.first_year = first_year
        self.last_year = last_year

    @property
    def message(self) -> str:
        text = str(STATEMENT_REFUSAL_MESSAGES[self.code])
        if self.code == "range_outside":
            return text % {"first": self.first_year, "last": self.last_year}
        return text


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


def contribution_statement_issue(
    *,
    actor: Actor,
    person_id: int,
    year_from: int | None,
    year_to: int | None,
    language: str,
    now: datetime.datetime,
) -> tuple[str, bytes]:
    """Issue the person's contribution statement for the years ``year_from`` to ``year_to``
    (both None: every year of the record; one None: from the first or to the last year) in
    ``language``: returns its verification code and the PDF. NotFound for an actor who may not
    read the record; StatementRefused, with nothing registered, for years that make no
    statement. The document is registered, rendered with its code and QR code, and its SHA-256
    recorded in one transaction: a failed rendering leaves no code that verifies."""
    record = contribution_record_get(actor=actor, person_id=person_id, now=now)
    if record is None:
        raise NotFound
    first, last = statement_years(record=record, year_from=year_from, year_to=year_to)
    try:
        person = identity_selectors.person_get(person_id=person_id)
    except identity_selectors.NotFound:
        raise NotFound from None
    # The record lists the newest first; a statement reads from the oldest month.
    months = tuple(reversed([month for month in record.months if first <= int(month.period[:4]) <= last]))
    years = tuple(reversed([row for row in record.years if first <= row.year <= last]))
    issued = document_issue(
        kind=DocumentKind.CONTRIBUTION_STATEMENT,
        holder_name=person.full_name,
        subject_type=DocumentSubject.PERSON,
        subject_id=person_id,
        valid_until=None,
        issued_by_id=actor.user_id,
        now=now,
        render=lambda code: (
            contribution_statement_pdf(
                statement=StatementContent(
                    person_name=person.full_name,
                    national_number_display=person.national_number_display,
                    issued_at=now,
                    year_from=first,
                    year_to=last,
                    years=years,
                    months=months,
                    code=code,
                    verification_page=verification_page_url(),
                    verification_url=verification_url(code),
                ),
                language=language,
            ).content
        ),
    )
    return issued.code, issued.content
