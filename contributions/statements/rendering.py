"""Rendering a statement on a worker, exactly once; the reconciler that queues again what a lost
message or a dead worker left; the nightly purge of the files kept past their time."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Collection
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributions.documents import StatementContent, contribution_statement_pdf
from contributions.models import StatementRequest, StatementStatus
from contributions.record import contribution_record
from contributions.statements.asking import RENDER_TASK
from core.actor import ActingMode
from core.documents import DocumentLimitReached, document_issue, verification_page_url, verification_url
from core.tasks import CLAIM_GRACE, TRANSIENT_DATABASE_ERRORS, enqueue
from core.types import DocumentKind, DocumentSubject, Scope
from identity import selectors as identity_selectors
from mandates.selectors import mandate_for_acting
from notifications.selectors import recipients_for_person
from notifications.services import notify
from notifications.types import Recipient

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

# Errors that say nothing about the statement (the database restarting, a connection cut): the
# rendering is handed back untouched and retried (by the task, core.tasks.Task), never counted.
TRANSIENT_ERRORS = TRANSIENT_DATABASE_ERRORS
# Renderings started that never ended (their worker killed: out of memory, the hard time limit,
# a machine lost): past this many, the statement fails for good instead of killing more workers.
RENDER_MAX_ATTEMPTS = 3

FAILURE_MESSAGES: dict[str, StrOrPromise] = {
    "no_months": _(
        "The contribution record no longer has any month in these years: there is nothing to put on a statement."
    ),
    "mandate_ended": _("The mandate under which it was asked no longer allows viewing the file."),
    "limit": DocumentLimitReached.messages["document_limit"],
    "render_error": _("The document could not be produced. Ask for it again; if it fails again, call us."),
}


class _Failed(Exception):
    """The statement cannot be made, for the reason ``code`` (a key of FAILURE_MESSAGES)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _lease_start(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(seconds=settings.STATEMENT_REQUEUE_AFTER_SECONDS)


def statement_render(
    *, statement_id: int, now: datetime.datetime, claim: str | None = None, retried_claims: Collection[str] = ()
) -> bool:
    """Render a pending statement, once: register its code, render the PDF, record its hash and
    store the file with the request, in one transaction that holds the request's row lock —
    the code and the file exist together or not at all. Tells the person (and the proxy who
    asked). False when there was nothing to do: ready or failed already, being rendered by
    another worker (its row lock), or taken by one a moment ago (CLAIM_GRACE: it is about to
    lock it). A statement that cannot be made fails for good with its reason; a transient error
    (TRANSIENT_ERRORS) is raised again with the request handed back when the database allows.

    ``claim`` names this rendering; ``retried_claims`` the earlier renderings this one retries
    after a transient error (the task's earlier runs): their claim is taken back without
    counting, even when the hand-back could not be written. The same rendering delivered again
    (its worker died) is another attempt."""
    claim = claim or uuid.uuid4().hex
    if not _claim(statement_id=statement_id, claim=claim, retried_claims=retried_claims, now=now):
        return False
    try:
        with transaction.atomic():
            statement = (
                StatementRequest.objects.select_for_update()
                .filter(pk=statement_id, status=StatementStatus.PENDING)
                .first()
            )
            if statement is None:
                return False
            _render(statement, now)
    except TRANSIENT_ERRORS:
        _hand_back(statement_id=statement_id, claim=claim)
        raise
    except _Failed as failed:
        _fail(statement_id=statement_id, code=failed.code, now=now)
    except DocumentLimitReached:
        _fail(statement_id=statement_id, code="limit", now=now)
    except Exception:
        # Whatever else breaks a rendering (a template, WeasyPrint) breaks it again: the person
        # is told at once and may ask again, rather than waiting for retries that fail the same.
        logger.exception("contribution statement not rendered", extra={"statement_id": statement_id})
        _fail(statement_id=statement_id, code="render_error", now=now)
    return True


def _claim(*, statement_id: int, claim: str, retried_claims: Collection[str], now: datetime.datetime) -> bool:
    """Take the statement for the rendering ``claim``, counting the attempt in its own committed
    transaction (a worker killed while rendering leaves the count behind). Nobody else's to
    take: a row locked (being rendered) or taken by another less than CLAIM_GRACE ago (about to
    lock it) is left alone; one taken RENDER_MAX_ATTEMPTS times already fails for good. The
    claim of a rendering this one retries is taken back without counting; taking over another
    claim remembers it, so that if that rendering comes back (it was not killed, only waiting to
    retry), its attempt is struck off."""
    if retried_claims:
        # Our claim was taken over while we waited to retry: that attempt ended by a transient error.
        StatementRequest.objects.filter(
            pk=statement_id, claim_taken_over__in=list(retried_claims), attempts__gt=0
        ).update(attempts=F("attempts") - 1, claim_taken_over="")
    with transaction.atomic():
        statement = (
            StatementRequest.objects.select_for_update(skip_locked=True)
            .filter(pk=statement_id, status=StatementStatus.PENDING)
            .first()
        )
        if statement is None:
            return False
        if statement.claim and statement.claim in retried_claims:
            statement.claim = claim
            statement.started_at = statement.queued_at = now
            statement.save(update_fields=["claim", "started_at", "queued_at"])
            return True
        if statement.started_at is not None and statement.started_at > now - CLAIM_GRACE:
            return False
        if statement.attempts >= RENDER_MAX_ATTEMPTS:
            logger.error("contribution statement never rendered", extra={"statement_id": statement_id})
            _failed(statement, code="render_error", now=now)
            return False
        statement.claim_taken_over = statement.claim if statement.started_at is not None else ""
        statement.claim = claim
        statement.attempts += 1
        statement.started_at = now
        statement.queued_at = now
        statement.save(update_fields=["claim", "claim_taken_over", "attempts", "started_at", "queued_at"])
    return True


def _hand_back(*, statement_id: int, claim: str) -> None:
    """After a transient error: the attempt did not count, and the next one may start at once.
    When the database cannot take even this, the claim stays, and the retry (the same claim)
    takes it back without counting."""
    try:
        StatementRequest.objects.filter(
            pk=statement_id, status=StatementStatus.PENDING, claim=claim, attempts__gt=0
        ).update(started_at=None, claim="", attempts=F("attempts") - 1)
    except DatabaseError:
        logger.warning("contribution statement not handed back", extra={"statement_id": statement_id})


def _proxy_allowed(statement: StatementRequest, now: datetime.datetime) -> bool:
    """Whether the mandate a proxy asked under still lets them view the file (a statement asked
    by the person or at the counter needs no mandate)."""
    if statement.acting_mode != ActingMode.PROXY:
        return True
    proxy_person_id = identity_selectors.account_facts(user_id=statement.requested_by_id).person_id
    if proxy_person_id is None or statement.mandate_id is None:
        return False
    mandate = mandate_for_acting(
        proxy_person_id=proxy_person_id, mandate_id=statement.mandate_id, on=timezone.localdate(now)
    )
    return (
        mandate is not None and mandate.principal_person_id == statement.person_id and Scope.VIEW_FILE in mandate.scopes
    )


def _render(statement: StatementRequest, now: datetime.datetime) -> None:
    if not _proxy_allowed(statement, now):
        raise _Failed("mandate_ended")
    person = identity_selectors.person_get(person_id=statement.person_id)
    first, last = statement.year_from, statement.year_to
    # Read by the worker for a request that recorded the read when it was made.
    record = contribution_record(person_id=statement.person_id, today=timezone.localdate(now))
    # The record lists the newest first; a statement reads from the oldest month.
    months = tuple(reversed([month for month in record.months if first <= int(month.period[:4]) <= last]))
    years = tuple(reversed([row for row in record.years if first <= row.year <= last]))
    if not months:
        raise _Failed("no_months")
    issued = document_issue(
        kind=DocumentKind.CONTRIBUTION_STATEMENT,
        holder_name=person.full_name,
        subject_type=DocumentSubject.PERSON,
        subject_id=statement.person_id,
        valid_until=None,
        issued_by_id=statement.requested_by_id,
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
                language=statement.language,
            ).content
        ),
    )
    statement.document_id = issued.document_id
    statement.content = issued.content
    statement.size = len(issued.content)
    statement.status = StatementStatus.READY
    statement.finished_at = now
    statement.save(update_fields=["document", "content", "size", "status", "finished_at"])
    _tell(statement, now)


def _fail(*, statement_id: int, code: str, now: datetime.datetime) -> None:
    with transaction.atomic():
        statement = (
            StatementRequest.objects.select_for_update().filter(pk=statement_id, status=StatementStatus.PENDING).first()
        )
        if statement is not None:
            _failed(statement, code=code, now=now)


def _failed(statement: StatementRequest, *, code: str, now: datetime.datetime) -> None:
    statement.status = StatementStatus.FAILED
    statement.failure = code
    statement.finished_at = now
    statement.save(update_fields=["status", "failure", "finished_at"])
    _tell(statement, now)


def _tell(statement: StatementRequest, now: datetime.datetime) -> None:
    """The person is told, in the transaction of the outcome; a proxy who asked gets a copy
    while their mandate still lets them view the file (staff at the counter get none: the
    person was there)."""
    recipients = recipients_for_person(person_id=statement.person_id)
    if statement.acting_mode == ActingMode.PROXY and _proxy_allowed(statement, now):
        recipients.append(Recipient(statement.requested_by_id, on_behalf_of_person_id=statement.person_id))
    notify(
        recipients=recipients,
        event="contribution_statement_processed",
        context={
            "ready": statement.status == StatementStatus.READY,
            "year_from": statement.year_from,
            "year_to": statement.year_to,
            "kept_days": settings.STATEMENT_KEEP_DAYS,
        },
        now=now,
        link=reverse("contributions:statement_detail", args=[statement.pk]),
    )


def failure_message(code: str) -> str:
    """Why a statement could not be prepared, in the active language."""
    return str(FAILURE_MESSAGES.get(code, FAILURE_MESSAGES["render_error"]))


# --- The reconciler and the purge -------------------------------------------------------------


def statements_reconcile(*, now: datetime.datetime) -> int:
    """Queue again every pending statement that nobody is working on: taken by a rendering that
    no longer holds its row lock (its worker died: PostgreSQL dropped the lock with its
    connection) more than CLAIM_GRACE ago and not queued since, or queued more than
    STATEMENT_REQUEUE_AFTER_SECONDS ago (a lost message). A rendering holds the row lock, which
    SKIP LOCKED passes over. Returns how many were queued."""
    with transaction.atomic():
        waiting = list(
            StatementRequest.objects.select_for_update(skip_locked=True)
            .filter(status=StatementStatus.PENDING)
            .filter(
                Q(started_at__lt=now - CLAIM_GRACE, queued_at__lte=F("started_at")) | Q(queued_at__lt=_lease_start(now))
            )
            .values_list("pk", flat=True)
        )
        StatementRequest.objects.filter(pk__in=waiting).update(queued_at=now)
        for statement_id in waiting:
            enqueue(RENDER_TASK, statement_id=statement_id)
    if waiting:
        logger.info("contribution statements queued again", extra={"count": len(waiting)})
    return len(waiting)


def statements_purge(*, now: datetime.datetime) -> int:
    """Drop the files of the statements ready for more than STATEMENT_KEEP_DAYS days, in one
    statement. The request and its registry row stay: the code printed on the statement still
    verifies; its holder asks for a new one to download. Returns how many were dropped."""
    cutoff = now - datetime.timedelta(days=settings.STATEMENT_KEEP_DAYS)
    return StatementRequest.objects.filter(status=StatementStatus.READY, finished_at__lt=cutoff).update(
        status=StatementStatus.PURGED, content=None, purged_at=now
    )
