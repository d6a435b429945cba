"""Writes of the mandates app: granting, requesting, accepting, changing and ending mandates.

Every function owns its transaction, takes ``now`` from its caller, checks who acts, locks the
mandate row before a transition, and tells the other party through the notifications app.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.actor import Actor, LevelOfAssurance
from core.errors import NotFound
from identity import selectors as identity_selectors
from identity.types import EnterpriseRole
from mandates.models import AccreditedProfessional, EnterpriseMandate, Mandate
from mandates.types import OPEN_STATUSES, EnterpriseScope, MandateError, MandateStatus, Scope
from notifications.selectors import recipients_for_person
from notifications.services import notify

_NEEDS_SUBSTANTIAL = _("Sign in with your second factor (two-factor authentication) to manage mandates.")


def _require_person(actor: Actor, *, substantial: bool) -> int:
    if actor.person_id is None:
        raise MandateError("no_file", _("Link your account to your file first."))
    if substantial and not actor.has_level(LevelOfAssurance.SUBSTANTIAL):
        raise MandateError("level_too_low", _NEEDS_SUBSTANTIAL)
    return actor.person_id


# A mandate starts at most a year from today: a date in year 9999 is a typing error.
_MOST_AHEAD = datetime.timedelta(days=366)
_STARTS_TOO_FAR = _("A mandate starts at most a year from today: check the year.")


def _check_terms(
    *, scopes: list[str], starts_on: datetime.date, ends_on: datetime.date, today: datetime.date
) -> list[str]:
    chosen = [scope for scope in Scope.values if scope in set(scopes)]
    if not chosen or len(chosen) != len(set(scopes)):
        raise MandateError("scopes", _("Choose at least one thing the person may do."))
    if starts_on < today:
        raise MandateError("starts_in_past", _("The mandate cannot start in the past."))
    if starts_on > today + _MOST_AHEAD:
        raise MandateError("starts_too_far", _STARTS_TOO_FAR)
    if ends_on < starts_on:
        raise MandateError("ends_before_start", _("The end date must come after the start date."))
    longest = (
        starts_on.replace(year=starts_on.year + settings.MANDATE_MAX_YEARS)
        if not (starts_on.month == 2 and starts_on.day == 29)
        else starts_on.replace(year=starts_on.year + settings.MANDATE_MAX_YEARS, day=28)
    )
    if ends_on > longest:
        raise MandateError(
            "too_long",
            _("A mandate lasts at most %(years)d years.") % {"years": settings.MANDATE_MAX_YEARS},
        )
    return chosen


def _tell(person_id: int, event: str, context: dict[str, object], now: datetime.datetime) -> None:
    notify(
        recipients=recipients_for_person(person_id=person_id), event=event, context=context, now=now, link="/mandates/"
    )


def _create(
    *,
    principal_id: int,
    proxy_id: int,
    professional_id: int | None,
    scopes: list[str],
    starts_on: datetime.date,
    ends_on: datetime.date,
    status: str,
    actor: Actor,
    now: datetime.datetime,
    previous_id: int | None = None,
) -> Mandate:
    if principal_id == proxy_id:
        raise MandateError("oneself", _("You cannot give a mandate to yourself."))
    try:
        with transaction.atomic():
            return Mandate.objects.create(
                principal_id=principal_id,
                proxy_id=proxy_id,
                professional_id=professional_id,
                scopes=scopes,
                starts_on=starts_on,
                ends_on=ends_on,
                status=status,
                created_at=now,
                created_by_id=actor.user_id,
                accepted_at=now if status == MandateStatus.ACTIVE else None,
                previous_id=previous_id,
            )
    except IntegrityError:
        raise MandateError(
            "already_open", _("A mandate between you two already exists or is waiting for an answer.")
        ) from None


def _offer(
    *,
    actor: Actor,
    principal_id: int,
    proxy_id: int,
    professional_id: int | None,
    scopes: list[str],
    starts_on: datetime.date,
    ends_on: datetime.date,
    now: datetime.datetime,
) -> int:
    """Store a mandate offered by the principal and ask the proxy to accept it."""
    with transaction.atomic():
        mandate = _create(
            principal_id=principal_id,
            proxy_id=proxy_id,
            professional_id=professional_id,
            scopes=scopes,
            starts_on=starts_on,
            ends_on=ends_on,
            status=MandateStatus.PENDING,
            actor=actor,
            now=now,
        )
        principal_name = identity_selectors.person_names(person_ids=[principal_id])[principal_id]
        _tell(
            proxy_id,
            "mandate_offered",
            {"principal_name": principal_name, "scopes": scopes, "ends_on": ends_on.isoformat()},
            now,
        )
    return mandate.pk


def mandate_grant(
    *,
    actor: Actor,
    proxy_national_number: str,
    proxy_last_name: str,
    scopes: list[str],
    starts_on: datetime.date,
    ends_on: datetime.date,
    now: datetime.datetime,
) -> int:
    """The principal offers a mandate to a relative or trusted person; it waits for acceptance."""
    principal_id = _require_person(actor, substantial=True)
    chosen = _check_terms(scopes=scopes, starts_on=starts_on, ends_on=ends_on, today=timezone.localdate(now))
    try:
        proxy = identity_selectors.person_match(national_number=proxy_national_number, last_name=proxy_last_name)
    except NotFound:
        raise MandateError(
            "proxy_unknown", _("We find nobody with this national number and this last name. Check both.")
        ) from None
    if proxy.death_date is not None:
        raise MandateError(
            "proxy_unknown", _("We find nobody with this national number and this last name. Check both.")
        )
    return _offer(
        actor=actor,
        principal_id=principal_id,
        proxy_id=proxy.id,
        professional_id=None,
        scopes=chosen,
        starts_on=starts_on,
        ends_on=ends_on,
        now=now,
    )


def mandate_grant_professional(
    *,
    actor: Actor,
    accreditation_number: str,
    scopes: list[str],
    starts_on: datetime.date,
    ends_on: datetime.date,
    now: datetime.datetime,
) -> int:
    """The principal mandates an accredited professional (register kept by staff)."""
    principal_id = _require_person(actor, substantial=True)
    chosen = _check_terms(scopes=scopes, starts_on=starts_on, ends_on=ends_on, today=timezone.localdate(now))
    professional = AccreditedProfessional.objects.filter(
        accreditation_number=accreditation_number.strip().upper(),
        valid_from__lte=starts_on,
        valid_until__gte=timezone.localdate(now),
    ).first()
    if professional is None:
        raise MandateError("professional_unknown", _("No accredited professional has this number today."))
    if ends_on > professional.valid_until:
        raise MandateError(
            "beyond_accreditation",
            _("The professional's accreditation ends on %(date)s: the mandate cannot last longer.")
            % {"date": professional.valid_until.isoformat()},
        )
    return _offer(
        actor=actor,
        principal_id=principal_id,
        proxy_id=professional.person_id,
        professional_id=professional.pk,
        scopes=chosen,
        starts_on=starts_on,
        ends_on=ends_on,
        now=now,
    )


def mandate_request(
    *,
    actor: Actor,
    principal_national_number: str,
    principal_last_name: str,
    scopes: list[str],
    starts_on: datetime.date,
    ends_on: datetime.date,
    now: datetime.datetime,
) -> int:
    """A would-be proxy asks a person for a mandate; the person approves or declines. A second
    factor is required: an answer confirms that a national number and a name go together."""
    proxy_id = _require_person(actor, substantial=True)
    chosen = _check_terms(scopes=scopes, starts_on=starts_on, ends_on=ends_on, today=timezone.localdate(now))
    try:
        principal = identity_selectors.person_match(
            national_number=principal_national_number, last_name=principal_last_name
        )
    except NotFound:
        raise MandateError(
            "principal_unknown", _("We find nobody with this national number and this last name. Check both.")
        ) from None
    if principal.death_date is not None:
        raise MandateError(
            "principal_unknown", _("We find nobody with this national number and this last name. Check both.")
        )
    with transaction.atomic():
        mandate = _create(
            principal_id=principal.id,
            proxy_id=proxy_id,
            professional_id=None,
            scopes=chosen,
            starts_on=starts_on,
            ends_on=ends_on,
            status=MandateStatus.REQUESTED,
            actor=actor,
            now=now,
        )
        proxy_name = identity_selectors.person_names(person_ids=[proxy_id])[proxy_id]
        _tell(
            principal.id,
            "mandate_requested",
            {"proxy_name": proxy_name, "scopes": chosen, "ends_on": ends_on.isoformat()},
            now,
        )
    return mandate.pk


def _locked(mandate_id: int, *, person_id: int) -> Mandate:
    mandate = Mandate.objects.select_for_update().filter(pk=mandate_id).first()
    if mandate is None or person_id not in (mandate.principal_id, mandate.proxy_id):
        raise NotFound
    return mandate


def _other_party(mandate: Mandate, person_id: int) -> int:
    return mandate.proxy_id if person_id == mandate.principal_id else mandate.principal_id


def _refused() -> MandateError:
    return MandateError("not_allowed", _("This mandate cannot be changed that way in its current state."))


def _activate(*, actor: Actor, mandate_id: int, now: datetime.datetime, by_proxy: bool) -> None:
    """The party asked to answer makes the mandate active: the proxy accepts an offer, or the
    principal (with a second factor) approves a request. The other party is told."""
    person_id = _require_person(actor, substantial=not by_proxy)
    with transaction.atomic():
        mandate = _locked(mandate_id, person_id=person_id)
        answering, waiting = (
            (mandate.proxy_id, MandateStatus.PENDING) if by_proxy else (mandate.principal_id, MandateStatus.REQUESTED)
        )
        if person_id != answering or mandate.status != waiting or mandate.ends_on < timezone.localdate(now):
            raise _refused()
        if by_proxy:
            mandate.accept()
        else:
            mandate.approve()
        mandate.accepted_at = now
        mandate.save()
        names = identity_selectors.person_names(person_ids=[person_id])
        _tell(_other_party(mandate, person_id), "mandate_accepted", {"other_name": names[person_id]}, now)


def mandate_accept(*, actor: Actor, mandate_id: int, now: datetime.datetime) -> None:
    """The proxy accepts a mandate offered to them."""
    _activate(actor=actor, mandate_id=mandate_id, now=now, by_proxy=True)


def mandate_approve(*, actor: Actor, mandate_id: int, now: datetime.datetime) -> None:
    """The principal approves a mandate requested by the proxy (a second factor is required)."""
    _activate(actor=actor, mandate_id=mandate_id, now=now, by_proxy=False)


def _end(*, mandate: Mandate, actor: Actor, person_id: int, event: str, now: datetime.datetime) -> None:
    """Record who ended the mandate (the transition already applied) and tell the other party."""
    mandate.ended_at = now
    mandate.ended_by_id = actor.user_id
    mandate.save()
    names = identity_selectors.person_names(person_ids=[person_id])
    _tell(_other_party(mandate, person_id), event, {"other_name": names[person_id]}, now)


def mandate_decline(*, actor: Actor, mandate_id: int, now: datetime.datetime) -> None:
    """The party asked to answer declines (the proxy an offer, the principal a request)."""
    person_id = _require_person(actor, substantial=False)
    with transaction.atomic():
        mandate = _locked(mandate_id, person_id=person_id)
        answering = mandate.proxy_id if mandate.status == MandateStatus.PENDING else mandate.principal_id
        if mandate.status not in (MandateStatus.PENDING, MandateStatus.REQUESTED) or person_id != answering:
            raise _refused()
        mandate.decline()
        _end(mandate=mandate, actor=actor, person_id=person_id, event="mandate_declined", now=now)


def mandate_revoke(*, actor: Actor, mandate_id: int, now: datetime.datetime) -> None:
    """Either party ends the mandate at once."""
    person_id = _require_person(actor, substantial=False)
    with transaction.atomic():
        mandate = _locked(mandate_id, person_id=person_id)
        if mandate.status not in OPEN_STATUSES:
            raise _refused()
        if mandate.status == MandateStatus.REQUESTED and person_id != mandate.proxy_id:
            raise _refused()  # the principal declines a request; the proxy withdraws it
        mandate.revoke()
        _end(mandate=mandate, actor=actor, person_id=person_id, event="mandate_revoked", now=now)


def mandate_change(
    *, actor: Actor, mandate_id: int, scopes: list[str], ends_on: datetime.date, now: datetime.datetime
) -> int:
    """The principal changes the scopes or the end of an active mandate: the current version
    ends and a new one, already accepted, takes over in the same transaction."""
    person_id = _require_person(actor, substantial=True)
    with transaction.atomic():
        mandate = _locked(mandate_id, person_id=person_id)
        if person_id != mandate.principal_id or mandate.status != MandateStatus.ACTIVE:
            raise _refused()
        starts_on = max(mandate.starts_on, timezone.localdate(now))
        chosen = _check_terms(scopes=scopes, starts_on=starts_on, ends_on=ends_on, today=timezone.localdate(now))
        if mandate.professional_id is not None:
            valid_until = AccreditedProfessional.objects.values_list("valid_until", flat=True).get(
                pk=mandate.professional_id
            )
            if ends_on > valid_until:
                raise MandateError(
                    "beyond_accreditation",
                    _("The professional's accreditation ends on %(date)s: the mandate cannot last longer.")
                    % {"date": valid_until.isoformat()},
                )
        mandate.supersede()
        mandate.ended_at = now
        mandate.ended_by_id = actor.user_id
        mandate.save()
        new = _create(
            principal_id=mandate.principal_id,
            proxy_id=mandate.proxy_id,
            professional_id=mandate.professional_id,
            scopes=chosen,
            starts_on=starts_on,
            ends_on=ends_on,
            status=MandateStatus.ACTIVE,
            actor=actor,
            now=now,
            previous_id=mandate.pk,
        )
        names = identity_selectors.person_names(person_ids=[person_id])
        _tell(
            mandate.proxy_id,
            "mandate_changed",
            {"principal_name": names[person_id], "scopes": chosen, "ends_on": ends_on.isoformat()},
            now,
        )
    return new.pk


def mandates_maintain(*, now: datetime.datetime) -> dict[str, int]:
    """Nightly: end mandates whose principal died or whose end date passed, and remind both
    parties 30 and 7 days before the end. Safe to run twice (state checks, reminder stamps)."""
    today = timezone.localdate(now)
    counts = {"ended_by_death": 0, "expired": 0, "reminded": 0}
    with transaction.atomic():
        # A join on the registry's death date: one query for the whole population.
        for mandate in Mandate.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status__in=[MandateStatus.REQUESTED, MandateStatus.PENDING, MandateStatus.ACTIVE],
            principal__death_date__lte=today,
        ):
            was_active = mandate.status == MandateStatus.ACTIVE
            mandate.end_by_death()
            mandate.ended_at = now
            mandate.save()
            counts["ended_by_death"] += 1
            if was_active:
                names = identity_selectors.person_names(person_ids=[mandate.principal_id])
                _tell(
                    mandate.proxy_id,
                    "mandate_ended",
                    {"other_name": names[mandate.principal_id], "reason": "death"},
                    now,
                )
        # Offers and requests left unanswered past their end date end too, freeing the pair.
        for mandate in Mandate.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status__in=OPEN_STATUSES, ends_on__lt=today
        ):
            was_active = mandate.status == MandateStatus.ACTIVE
            mandate.expire()
            mandate.ended_at = now
            mandate.save()
            counts["expired"] += 1
            if not was_active:
                continue
            names = identity_selectors.person_names(person_ids=[mandate.principal_id, mandate.proxy_id])
            _tell(
                mandate.proxy_id, "mandate_ended", {"other_name": names[mandate.principal_id], "reason": "expired"}, now
            )
            _tell(
                mandate.principal_id, "mandate_ended", {"other_name": names[mandate.proxy_id], "reason": "expired"}, now
            )
        # The 7-day reminder first, stamping both: a mandate never gets two reminders in a night.
        for days, earliest, stamps in (
            (7, 0, ("reminded_7_days_at", "reminded_30_days_at")),
            (30, 8, ("reminded_30_days_at",)),
        ):
            due = Mandate.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                status=MandateStatus.ACTIVE,
                ends_on__gte=today + datetime.timedelta(days=earliest),
                ends_on__lte=today + datetime.timedelta(days=days),
                **{f"{stamps[0]}__isnull": True},
            )
            for mandate in due:
                names = identity_selectors.person_names(person_ids=[mandate.principal_id, mandate.proxy_id])
                for person_id, other_id in (
                    (mandate.principal_id, mandate.proxy_id),
                    (mandate.proxy_id, mandate.principal_id),
                ):
                    _tell(
                        person_id,
                        "mandate_ending",
                        {
                            "other_name": names[other_id],
                            "ends_on": mandate.ends_on.isoformat(),
                            "days": (mandate.ends_on - today).days,
                        },
                        now,
                    )
                Mandate.objects.filter(pk=mandate.pk).update(**dict.fromkeys(stamps, now))
                counts["reminded"] += 1
    return counts


# --- Enterprises and their bureaus -----------------------------------------------------------


def enterprise_mandate_grant(
    *,
    actor: Actor,
    enterprise_id: int,
    bureau_enterprise_number: str,
    scopes: list[str],
    starts_on: datetime.date,
    now: datetime.datetime,
) -> int:
    """An enterprise administrator (second factor) mandates a payroll bureau or accounting firm."""
    if actor.user_id is None or enterprise_id not in actor.enterprise_ids:
        raise NotFound
    if (
        identity_selectors.enterprise_role(user_id=actor.user_id, enterprise_id=enterprise_id)
        != EnterpriseRole.ADMINISTRATOR
    ):
        raise MandateError("not_administrator", _("Only an administrator of the enterprise can give this mandate."))
    if not actor.has_level(LevelOfAssurance.SUBSTANTIAL):
        raise MandateError("level_too_low", _NEEDS_SUBSTANTIAL)
    chosen = [scope for scope in EnterpriseScope.values if scope in set(scopes)]
    if not chosen or len(chosen) != len(set(scopes)):
        raise MandateError("scopes", _("Choose at least one thing the bureau may do."))
    if starts_on < timezone.localdate(now):
        raise MandateError("starts_in_past", _("The mandate cannot start in the past."))
    if starts_on > timezone.localdate(now) + _MOST_AHEAD:
        raise MandateError("starts_too_far", _STARTS_TOO_FAR)
    try:
        bureau = identity_selectors.enterprise_by_number(enterprise_number=bureau_enterprise_number)
    except NotFound:
        raise MandateError("bureau_unknown", _("No enterprise has this number.")) from None
    if bureau.id == enterprise_id:
        raise MandateError("oneself", _("An enterprise cannot mandate itself."))
    try:
        with transaction.atomic():
            mandate = EnterpriseMandate.objects.create(
                principal_id=enterprise_id,
                bureau_id=bureau.id,
                scopes=chosen,
                starts_on=starts_on,
                created_at=now,
                created_by_id=actor.user_id,
            )
    except IntegrityError:
        raise MandateError("already_open", _("This bureau already has a mandate from the enterprise.")) from None
    return mandate.pk


def enterprise_mandate_revoke(
    *, actor: Actor, enterprise_mandate_id: int, now: datetime.datetime, principal_enterprise_id: int | None = None
) -> None:
    """An administrator of the enterprise, or of the bureau, ends the mandate at once. A page
    speaking for one enterprise names it: a mandate that enterprise did not give is not found."""
    if actor.user_id is None:
        raise NotFound
    with transaction.atomic():
        mandate = (
            EnterpriseMandate.objects.select_for_update()
            .filter(pk=enterprise_mandate_id, revoked_at__isnull=True)
            .first()
        )
        if mandate is None or not ({mandate.principal_id, mandate.bureau_id} & actor.enterprise_ids):
            raise NotFound
        if principal_enterprise_id is not None and mandate.principal_id != principal_enterprise_id:
            raise NotFound
        side = mandate.principal_id if mandate.principal_id in actor.enterprise_ids else mandate.bureau_id
        if (
            identity_selectors.enterprise_role(user_id=actor.user_id, enterprise_id=side)
            != EnterpriseRole.ADMINISTRATOR
        ):
            raise MandateError("not_administrator", _("Only an administrator can end this mandate."))
        EnterpriseMandate.objects.filter(pk=mandate.pk).update(revoked_at=now, revoked_by_id=actor.user_id)
