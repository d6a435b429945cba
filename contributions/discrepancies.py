"""A person reports that a month of their contribution record is wrong: a case for staff, a
message to the employer's administrators and declarants, and an answer to the person.

Staff record an outcome from a list with a reason (``discrepancy_decide``): the employer asked
to correct (told in their inbox, with a link to the prefilled replacement), corrected, or not
founded. The person — and whoever they mandated to view their file — is told each step in
their inbox. A case waiting for the employer follows their replacing declaration, whatever its
channel (``discrepancies_follow_declarations``, called when declarations come into force): it
comes back to staff, who check it and close it. Staff judge a case on the declarations of the
month, the employment register and the employer's account (``case_evidence``), read-only; the
person's trail records that staff read their case."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed

from contributions.models import (
    Declaration,
    DeclarationLine,
    DeclarationStatus,
    DiscrepancyOutcome,
    DiscrepancyReport,
    DiscrepancyStatus,
    DiscrepancyStep,
    DiscrepancyStepKind,
    Employment,
    LedgerEntry,
)
from contributions.policies import can_view_record
from contributions.reads import employed_during
from contributions.reminders import REMINDED_ROLES
from contributions.types import DiscrepancyCase, DiscrepancyCaseStep, DiscrepancyError, RecordReport
from core.actor import Actor
from core.audit import file_view_record
from core.errors import NotFound
from core.locks import LockNamespace, advisory_lock
from core.periods import Period
from core.types import Scope
from identity.selectors import enterprise_names, person_names
from mandates.selectors import recipients_with_proxies
from notifications.selectors import recipients_for_enterprises
from notifications.services import notify, notify_many
from notifications.types import Notice

MESSAGE_MAX_LENGTH = 2000


def _in_record(*, person_id: int, enterprise_id: int, period: Period) -> bool:
    """Whether the month is in the person's record for that employer: declared, or worked."""
    declared = DeclarationLine.objects.filter(
        person_id=person_id,
        declaration__enterprise_id=enterprise_id,
        declaration__period=str(period),
        declaration__status=DeclarationStatus.IN_FORCE,
    ).exists()
    return (
        declared
        or Employment.objects.filter(employed_during(period), person_id=person_id, enterprise_id=enterprise_id).exists()
    )


def discrepancy_report(
    *, actor: Actor, person_id: int, enterprise_id: int, period: str, message: str, now: datetime.datetime
) -> int:
    """Open a case (once per person, employer and month while it is open) and tell the employer.
    The person reports, or a proxy whose mandate allows viewing the file."""
    if actor.user_id is None or actor.subject_person_id != person_id or not actor.may(Scope.VIEW_FILE):
        raise NotFound
    try:
        month = Period.parse(period)
    except ValueError:
        raise NotFound from None
    if not _in_record(person_id=person_id, enterprise_id=enterprise_id, period=month):
        raise NotFound
    text = message.strip()
    if not text:
        raise DiscrepancyError("message_required")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise DiscrepancyError("message_too_long")
    with transaction.atomic():
        existing = (
            DiscrepancyReport.objects.filter(person_id=person_id, enterprise_id=enterprise_id, period=str(month))
            .exclude(status=DiscrepancyStatus.CLOSED)
            .first()
        )
        if existing is not None:
            return existing.pk
        # At most DISCREPANCY_REPORTS_PER_DAY new cases a person and day; their reports queue
        # behind each other so that two at once cannot both pass the count.
        advisory_lock(LockNamespace.DISCREPANCY_REPORTS, person_id)
        midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time()))
        if (
            DiscrepancyReport.objects.filter(person_id=person_id, reported_at__gte=midnight).count()
            >= settings.DISCREPANCY_REPORTS_PER_DAY
        ):
            raise DiscrepancyError("too_many_today")
        try:
            with transaction.atomic():
                report = DiscrepancyReport.objects.create(
                    person_id=person_id,
                    enterprise_id=enterprise_id,
                    period=str(month),
                    message=text,
                    reported_by_id=actor.user_id,
                    reported_at=now,
                    updated_at=now,
                )
        except IntegrityError:  # a concurrent double submit won
            return (
                DiscrepancyReport.objects.exclude(status=DiscrepancyStatus.CLOSED)
                .get(person_id=person_id, enterprise_id=enterprise_id, period=str(month))
                .pk
            )
        notify(
            recipients=recipients_for_enterprises(enterprise_ids=[enterprise_id], roles=REMINDED_ROLES).get(
                enterprise_id, []
            ),
            event="discrepancy_reported",
            context={
                "enterprise_name": enterprise_names(enterprise_ids=[enterprise_id]).get(enterprise_id, ""),
                "employee_name": person_names(person_ids=[person_id]).get(person_id, ""),
                "period": str(month),
            },
            now=now,
            link=f"{reverse('contributions:declarations', args=[enterprise_id])}?period={month}",
        )
    return report.pk


def reports_of_person(*, person_id: int) -> dict[tuple[int, str], RecordReport]:
    """The person's latest case for each (employer, month) they reported, to show where it
    stands on their record. One query."""
    rows = (
        DiscrepancyReport.objects.filter(person_id=person_id)
        .order_by("enterprise_id", "period", "-reported_at", "-id")
        .distinct("enterprise_id", "period")
        .values_list("id", "enterprise_id", "period", "status", "outcome")
    )
    return {
        (enterprise_id, period): RecordReport(report_id, status, outcome)
        for report_id, enterprise_id, period, status, outcome in rows
    }


def _case_link(report_id: int) -> str:
    return reverse("contributions:record_case", args=[report_id])


def _person_notice(report: DiscrepancyReport, *, enterprise_name: str, reason: str, now: datetime.datetime) -> Notice:
    """The news of a case for the person, and those whose mandate lets them view the file."""
    return Notice(
        recipients=tuple(
            recipients_with_proxies(person_id=report.person_id, scope=Scope.VIEW_FILE, on=timezone.localdate(now))
        ),
        context={
            "enterprise_name": enterprise_name,
            "period": report.period,
            "outcome": report.outcome,
            "reason": reason,
        },
        link=_case_link(report.pk),
    )


def discrepancy_decide(
    *, actor: Actor, report_id: int, seen_status: str, outcome: str, reason: str, now: datetime.datetime
) -> str:
    """Staff record the outcome of a case, with a reason the person (and, when asked to
    correct, the employer) reads: ask the employer to correct, or close the case as corrected
    or not founded. ``seen_status`` is the status the staff member decided on: if the case moved
    meanwhile (another decision, the employer's correction), nothing changes. Returns the new
    status. The caller checked the back-office permission."""
    if actor.user_id is None or not actor.is_staff:
        raise NotFound
    if outcome not in DiscrepancyOutcome.values:
        raise DiscrepancyError("outcome_required")
    text = reason.strip()
    if not text:
        raise DiscrepancyError("reason_required")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise DiscrepancyError("reason_too_long")
    with transaction.atomic():
        report = DiscrepancyReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None:
            raise NotFound
        move = report.ask_employer if outcome == DiscrepancyOutcome.EMPLOYER_ASKED else report.close
        if report.status != seen_status or not can_proceed(move):
            raise DiscrepancyError("already_decided")
        if outcome == DiscrepancyOutcome.EMPLOYER_ASKED:
            report.ask_employer()
        else:
            report.close(outcome=outcome, by_id=actor.user_id, at=now)
        report.updated_at = now
        report.save(update_fields=["status", "outcome", "closed_by", "closed_at", "updated_at"])
        DiscrepancyStep.objects.create(report=report, kind=outcome, at=now, by_id=actor.user_id, reason=text)
        enterprise_name = enterprise_names(enterprise_ids=[report.enterprise_id]).get(report.enterprise_id, "")
        notify_many(
            event="discrepancy_answered",
            notices=[_person_notice(report, enterprise_name=enterprise_name, reason=text, now=now)],
            now=now,
        )
        if outcome == DiscrepancyOutcome.EMPLOYER_ASKED:
            notify(
                recipients=recipients_for_enterprises(enterprise_ids=[report.enterprise_id], roles=REMINDED_ROLES).get(
                    report.enterprise_id, []
                ),
                event="discrepancy_correction_requested",
                context={
                    "enterprise_name": enterprise_name,
                    "employee_name": person_names(person_ids=[report.person_id]).get(report.person_id, ""),
                    "period": report.period,
                    "reason": text,
                },
                now=now,
                link=f"{reverse('contributions:declarations', args=[report.enterprise_id])}?period={report.period}",
            )
    return report.status


_FOLLOW_SQL = """
WITH incoming AS (
    SELECT * FROM unnest(%(declarations)s::bigint[], %(enterprises)s::bigint[], %(periods)s::varchar[])
        AS v(declaration_id, enterprise_id, period)
), moved AS (
    UPDATE contributions_discrepancyreport r
    SET status = 'correction_received', updated_at = %(now)s
    FROM incoming i
    WHERE r.status = 'awaiting_employer' AND r.enterprise_id = i.enterprise_id AND r.period = i.period
    RETURNING r.id, i.declaration_id
)
INSERT INTO contributions_discrepancystep (report_id, kind, at, reason, declaration_id)
SELECT id, 'correction_received', %(now)s, '', declaration_id FROM moved
RETURNING report_id
"""


def discrepancies_follow_declarations(*, declarations: Collection[tuple[int, int, str]], now: datetime.datetime) -> int:
    """Declarations (id, enterprise id, period) just came into force, inside the caller's
    transaction: the cases waiting for a correction of those months come back to staff, with
    the declaration that corrects them, and the persons are told. One statement, whatever the
    number of declarations (a bulk file brings thousands); then a message per case moved.
    Returns how many cases moved."""
    if not declarations:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _FOLLOW_SQL,
            {
                "declarations": [declaration_id for declaration_id, _e, _p in declarations],
                "enterprises": [enterprise_id for _d, enterprise_id, _p in declarations],
                "periods": [period for _d, _e, period in declarations],
                "now": now,
            },
        )
        moved = [report_id for (report_id,) in cursor.fetchall()]
    if moved:
        reports = list(DiscrepancyReport.objects.filter(pk__in=moved))
        names = enterprise_names(enterprise_ids=sorted({report.enterprise_id for report in reports}))
        notify_many(
            event="discrepancy_correction_received",
            notices=[
                _person_notice(report, enterprise_name=names.get(report.enterprise_id, ""), reason="", now=now)
                for report in reports
            ],
            now=now,
        )
    return len(moved)


def discrepancy_case_get(*, actor: Actor, report_id: int, now: datetime.datetime) -> DiscrepancyCase | None:
    """A case as the person reads it — what they reported, each step and its reason — if the
    actor may view the person's record (a read by a proxy or at the counter is recorded)."""
    report = DiscrepancyReport.objects.filter(pk=report_id).first()
    if report is None or not can_view_record(actor=actor, person_id=report.person_id):
        return None
    file_view_record(actor=actor, subject_person_id=report.person_id, what="reported problem", now=now)
    steps = tuple(
        DiscrepancyCaseStep(kind=kind, label=str(DiscrepancyStepKind(kind).label), at=at, reason=reason)
        for kind, at, reason in report.steps.order_by("at", "id").values_list("kind", "at", "reason")
    )
    return DiscrepancyCase(
        report_id=report.pk,
        period=report.period,
        enterprise_name=enterprise_names(enterprise_ids=[report.enterprise_id]).get(report.enterprise_id, ""),
        message=report.message,
        reported_at=report.reported_at,
        status=report.status,
        status_label=str(DiscrepancyStatus(report.status).label),
        outcome=report.outcome,
        steps=steps,
    )


# --- What staff judge a case on (the back office) ------------------------------------------------


@dataclass(frozen=True)
class EvidenceDeclaration:
    """A version of the month's declaration, and the person's line in it (None: not in it)."""

    declaration_id: int
    reference: str
    version: int
    status: str
    channel: str
    submitted_at: datetime.datetime
    line_count: int
    total_wages: Decimal
    worker_category: str | None
    gross_wage: Decimal | None
    days_worked: int | None
    employee_amount: Decimal | None
    employer_amount: Decimal | None


@dataclass(frozen=True)
class EvidenceEmployment:
    worker_category: str
    start_date: datetime.date
    end_date: datetime.date | None
    declared_at: datetime.datetime
    cancelled_at: datetime.datetime | None
    covers_month: bool


@dataclass(frozen=True)
class EvidenceEntry:
    """An entry of the employer's account for the month, and the money allocated to it (the
    money paying a debt is allocated to its first entry)."""

    kind: str
    amount: Decimal
    booked_on: datetime.date
    due_on: datetime.date | None
    settled: Decimal
    payment_reference: str


@dataclass(frozen=True)
class CaseEvidence:
    declarations: list[EvidenceDeclaration]
    employments: list[EvidenceEmployment]
    entries: list[EvidenceEntry]

    @property
    def paid(self) -> Decimal:
        """The money received for the month's debts (a correction is not a payment)."""
        return sum((entry.settled for entry in self.entries), Decimal("0.00"))

    @property
    def outstanding(self) -> Decimal:
        """What the month's debts (the entries that share a payment reference) still owe."""
        debts: dict[str, Decimal] = {}
        for entry in self.entries:
            debts[entry.payment_reference] = debts.get(entry.payment_reference, Decimal("0.00")) + (
                entry.amount - entry.settled
            )
        return sum((max(left, Decimal("0.00")) for left in debts.values()), Decimal("0.00"))


def case_evidence(*, report: DiscrepancyReport) -> CaseEvidence:
    """The month's declarations (every version, with the person's line), the person's hires
    with that employer, and the employer's account entries of the month: four queries. For the
    back office's page of the case, whose read is recorded in the person's trail."""
    month = Period.parse(report.period)
    versions = list(
        Declaration.objects.filter(enterprise_id=report.enterprise_id, period=report.period)
        .exclude(status=DeclarationStatus.PENDING)
        .order_by("-version")
        .only("reference", "version", "status", "channel", "submitted_at", "line_count", "total_wages")
    )
    lines = {
        line.declaration_id: line
        for line in DeclarationLine.objects.filter(
            declaration_id__in=[version.pk for version in versions], person_id=report.person_id
        ).only("declaration_id", "worker_category", "gross_wage", "days_worked", "employee_amount", "employer_amount")
    }
    covering = set(
        Employment.objects.filter(
            employed_during(month), person_id=report.person_id, enterprise_id=report.enterprise_id
        ).values_list("pk", flat=True)
    )
    employments = [
        EvidenceEmployment(
            worker_category=row.worker_category,
            start_date=row.start_date,
            end_date=row.end_date,
            declared_at=row.declared_at,
            cancelled_at=row.cancelled_at,
            covers_month=row.pk in covering,
        )
        for row in Employment.objects.filter(person_id=report.person_id, enterprise_id=report.enterprise_id).order_by(
            "-start_date"
        )
    ]
    entries = [
        EvidenceEntry(
            kind=row.kind,
            amount=row.amount,
            booked_on=row.booked_on,
            due_on=row.due_on,
            settled=row.settled or Decimal("0.00"),
            payment_reference=row.payment_reference,
        )
        for row in LedgerEntry.objects.filter(enterprise_id=report.enterprise_id, period=report.period)
        .annotate(settled=Sum("allocations_received__amount"))
        .order_by("booked_on", "id")
    ]
    return CaseEvidence(
        declarations=[_evidence_declaration(version, lines.get(version.pk)) for version in versions],
        employments=employments,
        entries=entries,
    )


def _evidence_declaration(version: Declaration, line: DeclarationLine | None) -> EvidenceDeclaration:
    return EvidenceDeclaration(
        declaration_id=version.pk,
        reference=version.reference,
        version=version.version,
        status=version.status,
        channel=version.channel,
        submitted_at=version.submitted_at,
        line_count=version.line_count,
        total_wages=version.total_wages,
        worker_category=line.worker_category if line else None,
        gross_wage=line.gross_wage if line else None,
        days_worked=line.days_worked if line else None,
        employee_amount=line.employee_amount if line else None,
        employer_amount=line.employer_amount if line else None,
    )
