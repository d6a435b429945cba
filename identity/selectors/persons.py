"""Reads of the person registry: summaries, matching, files and bank accounts."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from typing import Any, NamedTuple

from django.db import connection
from django.db.models.functions import Lower

from core.actor import Actor
from core.db import any_of, any_text_of
from core.errors import NotFound
from identity.country_profiles import country_profile
from identity.models import BankAccount, Person, User
from identity.types import (
    BankAccountOnFile,
    BankAccountSummary,
    InvalidIdentifier,
    PersonSummary,
)

_SUMMARY_FIELDS = (
    "pk",
    "national_number",
    "first_name",
    "last_name",
    "birth_date",
    "death_date",
    "street",
    "postal_code",
    "city",
    "country",
    "preferred_language",
)


def _person_summary(person: Person) -> PersonSummary:
    return _summary_of(tuple(getattr(person, field) for field in _SUMMARY_FIELDS))


def _summary_of(row: tuple[Any, ...]) -> PersonSummary:
    """A person's summary from their ``_SUMMARY_FIELDS``."""
    pk, national_number, first, last, born, died, street, postal_code, city, country, language = row
    return PersonSummary(
        id=pk,
        national_number=national_number,
        national_number_display=country_profile().person_number.format(national_number),
        first_name=first,
        last_name=last,
        birth_date=born,
        death_date=died,
        address=Person.address_of(street=street, postal_code=postal_code, city=city, country=country),
        country=country,
        preferred_language=language,
    )


def person_get(*, person_id: int) -> PersonSummary:
    try:
        return _person_summary(Person.objects.get(pk=person_id))
    except Person.DoesNotExist:
        raise NotFound from None


def _name_key(value: str) -> str:
    """Names compared as people type them: case, accents, spaces and hyphens ignored."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def person_match(*, national_number: str, last_name: str) -> PersonSummary:
    """The person with this national number, if the last name matches the registry's; else
    NotFound (the same answer whichever part is wrong, so numbers cannot be probed)."""
    try:
        compact = country_profile().person_number.validate(national_number)
    except InvalidIdentifier:
        raise NotFound from None
    person = Person.objects.filter(national_number=compact).first()
    if person is None or _name_key(person.last_name) != _name_key(last_name):
        raise NotFound
    return _person_summary(person)


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
        for pk, first, last in Person.objects.filter(pk__in=any_of(person_ids)).values_list(
            "pk", "first_name", "last_name"
        )
    }


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


def bank_account_on_file(*, person_id: int) -> BankAccountOnFile | None:
    """Where the person is paid, for a service that records it on what it pays (a benefit claim):
    the caller shows it masked to anyone but the person."""
    row = (
        BankAccount.objects.filter(person_id=person_id, ended_at__isnull=True)
        .values_list("iban", "holder_name")
        .first()
    )
    return None if row is None else BankAccountOnFile(iban=row[0], holder_name=row[1])


def persons_with_bank_account(*, person_ids: Collection[int]) -> set[int]:
    """Which of these persons have an account on file (one query whatever their number)."""
    return set(
        BankAccount.objects.filter(person_id__in=any_of(person_ids), ended_at__isnull=True).values_list(
            "person_id", flat=True
        )
    )


def current_bank_accounts_sql() -> str:
    """For set-based work over a population (the monthly payment run): a relation, to join in
    SQL, of every person's account in force — ``person_id``, ``iban`` (compact), ``holder_name``
    and ``since`` (when it was recorded). Identity keeps its tables to itself; this is the one
    shape it promises."""
    table = BankAccount._meta.db_table
    return f"SELECT person_id, iban, holder_name, created_at AS since FROM {table} WHERE ended_at IS NULL"  # noqa: S608


def person_by_national_number(*, national_number: str) -> PersonSummary:
    """The registry's person (InvalidIdentifier when the number is malformed, NotFound when
    no one has it)."""
    compact = country_profile().person_number.validate(national_number)
    person = Person.objects.filter(national_number=compact).first()
    if person is None:
        raise NotFound
    return _person_summary(person)


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


def person_ids_by_national_numbers(*, numbers: Collection[str]) -> dict[str, int]:
    """The person of each number as given (any notation the country profile reads: dots,
    spaces), in one query; numbers that are not valid, or of nobody, are absent."""
    validate = country_profile().person_number.validate
    compact_of: dict[str, str] = {}
    for number in numbers:
        try:
            compact_of[number] = validate(number)
        except InvalidIdentifier:
            continue
    if not compact_of:
        return {}
    ids = dict(
        Person.objects.filter(national_number__in=any_text_of(set(compact_of.values()))).values_list(
            "national_number", "pk"
        )
    )
    return {number: ids[compact] for number, compact in compact_of.items() if compact in ids}


def person_national_numbers(*, person_ids: list[int]) -> dict[int, str]:
    return dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "national_number"))


def person_summaries(*, person_ids: Collection[int]) -> dict[int, PersonSummary]:
    """The persons of ``person_ids`` that exist, by id, in one query (no model instance: the
    families of a batch of births hold tens of thousands of persons)."""
    rows = Person.objects.filter(pk__in=any_of(person_ids)).values_list(*_SUMMARY_FIELDS)
    return {summary.id: summary for summary in map(_summary_of, rows)}
