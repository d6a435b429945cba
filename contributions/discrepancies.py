"""A person reports that a month of their contribution record is wrong: a case for staff, and a
message to the employer's administrators and declarants."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from contributions.models import DeclarationLine, DeclarationStatus, DiscrepancyReport, DiscrepancyStatus, Employment
from contributions.reads import employed_during
from contributions.reminders import REMINDED_ROLES
from contributions.types import DiscrepancyError
from core.actor import Actor
from core.errors import NotFound
from core.locks import LockNamespace, advisory_lock
from core.periods import Period
from core.types import Scope
from identity.selectors import enterprise_names, person_names
from notifications.selectors import recipients_for_enterprises
from notifications.services import notify

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
        existing = DiscrepancyReport.objects.filter(
            person_id=person_id, enterprise_id=enterprise_id, period=str(month), status=DiscrepancyStatus.OPEN
        ).first()
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
                )
        except IntegrityError:  # a concurrent double submit won
            return DiscrepancyReport.objects.get(
                person_id=person_id, enterprise_id=enterprise_id, period=str(month), status=DiscrepancyStatus.OPEN
            ).pk
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


def open_reports(*, person_id: int) -> set[tuple[int, str]]:
    """(employer, month) of the person's open cases, to show them on the record."""
    return set(
        DiscrepancyReport.objects.filter(person_id=person_id, status=DiscrepancyStatus.OPEN).values_list(
            "enterprise_id", "period"
        )
    )


def discrepancy_close(*, user_id: int, report_ids: list[int], outcome: str, now: datetime.datetime) -> int:
    """Staff mark cases as handled (the caller checked the staff permission). Returns how many
    were open."""
    return DiscrepancyReport.objects.filter(pk__in=report_ids, status=DiscrepancyStatus.OPEN).update(
        status=DiscrepancyStatus.CLOSED, closed_by_id=user_id, closed_at=now, outcome=outcome[:2000]
    )
