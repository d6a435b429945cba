"""Writes of the identity app: activation codes, linking accounts, enterprise roles, API keys,
and the civil registry's life events (births, deaths, marriages, addresses: ``identity.registry``),
one at a time or in batches of any size.

Each function owns its transaction, checks its policy and takes ``now`` from the caller.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from stdnum import iban as iban_module
from stdnum.exceptions import ValidationError

from core.actor import ActingMode, Actor, LevelOfAssurance
from core.audit import access_record
from core.errors import NotFound
from core.types import AccessPurpose, Scope
from identity import policies, signals
from identity.country_profiles import country_profile
from identity.models import ActivationCode, ApiKey, BankAccount, Enterprise, Person, Representation, User
from identity.registry import registry_address_change as registry_address_change
from identity.registry import registry_birth_record as registry_birth_record
from identity.registry import registry_death_record as registry_death_record
from identity.registry import registry_marriage_record as registry_marriage_record
from identity.registry_batches import registry_address_changes as registry_address_changes
from identity.registry_batches import registry_births_record as registry_births_record
from identity.registry_batches import registry_deaths_record as registry_deaths_record
from identity.registry_batches import registry_marriages_record as registry_marriages_record
from identity.selectors import person_get
from identity.types import (
    ActivationRefused,
    ApiCredential,
    ApiKeyScope,
    BankAccountRefused,
    EnterpriseRole,
    IdentityError,
    Language,
    PersonSummary,
    RoleRefused,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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
    compact_number = country_profile().person_number.validate(national_number)
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
            # Counted for staff to see, never voided: a stranger who knows a national number must
            # not be able to cancel that person's letter. Guessing is bounded per account below,
            # and a 12-character code from 31 symbols (about 10^18 values) cannot be enumerated.
            if open_code is not None:
                ActivationCode.objects.filter(pk=open_code.pk).update(failed_attempts=F("failed_attempts") + 1)
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
                with transaction.atomic():
                    user.save(update_fields=["person"])
            except IntegrityError:
                raise ActivationRefused(
                    "person_already_linked",
                    _("This person is already linked to another account. Please contact us."),
                ) from None
            signals.account_linked.send(sender=User, user_id=user.pk, person_id=open_code.person_id, now=now)
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


_NOT_ADMINISTRATOR = _(
    "Only an administrator of the enterprise, signed in with two-factor authentication, can manage roles."
)


def _lock_enterprise_as_administrator(
    *, actor: Actor, enterprise_id: int, refusal: StrOrPromise = _NOT_ADMINISTRATOR
) -> None:
    """Inside the caller's transaction: lock the enterprise (serialising every role change of
    it, so that double submits and crossed demotions cannot race) and check the actor's role."""
    if actor.user_id is None or not policies.can_view_representatives(actor=actor, enterprise_id=enterprise_id):
        raise NotFound
    if Enterprise.objects.select_for_update().filter(pk=enterprise_id).values_list("pk", flat=True).first() is None:
        raise NotFound
    role = (
        Representation.objects.filter(user_id=actor.user_id, enterprise_id=enterprise_id, revoked_at__isnull=True)
        .values_list("role", flat=True)
        .first()
    )
    if not policies.can_manage_representatives(actor=actor, actor_role=role):
        raise RoleRefused("not_administrator", refusal)


def _lock_enterprise_as_staff(*, actor: Actor, enterprise_id: int) -> None:
    if not (actor.is_staff and actor.has_level(LevelOfAssurance.SUBSTANTIAL)):
        raise NotFound
    if Enterprise.objects.select_for_update().filter(pk=enterprise_id).values_list("pk", flat=True).first() is None:
        raise NotFound


def _ensure_another_administrator(*, enterprise_id: int, excluding_id: int) -> None:
    others = Representation.objects.filter(
        enterprise_id=enterprise_id, role=EnterpriseRole.ADMINISTRATOR, revoked_at__isnull=True
    ).exclude(pk=excluding_id)
    if not others.exists():
        raise RoleRefused(
            "last_administrator",
            _("The enterprise must keep at least one administrator. Appoint another one first."),
        )


def _grant(*, enterprise_id: int, target: User, role: str, granted_by_id: int | None, now: datetime.datetime) -> int:
    if role not in EnterpriseRole.values:
        raise RoleRefused("unknown_role", _("Choose a role from the list."))
    current = Representation.objects.filter(user=target, enterprise_id=enterprise_id, revoked_at__isnull=True).first()
    if current is not None:
        if current.role == role:
            return current.pk
        if current.role == EnterpriseRole.ADMINISTRATOR:
            _ensure_another_administrator(enterprise_id=enterprise_id, excluding_id=current.pk)
        Representation.objects.filter(pk=current.pk).update(revoked_at=now, revoked_by_id=granted_by_id)
    created = Representation.objects.create(
        user=target, enterprise_id=enterprise_id, role=role, granted_at=now, granted_by_id=granted_by_id
    )
    signals.representation_granted.send(
        sender=Representation,
        user_id=target.pk,
        enterprise_id=enterprise_id,
        role=role,
        granted_by_id=granted_by_id,
        now=now,
    )
    return created.pk


def _revoke(*, enterprise_id: int, representation_id: int, revoked_by_id: int | None, now: datetime.datetime) -> None:
    representation = Representation.objects.filter(
        pk=representation_id, enterprise_id=enterprise_id, revoked_at__isnull=True
    ).first()
    if representation is None:
        raise NotFound
    if representation.role == EnterpriseRole.ADMINISTRATOR:
        _ensure_another_administrator(enterprise_id=enterprise_id, excluding_id=representation.pk)
    Representation.objects.filter(pk=representation.pk).update(revoked_at=now, revoked_by_id=revoked_by_id)
    signals.representation_revoked.send(
        sender=Representation,
        user_id=representation.user_id,
        enterprise_id=enterprise_id,
        role=representation.role,
        revoked_by_id=revoked_by_id,
        now=now,
    )


def representation_grant(*, actor: Actor, enterprise_id: int, email: str, role: str, now: datetime.datetime) -> int:
    """An enterprise administrator gives an existing, verified account a role (or changes it)."""
    with transaction.atomic():
        _lock_enterprise_as_administrator(actor=actor, enterprise_id=enterprise_id)
        target = User.objects.filter(email__iexact=email.strip(), is_active=True, emailaddress__verified=True).first()
        if target is None:
            raise RoleRefused(
                "unknown_account",
                _("No verified account uses this e-mail address. Ask the person to create an account first."),
            )
        return _grant(enterprise_id=enterprise_id, target=target, role=role, granted_by_id=actor.user_id, now=now)


def representation_revoke(*, actor: Actor, enterprise_id: int, representation_id: int, now: datetime.datetime) -> None:
    with transaction.atomic():
        _lock_enterprise_as_administrator(actor=actor, enterprise_id=enterprise_id)
        _revoke(enterprise_id=enterprise_id, representation_id=representation_id, revoked_by_id=actor.user_id, now=now)


def representation_grant_by_staff(
    *, actor: Actor, enterprise_id: int, user_id: int, role: str, now: datetime.datetime
) -> int:
    """Staff (in the back office, with a second factor) appoint a representative, e.g. the first
    administrator of a newly registered enterprise. The same rules hold as for administrators."""
    with transaction.atomic():
        _lock_enterprise_as_staff(actor=actor, enterprise_id=enterprise_id)
        target = User.objects.filter(pk=user_id, is_active=True).first()
        if target is None:
            raise NotFound
        # Staff appoint others, never themselves nor a colleague: a staff account acting for an
        # enterprise would be a way into its account that nobody outside granted.
        if target.pk == actor.user_id or target.is_staff:
            raise RoleRefused("staff_target", _("A staff account cannot be given a role in an enterprise."))
        return _grant(enterprise_id=enterprise_id, target=target, role=role, granted_by_id=actor.user_id, now=now)


def representation_revoke_by_staff(
    *, actor: Actor, enterprise_id: int, representation_id: int, now: datetime.datetime
) -> None:
    with transaction.atomic():
        _lock_enterprise_as_staff(actor=actor, enterprise_id=enterprise_id)
        _revoke(enterprise_id=enterprise_id, representation_id=representation_id, revoked_by_id=actor.user_id, now=now)


def sign_in_address_change_ask(*, actor: Actor, new_address: str, now: datetime.datetime) -> int:
    """Staff at the counter, with the person present, ask to change the address the person signs
    in with. Nothing changes yet: the caller sends a link to the new address (allauth's verified
    flow), and the change happens when the person opens it; the old address and the inbox are
    told then. The request is in the person's trail, with the counter's reason. Returns the
    account's id. Staff never set an address directly."""
    if actor.mode != ActingMode.ASSISTED or actor.subject_person_id is None:
        raise NotFound
    account = User.objects.filter(person_id=actor.subject_person_id, is_active=True).first()
    if account is None:
        raise IdentityError("no_account", _("This person has no account to sign in with."))
    address = new_address.strip().lower()
    if address == account.email.lower():
        raise IdentityError("address_same", _("This is already the address the person signs in with."))
    if User.objects.filter(email__iexact=address).exclude(pk=account.pk).exists():
        raise IdentityError("address_taken", _("Another account signs in with this address."))
    access_record(
        actor=actor,
        subject_person_id=actor.subject_person_id,
        purpose=AccessPurpose.COUNTER_SIGN_IN_ADDRESS,
        now=now,
        detail=actor.assisted_reason,
    )
    return account.pk


def sign_in_address_changed(*, user_id: int, old_address: str, new_address: str, now: datetime.datetime) -> None:
    """The account's sign-in address was changed (the new one verified): tell who must know."""
    person_id = User.objects.filter(pk=user_id).values_list("person_id", flat=True).first()
    signals.sign_in_address_changed.send(
        sender=User,
        user_id=user_id,
        person_id=person_id,
        old_address=old_address,
        new_address=new_address,
        now=now,
    )


def account_email_send(*, address: str, subject: str, text: str, html: str, now: datetime.datetime) -> None:
    """Hand an e-mail of the sign-in library (rendered in the request's language) to the outbox,
    in the caller's transaction: it is sent by a worker after commit, never in the request. It
    may carry a secret link (a password reset's): it is neither logged nor shown."""
    user_id = User.objects.filter(email__iexact=address.strip()).values_list("pk", flat=True).first()
    answers = signals.account_email_prepared.send(
        sender=User, address=address, user_id=user_id, subject=subject, text=text, html=html, now=now
    )
    if not any(answer for _receiver, answer in answers):
        # Without the notifications app's receiver the message would be lost without a word.
        raise ImproperlyConfigured("No receiver of identity.signals.account_email_prepared stored the e-mail.")


def sign_in_lock_tell(*, address: str, now: datetime.datetime) -> bool:
    """Sign-in to the account of ``address`` was stopped from one client address after repeated
    wrong passwords: its owner is told (once per lock-out period, however many attempts the
    locked address keeps making). Returns whether they were told; an address of no account
    tells nobody."""
    user_id = User.objects.filter(email__iexact=address.strip(), is_active=True).values_list("pk", flat=True).first()
    if user_id is None:
        return False
    key = f"identity:sign-in-lock-told:{user_id}"
    # cache.add is atomic: of two locked attempts at the same moment, one tells. Without the
    # cache, add answers True (core/redis_cache.py): the owner is rather told twice than not at all.
    first = cache.add(key, now.isoformat(), timeout=int(settings.AXES_COOLOFF_TIME * 3600))
    if not first:
        return False
    signals.sign_in_locked.send(sender=User, user_id=user_id, now=now)
    return True


def user_language_set(*, user_id: int, language: str) -> None:
    if language in Language.values:
        User.objects.filter(pk=user_id).exclude(preferred_language=language).update(preferred_language=language)


def bank_account_set(*, actor: Actor, person_id: int, iban: str, holder_name: str, now: datetime.datetime) -> None:
    """Change where a person is paid: the person themself, or a proxy whose mandate allows it,
    always with a second factor. The person is told (a legal notice), whoever made the change."""
    if actor.user_id is None or actor.subject_person_id != person_id or not actor.may(Scope.MANAGE_PAYMENT_DETAILS):
        raise NotFound
    if not actor.has_level(LevelOfAssurance.SUBSTANTIAL):
        raise BankAccountRefused(
            "level_too_low", _("Sign in with your second factor (two-factor authentication) to change a bank account.")
        )
    try:
        compact = iban_module.validate(iban)
    except ValidationError:
        raise BankAccountRefused(
            "iban_invalid", _("This IBAN is not valid: check it on your bank statement.")
        ) from None
    holder = " ".join(holder_name.split())
    if not holder:
        raise BankAccountRefused("holder_required", _("Enter the name of the account holder."))
    with transaction.atomic():
        Person.objects.select_for_update().get(pk=person_id)
        BankAccount.objects.filter(person_id=person_id, ended_at__isnull=True).update(ended_at=now)
        BankAccount.objects.create(
            person_id=person_id,
            iban=compact,
            holder_name=holder,
            created_at=now,
            created_by_id=actor.user_id,
            mandate_id=actor.mandate_id if actor.acts_for_someone_else else None,
        )
        access_record(actor=actor, subject_person_id=person_id, purpose=AccessPurpose.BANK_ACCOUNT_CHANGE, now=now)
        signals.bank_account_changed.send(
            sender=BankAccount, person_id=person_id, actor_user_id=actor.user_id, mandate_id=actor.mandate_id, now=now
        )


# API keys: "gch_" and 12 hexadecimal characters (the prefix, public), a dot, 43 URL-safe
# characters of secret (256 bits).
API_KEY_PREFIX = "gch_"
_API_KEY_USE_RECORDED_EVERY = datetime.timedelta(minutes=1)
_API_KEY_FORMAT = re.compile(r"^gch_[0-9a-f]{12}\.[A-Za-z0-9_-]{20,64}$")


def _api_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(
    *, actor: Actor, enterprise_id: int, name: str, scopes: list[str], now: datetime.datetime
) -> tuple[int, str]:
    """An enterprise administrator (with a second factor) creates a key for payroll software.
    Returns (id, key): the key is not stored and cannot be shown again."""
    chosen = sorted(set(scopes))
    if not chosen or any(scope not in ApiKeyScope.values for scope in chosen):
        raise RoleRefused("api_key_scopes", _("Choose what the key may do."))
    if not name.strip():
        raise RoleRefused("api_key_name", _("Give the key a name, for example the payroll software it is for."))
    with transaction.atomic():
        _lock_enterprise_as_administrator(
            actor=actor,
            enterprise_id=enterprise_id,
            refusal=_(
                "Only an administrator of the enterprise, signed in with two-factor authentication, can manage API keys."
            ),
        )
        assert actor.user_id is not None  # the lock above refused anonymous actors
        prefix = API_KEY_PREFIX + secrets.token_hex(6)
        key = f"{prefix}.{secrets.token_urlsafe(32)}"
        created = ApiKey.objects.create(
            enterprise_id=enterprise_id,
            name=name.strip()[:100],
            prefix=prefix,
            digest=_api_key_digest(key),
            scopes=chosen,
            created_at=now,
            created_by_id=actor.user_id,
        )
    return created.pk, key


def api_key_revoke(*, actor: Actor, enterprise_id: int, api_key_id: int, now: datetime.datetime) -> None:
    """Revoking takes effect on the next request; revoking twice changes nothing."""
    with transaction.atomic():
        _lock_enterprise_as_administrator(
            actor=actor,
            enterprise_id=enterprise_id,
            refusal=_(
                "Only an administrator of the enterprise, signed in with two-factor authentication, can manage API keys."
            ),
        )
        if not ApiKey.objects.filter(pk=api_key_id, enterprise_id=enterprise_id).exists():
            raise NotFound
        ApiKey.objects.filter(pk=api_key_id, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by_id=actor.user_id
        )


def api_key_authenticate(*, key: str, now: datetime.datetime) -> ApiCredential | None:
    """The credential of a presented key, or None (unknown, malformed or revoked). Records when
    the key was last used, at most once a minute."""
    if not _API_KEY_FORMAT.match(key):
        return None
    prefix = key.split(".", 1)[0]
    row = (
        ApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True)
        .values_list("pk", "enterprise_id", "scopes", "digest", "last_used_at")
        .first()
    )
    if row is None:
        return None
    pk, enterprise_id, scopes, digest, last_used_at = row
    if not hmac.compare_digest(digest, _api_key_digest(key)):
        return None
    if last_used_at is None or now - last_used_at > _API_KEY_USE_RECORDED_EVERY:
        ApiKey.objects.filter(pk=pk).update(last_used_at=now)
    return ApiCredential(api_key_id=pk, enterprise_id=enterprise_id, scopes=frozenset(scopes))
