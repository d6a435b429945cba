"""Writes of the contributions app: the employment register (hires, terminations, corrections,
cancellations), declared by an enterprise's representatives or by a bureau it mandated.

Every function owns its transaction, takes ``now`` from the caller and records an event with
who declared, when, and through which bureau.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from contributions.careers import insured_years_fold as insured_years_fold
from contributions.models import Employment, EmploymentEvent, EmploymentEventKind
from contributions.policies import declaring_capacity
from contributions.types import EmploymentError, WorkerCategory
from core.actor import Actor
from core.errors import NotFound
from identity import selectors as identity_selectors
from identity.types import InvalidIdentifier


def _require_capacity(actor: Actor, enterprise_id: int, now: datetime.datetime) -> int | None:
    allowed, bureau_id = declaring_capacity(actor=actor, enterprise_id=enterprise_id, on=timezone.localdate(now))
    if not allowed:
        raise NotFound
    return bureau_id


def _event(
    employment: Employment, kind: str, actor: Actor, bureau_id: int | None, now: datetime.datetime, **details: object
) -> None:
    EmploymentEvent.objects.create(
        employment=employment,
        kind=kind,
        at=now,
        by_user_id=actor.user_id,
        by_api_key_id=actor.api_key_id,
        via_bureau_id=bureau_id,
        details=details,
    )


# Dates people type are bounded: a hire or a departure is declared at most a year ahead, and a
# correction goes back at most ten years (older records are corrected by staff, with proof). A
# date in year 9999, or 0001, is a typing error, said as such.
_MOST_AHEAD = datetime.timedelta(days=366)
_MOST_BACK = datetime.timedelta(days=3653)


def _within_bounds(day: datetime.date, now: datetime.datetime, *, back: bool = True) -> None:
    today = timezone.localdate(now)
    if day > today + _MOST_AHEAD:
        raise EmploymentError("date_too_far")
    if back and day < today - _MOST_BACK:
        raise EmploymentError("date_too_old")


def employment_hire(
    *,
    actor: Actor,
    enterprise_id: int,
    national_number: str,
    worker_category: str,
    start_date: datetime.date,
    now: datetime.datetime,
) -> int:
    """Declare a hire, before the first day of work."""
    bureau_id = _require_capacity(actor, enterprise_id, now)
    if worker_category not in WorkerCategory.values:
        raise EmploymentError("worker_category")
    if start_date < timezone.localdate(now):
        raise EmploymentError("start_in_past")
    _within_bounds(start_date, now)
    try:
        person = identity_selectors.person_by_national_number(national_number=national_number)
    except InvalidIdentifier as error:
        raise EmploymentError(f"national_number_{error.code}", error.message) from None
    except NotFound:
        raise EmploymentError("person_unknown") from None
    if person.death_date is not None and person.death_date <= start_date:
        raise EmploymentError("person_deceased")
    try:
        with transaction.atomic():
            employment = Employment.objects.create(
                enterprise_id=enterprise_id,
                person_id=person.id,
                worker_category=worker_category,
                start_date=start_date,
                declared_at=now,
            )
            _event(
                employment,
                EmploymentEventKind.HIRE,
                actor,
                bureau_id,
                now,
                worker_category=worker_category,
                start_date=start_date.isoformat(),
            )
    except IntegrityError:
        raise EmploymentError("overlap") from None
    return employment.pk


def _locked(
    actor: Actor, employment_id: int, now: datetime.datetime, enterprise_id: int | None = None
) -> tuple[Employment, int | None]:
    employment = Employment.objects.select_for_update().filter(pk=employment_id, cancelled_at__isnull=True).first()
    if employment is None or (enterprise_id is not None and employment.enterprise_id != enterprise_id):
        raise NotFound
    return employment, _require_capacity(actor, employment.enterprise_id, now)


def employment_terminate(
    *,
    actor: Actor,
    employment_id: int,
    end_date: datetime.date,
    now: datetime.datetime,
    enterprise_id: int | None = None,
) -> bool:
    """Declare the last day of work. Returns whether the declaration is late (after the next
    working day following the last day): it is recorded all the same, and flagged."""
    with transaction.atomic():
        employment, bureau_id = _locked(actor, employment_id, now, enterprise_id)
        if employment.end_date is not None:
            raise EmploymentError("already_ended")
        if end_date < employment.start_date:
            raise EmploymentError("end_before_start")
        _within_bounds(end_date, now, back=False)
        late = timezone.localdate(now) > _next_working_day(end_date)
        employment.end_date = end_date
        try:
            with transaction.atomic():
                employment.save(update_fields=["end_date"])
        except IntegrityError:
            raise EmploymentError("overlap") from None
        _event(
            employment, EmploymentEventKind.TERMINATION, actor, bureau_id, now, end_date=end_date.isoformat(), late=late
        )
    return late


def employment_correct(
    *, actor: Actor, employment_id: int, worker_category: str, start_date: datetime.date, now: datetime.datetime
) -> None:
    """Correct the category or the first day of a hire; the previous values stay in the history."""
    if worker_category not in WorkerCategory.values:
        raise EmploymentError("worker_category")
    with transaction.atomic():
        employment, bureau_id = _locked(actor, employment_id, now)
        if employment.end_date is not None and start_date > employment.end_date:
            raise EmploymentError("end_before_start")
        _within_bounds(start_date, now)
        before = {"worker_category": employment.worker_category, "start_date": employment.start_date.isoformat()}
        employment.worker_category, employment.start_date = worker_category, start_date
        try:
            with transaction.atomic():
                employment.save(update_fields=["worker_category", "start_date"])
        except IntegrityError:
            raise EmploymentError("overlap") from None
        _event(
            employment,
            EmploymentEventKind.CORRECTION,
            actor,
            bureau_id,
            now,
            before=before,
            after={"worker_category": worker_category, "start_date": start_date.isoformat()},
        )


def employment_cancel(
    *, actor: Actor, employment_id: int, now: datetime.datetime, enterprise_id: int | None = None
) -> None:
    """Cancel a hire declared by mistake, before its first day of work. A page speaking for one
    enterprise names it: another enterprise's employment is not found."""
    with transaction.atomic():
        employment, bureau_id = _locked(actor, employment_id, now, enterprise_id)
        if employment.start_date <= timezone.localdate(now):
            raise EmploymentError("already_started")
        employment.cancelled_at = now
        employment.save(update_fields=["cancelled_at"])
        _event(employment, EmploymentEventKind.CANCELLATION, actor, bureau_id, now)


def _next_working_day(day: datetime.date) -> datetime.date:
    following = day + datetime.timedelta(days=1)
    while following.weekday() >= 5:  # Saturday, Sunday
        following += datetime.timedelta(days=1)
    return following
