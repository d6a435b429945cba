"""Writes of the identity app: activation codes, linking accounts, enterprise roles.

Each function owns its transaction, checks its policy and takes ``now`` from the caller.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from identity import policies
from identity.country_profiles import country_profile
from identity.models import ActivationCode, Person, Representation, User
from identity.selectors import NotFound, person_get
from identity.types import ActivationRefused, EnterpriseRole, InvalidIdentifier, Language, PersonSummary, RoleRefused
from portal.core.actor import Actor
from portal.core.audit import access_record
from portal.core.models import AccessPurpose

# Unambiguous characters: no 0/O, 1/I/L.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 12
_ACCOUNT_ATTEMPT_WINDOW_SECONDS = 3600


def _digest(code: str) -> str:
    normalized = code.replace("-", "").replace(" ", "").upper()
    return hmac.new(settings.SECRET_KEY.encode(), normalized.encode(), hashlib.sha256).hexdigest()


def _format_code(code: str) -> str:
    return "-".join(code[index : index + 4] for index in range(0, len(code), 4))


def activation_code_issue(*, actor: Actor, person_id: int, now: datetime.datetime) -> str:
    """Issue a new activation code for a person (staff only) and return it, once, in clear.

    Earlier open codes of the person are voided: only the newest letter works.
    """
    if not actor.is_staff or actor.user_id is None:
        raise NotFound
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person_id)
        ActivationCode.objects.filter(person=person, used_at__isnull=True, voided_at__isnull=True).update(voided_at=now)
        ActivationCode.objects.create(
            person=person,
            digest=_digest(code),
            created_at=now,
            created_by_id=actor.user_id,
            expires_at=now + datetime.timedelta(days=settings.ACTIVATION_CODE_VALIDITY_DAYS),
        )
        access_record(actor=actor, subject_person_id=person.pk, purpose=AccessPurpose.STAFF_ACTIVATION_CODE, now=now)
    return _format_code(code)


def _refuse() -> ActivationRefused:
    # One message for every failure, so the form does not reveal which national numbers exist.
    return ActivationRefused(
        "activation_refused",
        _("The national number or the activation code is not correct, or the code has expired."),
    )


def account_link_person(*, user_id: int, national_number: str, code: str, now: datetime.datetime) -> PersonSummary:
    """Link the account to the person of the registry, proved by a valid activation code."""
    attempts_key = f"activation-attempts:{user_id}"
    if (cache.get(attempts_key) or 0) >= settings.ACTIVATION_CODE_MAX_ATTEMPTS:
        raise ActivationRefused("too_many_attempts", _("Too many incorrect attempts. Please try again in an hour."))
    try:
        compact_number = country_profile().person_number.validate(national_number)
    except InvalidIdentifier:
        raise
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.person_id is not None:
            raise ActivationRefused("already_linked", _("Your account is already linked to a person."))
        open_code = (
            ActivationCode.objects.select_for_update()
            .filter(
                person__national_number=compact_number,
                used_at__isnull=True,
                voided_at__isnull=True,
                expires_at__gt=now,
            )
            .order_by("-created_at")
            .first()
        )
        matches = open_code is not None and hmac.compare_digest(open_code.digest, _digest(code))
        if not matches or open_code is None:
            if open_code is not None:
                ActivationCode.objects.filter(pk=open_code.pk).update(failed_attempts=F("failed_attempts") + 1)
                if open_code.failed_attempts + 1 >= settings.ACTIVATION_CODE_MAX_ATTEMPTS:
                    ActivationCode.objects.filter(pk=open_code.pk).update(voided_at=now)
            failed = None
        else:
            failed = False
            if User.objects.filter(person_id=open_code.person_id).exists():
                raise ActivationRefused(
                    "person_already_linked",
                    _("This person is already linked to another account. Please contact us."),
                )
            open_code.used_at = now
            open_code.used_by = user
            open_code.save(update_fields=["used_at", "used_by"])
            user.person_id = open_code.person_id
            try:
                user.save(update_fields=["person"])
            except IntegrityError:
                raise ActivationRefused(
                    "person_already_linked",
                    _("This person is already linked to another account. Please contact us."),
                ) from None
    if failed is None:
        cache.add(attempts_key, 0, _ACCOUNT_ATTEMPT_WINDOW_SECONDS)
        cache.incr(attempts_key)
        raise _refuse()
    cache.delete(attempts_key)
    assert user.person_id is not None
    return person_get(person_id=user.person_id)


def activation_codes_purge(*, now: datetime.datetime) -> int:
    """Delete codes that can no longer be used and were never used (kept 90 days for audit)."""
    horizon = now - datetime.timedelta(days=90)
    deleted, _unused = ActivationCode.objects.filter(used_at__isnull=True, expires_at__lt=horizon).delete()
    return deleted


def _actor_role(actor: Actor, enterprise_id: int) -> str | None:
    if actor.user_id is None:
        return None
    return (
        Representation.objects.filter(user_id=actor.user_id, enterprise_id=enterprise_id, revoked_at__isnull=True)
        .values_list("role", flat=True)
        .first()
    )


def representation_grant(
    *, actor: Actor, enterprise_id: int, email: str, role: str, now: datetime.datetime
) -> Representation:
    """Give an existing account a role for an enterprise (or change its role)."""
    if not policies.can_view_representatives(actor=actor, enterprise_id=enterprise_id):
        raise NotFound
    if not policies.can_manage_representatives(actor=actor, actor_role=_actor_role(actor, enterprise_id)):
        raise RoleRefused(
            "not_administrator",
            _("Only an administrator of the enterprise, signed in with two-factor authentication, can manage roles."),
        )
    if role not in EnterpriseRole.values:
        raise RoleRefused("unknown_role", _("Choose a role from the list."))
    with transaction.atomic():
        target = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if target is None:
            raise RoleRefused(
                "unknown_account",
                _("No account uses this e-mail address. Ask the person to create an account first."),
            )
        current = (
            Representation.objects.select_for_update()
            .filter(user=target, enterprise_id=enterprise_id, revoked_at__isnull=True)
            .first()
        )
        if current is not None:
            if current.role == role:
                return current
            if current.role == EnterpriseRole.ADMINISTRATOR:
                _ensure_another_administrator(enterprise_id=enterprise_id, excluding_id=current.pk)
            current.revoked_at = now
            current.revoked_by_id = actor.user_id
            current.save(update_fields=["revoked_at", "revoked_by"])
        return Representation.objects.create(
            user=target, enterprise_id=enterprise_id, role=role, granted_at=now, granted_by_id=actor.user_id
        )


def _ensure_another_administrator(*, enterprise_id: int, excluding_id: int) -> None:
    others = (
        Representation.objects.select_for_update()
        .filter(enterprise_id=enterprise_id, role=EnterpriseRole.ADMINISTRATOR, revoked_at__isnull=True)
        .exclude(pk=excluding_id)
    )
    if not others.exists():
        raise RoleRefused(
            "last_administrator",
            _("The enterprise must keep at least one administrator. Appoint another one first."),
        )


def representation_revoke(*, actor: Actor, enterprise_id: int, representation_id: int, now: datetime.datetime) -> None:
    if not policies.can_view_representatives(actor=actor, enterprise_id=enterprise_id):
        raise NotFound
    if not policies.can_manage_representatives(actor=actor, actor_role=_actor_role(actor, enterprise_id)):
        raise RoleRefused(
            "not_administrator",
            _("Only an administrator of the enterprise, signed in with two-factor authentication, can manage roles."),
        )
    with transaction.atomic():
        representation = (
            Representation.objects.select_for_update()
            .filter(pk=representation_id, enterprise_id=enterprise_id, revoked_at__isnull=True)
            .first()
        )
        if representation is None:
            raise NotFound
        if representation.role == EnterpriseRole.ADMINISTRATOR:
            _ensure_another_administrator(enterprise_id=enterprise_id, excluding_id=representation.pk)
        representation.revoked_at = now
        representation.revoked_by_id = actor.user_id
        representation.save(update_fields=["revoked_at", "revoked_by"])


def user_language_set(*, user_id: int, language: str) -> None:
    if language in Language.values:
        User.objects.filter(pk=user_id).exclude(preferred_language=language).update(preferred_language=language)
