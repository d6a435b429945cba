"""Reads of user accounts: facts, security, contacts and staff permissions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from allauth.mfa.models import Authenticator
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

from core.db import any_of, prepared_cursor
from identity.models import Representation, User
from identity.types import (
    EnterpriseRole,
)


@dataclass(frozen=True)
class AccountFacts:
    """What the request's actor context needs to know about the logged-in account."""

    person_id: int | None
    enterprise_roles: dict[int, str]
    has_mfa: bool

    @property
    def is_enterprise_administrator(self) -> bool:
        return EnterpriseRole.ADMINISTRATOR in self.enterprise_roles.values()


# The facts are read with the account itself when a session loads it (``signed_in_user``), or
# on their own.
_ACCOUNT_FACTS_COLUMNS = """EXISTS (SELECT 1 FROM mfa_authenticator a WHERE a.user_id = u.id),
       (SELECT json_agg(json_build_array(r.enterprise_id, r.role) ORDER BY r.id)
          FROM identity_representation r WHERE r.user_id = u.id AND r.revoked_at IS NULL)"""


_ACCOUNT_FACTS_SQL = f"SELECT u.person_id, {_ACCOUNT_FACTS_COLUMNS} FROM identity_user u WHERE u.id = %s"  # noqa: S608 — constants


_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]


_USER_COLUMNS = ", ".join(f'u."{field.column}"' for field in User._meta.concrete_fields)


_SIGNED_IN_USER_SQL = f"SELECT {_USER_COLUMNS}, {_ACCOUNT_FACTS_COLUMNS} FROM identity_user u WHERE u.id = %s"  # noqa: S608 — constants


# Where a user loaded by ``signed_in_user`` keeps its facts, as the ORM keeps an annotation.
_FACTS_ATTRIBUTE = "_account_facts"


def _account_facts_from(person_id: int | None, has_mfa: bool, roles: list[Any] | None) -> AccountFacts:
    return AccountFacts(
        person_id=person_id,
        enterprise_roles={int(enterprise_id): role for enterprise_id, role in roles or []},
        has_mfa=bool(has_mfa),
    )


def account_facts(*, user_id: int) -> AccountFacts:
    """One small indexed query (hence SQL: the ORM took ten times as long to build the query as
    the database to answer it)."""
    with prepared_cursor() as cursor:
        cursor.execute(_ACCOUNT_FACTS_SQL, [user_id])
        row = cursor.fetchone()
    if row is None:
        return AccountFacts(person_id=None, enterprise_roles={}, has_mfa=False)
    return _account_facts_from(*row)


def account_facts_of(*, user: Any) -> AccountFacts:
    """What the request's actor context needs about the signed-in ``user``: read with the
    account when the session loaded it (``signed_in_user``), else one query."""
    facts = getattr(user, _FACTS_ATTRIBUTE, None)
    return facts if isinstance(facts, AccountFacts) else account_facts(user_id=user.pk)


def signed_in_user(*, user_id: int) -> User | None:
    """For identity's authentication backend: the account a session names, with its
    ``account_facts_of``, in one prepared query — it runs on every signed-in request, where the
    ORM took three times as long as the raw row (None: no such account)."""
    with prepared_cursor() as cursor:
        cursor.execute(_SIGNED_IN_USER_SQL, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    *values, has_mfa, roles = row
    user = User.from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, values)
    setattr(user, _FACTS_ATTRIBUTE, _account_facts_from(user.person_id, has_mfa, roles))
    return user


@dataclass(frozen=True)
class AccountSecurity:
    has_mfa: bool
    session_count: int


def account_security(*, user_id: int) -> AccountSecurity:
    from allauth.usersessions.models import UserSession

    return AccountSecurity(
        has_mfa=Authenticator.objects.filter(user_id=user_id, type=Authenticator.Type.TOTP).exists(),
        session_count=UserSession.objects.filter(user_id=user_id).count(),
    )


@dataclass(frozen=True)
class Contact:
    """How to reach an account: for the notifications app, which never reads identity's models."""

    user_id: int
    email: str
    language: str
    full_name: str
    is_active: bool


def contact_map(*, user_ids: list[int]) -> dict[int, Contact]:
    """One query for a batch of accounts."""
    rows = User.objects.filter(pk__in=user_ids).values_list(
        "pk", "email", "preferred_language", "first_name", "last_name", "is_active"
    )
    return {
        pk: Contact(
            user_id=pk,
            email=email,
            language=language,
            full_name=f"{first} {last}".strip(),
            is_active=active,
        )
        for pk, email, language, first, last, active in rows
    }


def user_ids_for_person(*, person_id: int) -> list[int]:
    return list(User.objects.filter(person_id=person_id, is_active=True).values_list("pk", flat=True))


def user_ids_for_persons(*, person_ids: list[int]) -> dict[int, list[int]]:
    """The active accounts of several persons, in one query (a person without one is absent)."""
    result: dict[int, list[int]] = {}
    for person_id, user_id in (
        User.objects.filter(person_id__in=any_of(person_ids), is_active=True)
        .values_list("person_id", "pk")
        .order_by("person_id", "pk")
    ):
        result.setdefault(person_id, []).append(user_id)
    return result


def user_ids_for_enterprise(*, enterprise_id: int, roles: tuple[str, ...] | None = None) -> list[int]:
    query = Representation.objects.filter(enterprise_id=enterprise_id, revoked_at__isnull=True, user__is_active=True)
    if roles is not None:
        query = query.filter(role__in=roles)
    return list(query.values_list("user_id", flat=True).distinct())


def user_ids_for_enterprises(
    *, enterprise_ids: list[int], roles: tuple[str, ...] | None = None
) -> dict[int, list[int]]:
    """The active representatives of several enterprises (optionally only some roles), in one query."""
    query = Representation.objects.filter(
        enterprise_id__in=enterprise_ids, revoked_at__isnull=True, user__is_active=True
    )
    if roles is not None:
        query = query.filter(role__in=roles)
    result: dict[int, list[int]] = {}
    for enterprise_id, user_id in (
        query.values_list("enterprise_id", "user_id").distinct().order_by("enterprise_id", "user_id")
    ):
        result.setdefault(enterprise_id, []).append(user_id)
    return result


def user_ids_in_staff_group(*, group_name: str) -> list[int]:
    return list(
        User.objects.filter(groups__name=group_name, is_staff=True, is_active=True).values_list("pk", flat=True)
    )


def active_user_id_chunks(*, chunk_size: int = 5000) -> Iterator[list[int]]:
    """Every active account, by keyset pages: memory stays flat whatever the number of users."""
    last_id = 0
    while True:
        chunk = list(
            User.objects.filter(is_active=True, pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:chunk_size]
        )
        if not chunk:
            return
        yield chunk
        last_id = chunk[-1]


def account_for_change(*, user_id: int) -> User:
    """The account itself, for allauth's flows that act on it (the verified change of its
    address): identity's views only."""
    return User.objects.get(pk=user_id)


def staff_with_permission(*, permission: str) -> list[Contact]:
    """The active staff accounts holding a Django permission ("app_label.codename") through
    their groups, themselves or as superusers, by name (one query)."""
    app_label, codename = permission.split(".", 1)
    in_groups = User.groups.through.objects.filter(
        group__permissions__content_type__app_label=app_label, group__permissions__codename=codename
    ).values("user_id")
    in_person = User.user_permissions.through.objects.filter(
        permission__content_type__app_label=app_label, permission__codename=codename
    ).values("user_id")
    holders = User.objects.filter(is_active=True, is_staff=True).filter(
        Q(is_superuser=True) | Q(pk__in=in_groups) | Q(pk__in=in_person)
    )
    rows = holders.order_by("last_name", "first_name", "email").values_list(
        "pk", "email", "preferred_language", "first_name", "last_name", "is_active"
    )
    return [
        Contact(user_id=pk, email=email, language=language, full_name=f"{first} {last}".strip(), is_active=active)
        for pk, email, language, first, last, active in rows
    ]


def staff_has_permission(*, user_id: int, permission: str) -> bool:
    """Whether an active staff account holds a Django permission ("app_label.codename"),
    through its groups or as a superuser."""
    user = User.objects.filter(pk=user_id, is_active=True, is_staff=True).first()
    return user is not None and user.has_perm(permission)
