"""Reads of the identity app: persons, enterprises, who represents them, and family links.

Other apps read identity only through these functions; they return frozen dataclasses.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from allauth.mfa.models import Authenticator
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower

from core.actor import Actor
from core.db import prepared_cursor
from core.errors import NotFound
from identity import policies
from identity.country_profiles import country_profile
from identity.models import ApiKey, BankAccount, Enterprise, FamilyLink, Person, Representation, User
from identity.types import (
    ApiKeyRow,
    BankAccountSummary,
    Child,
    EnterpriseRole,
    EnterpriseSummary,
    FamilyLinkKind,
    FamilySummary,
    Marriage,
    PersonSummary,
    RepresentationSummary,
    RepresentativeRow,
    Spouse,
)


def _person_summary(person: Person) -> PersonSummary:
    return PersonSummary(
        id=person.pk,
        national_number=person.national_number,
        national_number_display=country_profile().person_number.format(person.national_number),
        first_name=person.first_name,
        last_name=person.last_name,
        birth_date=person.birth_date,
        death_date=person.death_date,
        address=person.address,
        country=person.country,
        preferred_language=person.preferred_language,
    )


def _enterprise_summary(enterprise: Enterprise) -> EnterpriseSummary:
    return EnterpriseSummary(
        id=enterprise.pk,
        enterprise_number=enterprise.enterprise_number,
        enterprise_number_display=country_profile().enterprise_number.format(enterprise.enterprise_number),
        name=enterprise.name,
        address=enterprise.address,
    )


def person_get(*, person_id: int) -> PersonSummary:
    try:
        return _person_summary(Person.objects.get(pk=person_id))
    except Person.DoesNotExist:
        raise NotFound from None


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


def representation_list_for_user(*, user_id: int) -> list[RepresentationSummary]:
    labels = dict(EnterpriseRole.choices)
    return [
        RepresentationSummary(
            id=representation.pk,
            enterprise=_enterprise_summary(representation.enterprise),
            role=representation.role,
            role_label=str(labels[representation.role]),
        )
        for representation in Representation.objects.filter(user_id=user_id, revoked_at__isnull=True)
        .select_related("enterprise")
        .order_by("enterprise__name")
    ]


def enterprise_get_for_actor(*, actor: Actor, enterprise_id: int) -> EnterpriseSummary:
    """Fail closed: an enterprise the actor does not represent is not found."""
    if not policies.can_view_representatives(actor=actor, enterprise_id=enterprise_id):
        raise NotFound
    try:
        return _enterprise_summary(Enterprise.objects.get(pk=enterprise_id))
    except Enterprise.DoesNotExist:
        raise NotFound from None


def representative_list(*, actor: Actor, enterprise_id: int) -> list[RepresentativeRow]:
    if not policies.can_view_representatives(actor=actor, enterprise_id=enterprise_id):
        raise NotFound
    labels = dict(EnterpriseRole.choices)
    rows = (
        Representation.objects.filter(enterprise_id=enterprise_id, revoked_at__isnull=True)
        .annotate(has_mfa=Exists(Authenticator.objects.filter(user_id=OuterRef("user_id"))))
        .values_list(
            "pk", "user_id", "user__email", "user__first_name", "user__last_name", "role", "granted_at", "has_mfa"
        )
        .order_by("user__last_name", "user__email")
    )
    return [
        RepresentativeRow(
            id=pk,
            user_id=user_id,
            email=email,
            full_name=f"{first} {last}".strip(),
            role=role,
            role_label=str(labels[role]),
            granted_at=granted_at,
            has_mfa=has_mfa,
        )
        for pk, user_id, email, first, last, role, granted_at, has_mfa in rows
    ]


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


def enterprise_name(*, enterprise_id: int) -> str:
    return Enterprise.objects.filter(pk=enterprise_id).values_list("name", flat=True).first() or ""


def _name_key(value: str) -> str:
    """Names compared as people type them: case, accents, spaces and hyphens ignored."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def person_match(*, national_number: str, last_name: str) -> PersonSummary:
    """The person with this national number, if the last name matches the registry's; else
    NotFound (the same answer whichever part is wrong, so numbers cannot be probed)."""
    from identity.types import InvalidIdentifier

    try:
        compact = country_profile().person_number.validate(national_number)
    except InvalidIdentifier:
        raise NotFound from None
    person = Person.objects.filter(national_number=compact).first()
    if person is None or _name_key(person.last_name) != _name_key(last_name):
        raise NotFound
    return _person_summary(person)


def account_for_change(*, user_id: int) -> User:
    """The account itself, for allauth's flows that act on it (the verified change of its
    address): identity's views only."""
    return User.objects.get(pk=user_id)


def persons_of_sign_in_addresses(*, addresses: list[str]) -> dict[str, int]:
    """The person linked to the account of each sign-in address (as typed: any case), in one
    query; addresses of no account, or of an account linked to nobody, are absent."""
    if not addresses:
        return {}
    by_lower: dict[str, list[str]] = {}
    for address in addresses:
        by_lower.setdefault(address.lower(), []).append(address)
    rows = (
        User.objects.annotate(address=Lower("email"))
        .filter(address__in=list(by_lower), person_id__isnull=False)
        .values_list("address", "person_id")
    )
    return {typed: person_id for address, person_id in rows for typed in by_lower[address]}


def person_names(*, person_ids: list[int]) -> dict[int, str]:
    return {
        pk: f"{first} {last}"
        for pk, first, last in Person.objects.filter(pk__in=person_ids).values_list("pk", "first_name", "last_name")
    }


def enterprise_by_number(*, enterprise_number: str) -> EnterpriseSummary:
    from identity.types import InvalidIdentifier

    try:
        compact = country_profile().enterprise_number.validate(enterprise_number)
    except InvalidIdentifier:
        raise NotFound from None
    enterprise = Enterprise.objects.filter(enterprise_number=compact).first()
    if enterprise is None:
        raise NotFound
    return _enterprise_summary(enterprise)


def enterprise_roles(*, user_id: int, enterprise_ids: list[int]) -> dict[int, str]:
    """The user's roles in many enterprises (those they hold one in), in one prepared query (it
    decides, on every page of an enterprise, whether the user may see it)."""
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT enterprise_id, role FROM identity_representation"
            " WHERE user_id = %s AND enterprise_id = ANY(%s::bigint[]) AND revoked_at IS NULL",
            [user_id, list(enterprise_ids)],
        )
        return dict(cursor.fetchall())


def enterprise_role(*, user_id: int, enterprise_id: int) -> str | None:
    return (
        Representation.objects.filter(user_id=user_id, enterprise_id=enterprise_id, revoked_at__isnull=True)
        .values_list("role", flat=True)
        .first()
    )


def person_file_get(*, actor: Actor, person_id: int, now: datetime.datetime) -> PersonSummary | None:
    """The identity part of the open file, if the actor may view it (None otherwise). A read
    by anyone but the person is written in their trail, with the mandate or counter reason."""
    from core.audit import file_view_record
    from core.types import Scope

    if actor.subject_person_id != person_id or not actor.may(Scope.VIEW_FILE):
        return None
    summary = person_get(person_id=person_id)
    file_view_record(actor=actor, subject_person_id=person_id, what="dashboard", now=now)
    return summary


def bank_account_get(*, actor: Actor, person_id: int, now: datetime.datetime) -> BankAccountSummary | None:
    """The current bank account of the open file (the person, or a proxy with "view my file").
    A read by anyone but the person is written in their trail."""
    from stdnum import iban as iban_module

    from core.audit import access_record
    from core.types import AccessPurpose, Scope

    if actor.subject_person_id != person_id or not actor.may(Scope.VIEW_FILE):
        raise NotFound
    row = (
        BankAccount.objects.filter(person_id=person_id, ended_at__isnull=True)
        .values_list("iban", "holder_name", "created_at")
        .first()
    )
    access_record(actor=actor, subject_person_id=person_id, purpose=AccessPurpose.BANK_ACCOUNT_VIEW, now=now)
    if row is None:
        return None
    return BankAccountSummary(iban_display=iban_module.format(row[0]), holder_name=row[1], since=row[2])


def person_by_national_number(*, national_number: str) -> PersonSummary:
    """The registry's person (InvalidIdentifier when the number is malformed, NotFound when
    no one has it)."""
    compact = country_profile().person_number.validate(national_number)
    person = Person.objects.filter(national_number=compact).first()
    if person is None:
        raise NotFound
    return _person_summary(person)


def enterprise_names(*, enterprise_ids: list[int]) -> dict[int, str]:
    """One prepared query (every page of an enterprise names it)."""
    with prepared_cursor() as cursor:
        cursor.execute("SELECT id, name FROM identity_enterprise WHERE id = ANY(%s::bigint[])", [list(enterprise_ids)])
        return dict(cursor.fetchall())


class RegistryEntry(NamedTuple):  # a tuple: a bulk file's chunk reads tens of thousands at once
    person_id: int
    death_date: datetime.date | None


def persons_by_national_numbers(*, compact_numbers: Collection[str]) -> dict[str, RegistryEntry]:
    """The registry's entries for many (already validated, compact) numbers, in one query: a
    bulk file asks for tens of thousands at a time. The numbers travel as one text (cheaper to
    send than a list parameter; a compact number is alphanumeric, so anything else cannot be in
    the registry) and each is looked up by the unique index — the ``LIMIT 1`` keeps the planner
    from a merge join that would read the index from its start."""
    wanted = [number for number in compact_numbers if number.isalnum()]
    if not wanted:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.number, p.id, p.death_date FROM unnest(string_to_array(%s, ',')) AS n(number)"
            " CROSS JOIN LATERAL (SELECT id, death_date FROM identity_person"
            " WHERE national_number = n.number LIMIT 1) AS p",
            [",".join(wanted)],
        )
        return {number: RegistryEntry(pk, death_date) for number, pk, death_date in cursor.fetchall()}


def person_national_numbers(*, person_ids: list[int]) -> dict[int, str]:
    return dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "national_number"))


def api_key_list(*, actor: Actor, enterprise_id: int) -> list[ApiKeyRow]:
    """The enterprise's API keys, revoked ones included, newest first (representatives only)."""
    if not policies.can_view_representatives(actor=actor, enterprise_id=enterprise_id):
        raise NotFound
    rows = (
        ApiKey.objects.filter(enterprise_id=enterprise_id)
        .values_list("pk", "name", "prefix", "scopes", "created_at", "created_by__email", "last_used_at", "revoked_at")
        .order_by("-created_at", "-pk")
    )
    return [
        ApiKeyRow(
            id=pk,
            name=name,
            prefix=prefix,
            scopes=tuple(scopes),
            created_at=created_at,
            created_by=created_by,
            last_used_at=last_used_at,
            revoked_at=revoked_at,
        )
        for pk, name, prefix, scopes, created_at, created_by, last_used_at, revoked_at in rows
    ]


def enterprise_summaries(*, enterprise_ids: list[int]) -> list[EnterpriseSummary]:
    """Enterprises by id, ordered by name, in one query."""
    return [_enterprise_summary(e) for e in Enterprise.objects.filter(pk__in=enterprise_ids).order_by("name", "pk")]


def enterprise_ids_by_numbers(*, enterprise_numbers: list[str]) -> dict[str, int]:
    """The ids of the enterprises with these (compact) numbers, in one query; unknown numbers
    are left out."""
    return dict(
        Enterprise.objects.filter(enterprise_number__in=enterprise_numbers).values_list("enterprise_number", "pk")
    )


def api_key_creator(*, api_key_id: int) -> int | None:
    """The user who created an API key (told of what the software sent with it)."""
    return ApiKey.objects.filter(pk=api_key_id).values_list("created_by_id", flat=True).first()


def staff_has_permission(*, user_id: int, permission: str) -> bool:
    """Whether an active staff account holds a Django permission ("app_label.codename"),
    through its groups or as a superuser."""
    user = User.objects.filter(pk=user_id, is_active=True, is_staff=True).first()
    return user is not None and user.has_perm(permission)


def _in_force_on(on: datetime.date) -> Q:
    # A link ends the day of the divorce or the death: ``ended_on`` itself is no longer in force.
    return Q(started_on__lte=on) & (Q(ended_on__isnull=True) | Q(ended_on__gt=on))


def family_on(*, person_ids: list[int], on: datetime.date) -> dict[int, FamilySummary]:
    """Each person's family on ``on``: the spouse or registered partner in force that day, and
    the children linked to them by then (born or adopted on or before ``on``), oldest first.

    Two queries whatever the number of persons (benefits evaluate whole populations)."""
    spouses: dict[int, Spouse] = {}
    spouse_links = FamilyLink.objects.filter(
        _in_force_on(on),
        Q(person_id__in=person_ids) | Q(relative_id__in=person_ids),
        kind__in=FamilyLinkKind.spouse_kinds(),
    ).values_list("person_id", "relative_id", "started_on", "kind")
    for first, second, started_on, kind in spouse_links:
        spouses[first] = Spouse(person_id=second, since=started_on, kind=kind)
        spouses[second] = Spouse(person_id=first, since=started_on, kind=kind)
    children: dict[int, list[Child]] = {}
    child_links = (
        FamilyLink.objects.filter(person_id__in=person_ids, kind=FamilyLinkKind.PARENT_CHILD, started_on__lte=on)
        .order_by("person_id", "relative__birth_date", "relative_id")
        .values_list("person_id", "relative_id", "relative__birth_date", "started_on")
    )
    for parent, child, birth_date, started_on in child_links:
        children.setdefault(parent, []).append(Child(person_id=child, birth_date=birth_date, since=started_on))
    return {
        person_id: FamilySummary(
            person_id=person_id, on=on, spouse=spouses.get(person_id), children=tuple(children.get(person_id, ()))
        )
        for person_id in dict.fromkeys(person_ids)
    }


def marriage_of(*, person_id: int, on: datetime.date) -> Marriage | None:
    """The person's marriage or registered partnership in force on ``on`` or that ended that day
    (a death ends the marriage on its date: the survivor's pension asks on the date of death)."""
    link = (
        FamilyLink.objects.filter(
            Q(person_id=person_id) | Q(relative_id=person_id),
            Q(ended_on__isnull=True) | Q(ended_on__gte=on),
            kind__in=FamilyLinkKind.spouse_kinds(),
            started_on__lte=on,
        )
        # The one still in force first, then the one that ended that day.
        .order_by(F("ended_on").desc(nulls_first=True))
        .first()
    )
    if link is None:
        return None
    return Marriage(
        id=link.pk,
        kind=link.kind,
        person_id=person_id,
        spouse_id=link.relative_id if link.person_id == person_id else link.person_id,
        started_on=link.started_on,
        ended_on=link.ended_on,
    )


def person_summaries(*, person_ids: Collection[int]) -> dict[int, PersonSummary]:
    """The persons of ``person_ids`` that exist, by id, in one query."""
    return {person.pk: _person_summary(person) for person in Person.objects.filter(pk__in=list(person_ids))}


def marriages_of(*, person_id: int) -> list[Marriage]:
    """Every marriage or registered partnership of the person, the newest first (ended ones too:
    a survivor's pension reads the marriage the spouse's death ended)."""
    links = FamilyLink.objects.filter(
        Q(person_id=person_id) | Q(relative_id=person_id), kind__in=FamilyLinkKind.spouse_kinds()
    ).order_by("-started_on", "-pk")
    return [
        Marriage(
            id=link.pk,
            kind=link.kind,
            person_id=person_id,
            spouse_id=link.relative_id if link.person_id == person_id else link.person_id,
            started_on=link.started_on,
            ended_on=link.ended_on,
        )
        for link in links
    ]
