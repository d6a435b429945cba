"""The civil registry's life events in batches (``registry_births_record``,
``registry_deaths_record``, ``registry_marriages_record``, ``registry_address_changes``): many
events in one transaction with, item by item, the outcome of the single function of
``identity.registry`` called for each in order. Other apps call them through
``identity.services``.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models.expressions import RawSQL
from django.utils import timezone

from core.db import any_of, date_array, int_array, text_array
from core.errors import NotFound
from identity.country_profiles import country_profile
from identity.models import Person
from identity.registry import (
    _ADDRESS_FIELDS,
    _address,
    _address_refusal,
    _parent_dates_plausible,
    registry_address_change,
    registry_birth_record,
    registry_death_record,
    registry_marriage_record,
)
from identity.types import (
    AddressChangeRecord,
    BirthRecord,
    FamilyLinkKind,
    IdentityError,
    InvalidIdentifier,
    MarriageRecord,
    RegistryChange,
    RegistryOutcome,
)

# --- Batches --------------------------------------------------------------------------------------
#
# A batch gives, item by item, what the single function gives when it is called for each item in
# input order: its RegistryChange, or the refusal it would raise (with nothing of that item
# written). The items that cannot depend on any other item of the batch (a new child; a first
# death; ...) are written together, in a few statements whatever their number (the fast path);
# every other one is then applied by the single function itself, in input order, in its own
# savepoint. An item goes to the fast path only when no earlier item left to the single function
# touches what it reads or writes, so that applying the fast path first changes no answer.
# Person ids handed out to new persons follow the fast path's order, not the input's.

_INHERITED_FIELDS = (*_ADDRESS_FIELDS, "preferred_language")

_BIRTH_DATE = 3  # the position of the one column of dates in _BIRTHS_INSERT's arrays
_BIRTHS_INSERT = """
INSERT INTO identity_person
    (national_number, first_name, last_name, birth_date, street, postal_code, city, country, preferred_language)
SELECT national_number, first_name, last_name, birth_date, street, postal_code, city, country, preferred_language
FROM unnest(
    %s::text[], %s::text[], %s::text[], %s::date[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[]
) WITH ORDINALITY AS born(
    national_number, first_name, last_name, birth_date, street, postal_code, city, country, preferred_language, position
)
ORDER BY position
ON CONFLICT (national_number) DO NOTHING
RETURNING id, national_number
"""

_LINKS_INSERT = """
INSERT INTO identity_familylink (kind, person_id, relative_id, started_on, ended_on)
SELECT kind, person_id, relative_id, started_on, ended_on
FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::date[], %s::date[])
    AS link(kind, person_id, relative_id, started_on, ended_on)
"""

# The links, and both their persons, locked as the single function locks them.
_SPOUSE_LINKS_LOCKED = """
SELECT link.id, link.kind, link.person_id, link.relative_id, link.started_on, link.ended_on,
    person.death_date, relative.death_date
FROM identity_familylink link
JOIN identity_person person ON person.id = link.person_id
JOIN identity_person relative ON relative.id = link.relative_id
WHERE link.kind = ANY(%s::text[]) AND (link.person_id = ANY(%s::bigint[]) OR link.relative_id = ANY(%s::bigint[]))
FOR UPDATE
"""

_DEATHS_UPDATE = """
UPDATE identity_person SET death_date = dying.death_date
FROM unnest(%s::bigint[], %s::date[]) AS dying(id, death_date)
WHERE identity_person.id = dying.id
"""

_LINK_ENDS_UPDATE = """
UPDATE identity_familylink SET ended_on = ending.ended_on
FROM unnest(%s::bigint[], %s::date[]) AS ending(id, ended_on)
WHERE identity_familylink.id = ending.id
"""

_ADDRESSES_UPDATE = """
UPDATE identity_person
SET street = moved.street, postal_code = moved.postal_code, city = moved.city, country = moved.country
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
    AS moved(id, street, postal_code, city, country)
WHERE identity_person.id = moved.id
"""


class _SpouseLink(NamedTuple):
    id: int
    kind: str
    person_id: int
    relative_id: int
    started_on: datetime.date
    ended_on: datetime.date | None
    person_death_date: datetime.date | None
    relative_death_date: datetime.date | None


def _locked_persons(ids: Iterable[int], *fields: str) -> dict[int, tuple[Any, ...]]:
    """The persons of ``ids`` that exist, by id, locked in id order (as registry_marriage_record
    locks its two: two batches never wait on each other in a cycle)."""
    rows = Person.objects.select_for_update().filter(pk__in=any_of(ids)).order_by("pk").values_list("pk", *fields)
    return {row[0]: row[1:] for row in rows}


def _parents(ids: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    # Read as registry_birth_record reads them: without a lock.
    rows = Person.objects.filter(pk__in=any_of(ids)).values_list("pk", "birth_date", "death_date", *_INHERITED_FIELDS)
    return {row[0]: row[1:] for row in rows}


def _links_insert(links: list[tuple[str, int, int, datetime.date, datetime.date | None]]) -> None:
    """Insert family links — (kind, person id, relative id, started on, ended on) — in one statement."""
    if not links:
        return
    with connection.cursor() as cursor, _foreign_keys_checked_at_once(cursor):
        kinds, persons, relatives, starts, ends = zip(*links, strict=True)
        cursor.execute(
            _LINKS_INSERT,
            [text_array(kinds), int_array(persons), int_array(relatives), date_array(starts), date_array(ends)],
        )


@contextmanager
def _foreign_keys_checked_at_once(cursor: CursorWrapper) -> Iterator[None]:
    """Foreign keys checked at the end of each statement inside, not deferred to the commit.

    PostgreSQL walks its whole queue of deferred checks again after the statement each row's
    history trigger runs, which makes a large write to identity_familylink quadratic (40,000
    links inserted: 23 s, against 1.7 s checked at once). Every deferrable constraint of the
    schema is a foreign key Django made initially deferred, so ``ALL DEFERRED`` puts the
    transaction back as it was; after an error, the rollback (of the transaction or of the
    caller's savepoint) does."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _overlap(
    first: tuple[datetime.date, datetime.date | None], second: tuple[datetime.date, datetime.date | None]
) -> bool:
    """Whether two periods from their start until the day before their end (None: open) meet."""
    (first_start, first_end), (second_start, second_end) = first, second
    return (first_end is None or second_start < first_end) and (second_end is None or first_start < second_end)


def _one_by_one(
    outcomes: dict[int, RegistryOutcome], count: int, apply: Callable[[int], RegistryChange]
) -> list[RegistryOutcome]:
    """The outcomes of the ``count`` items: those the fast path gave, and the others applied by
    ``apply`` (the single function) in input order, each in its own savepoint."""
    for index in range(count):
        if index in outcomes:
            continue
        try:
            with transaction.atomic():
                outcomes[index] = apply(index)
        except (IdentityError, NotFound) as refusal:
            outcomes[index] = refusal
    return [outcomes[index] for index in range(count)]


def registry_births_record(*, births: Sequence[BirthRecord], now: datetime.datetime) -> list[RegistryOutcome]:
    """Register many births at once, in one transaction: item by item, what
    ``registry_birth_record`` gives for it called for each item in order.

    The birth of a new child — its number valid, new to the registry and once in the batch, its
    parents registered and plausible, its date not in the future — is written with the others in
    two statements (the children, their parent links). Every other item, and a child registered
    meanwhile by another transaction, is applied by ``registry_birth_record`` after them."""
    validate = country_profile().person_number.validate
    today = timezone.localdate(now)
    numbers: list[str | None] = []
    for birth in births:
        try:
            numbers.append(validate(birth.national_number))
        except InvalidIdentifier:
            numbers.append(None)  # refused by the single function
    times_given = Counter(number for number in numbers if number is not None)
    # With no parent given, the model's defaults, as Person.objects.create gives them.
    newborn_defaults = tuple(getattr(Person(), field) for field in _INHERITED_FIELDS)
    outcomes: dict[int, RegistryOutcome] = {}
    with transaction.atomic():
        parents = _parents({parent_id for birth in births for parent_id in birth.parent_ids})
        registered = set(
            Person.objects.filter(
                national_number__in=RawSQL("SELECT unnest(%s::text[])", [list(times_given)])
            ).values_list("national_number", flat=True)
        )
        new: dict[int, tuple[str, list[int]]] = {}
        columns: list[list[Any]] = [[] for _ in range(4 + len(_INHERITED_FIELDS))]
        for index, (birth, number) in enumerate(zip(births, numbers, strict=True)):
            parent_ids = list(dict.fromkeys(birth.parent_ids))
            if (
                number is None
                or times_given[number] > 1
                or number in registered
                or birth.birth_date > today
                or not all(
                    parent_id in parents
                    and _parent_dates_plausible(*parents[parent_id][:2], birth_date=birth.birth_date)
                    for parent_id in parent_ids
                )
            ):
                continue
            new[index] = (number, parent_ids)
            inherited = parents[parent_ids[0]][2:] if parent_ids else newborn_defaults
            row = (number, birth.first_name.strip(), birth.last_name.strip(), birth.birth_date, *inherited)
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        if new:
            with connection.cursor() as cursor:
                cursor.execute(
                    _BIRTHS_INSERT,
                    [
                        date_array(column) if position == _BIRTH_DATE else text_array(column)
                        for position, column in enumerate(columns)
                    ],
                )
                # A number missing here was registered meanwhile: the single function adds its links.
                child_ids = {number: pk for pk, number in cursor.fetchall()}
            _links_insert(
                [
                    (FamilyLinkKind.PARENT_CHILD.value, parent_id, child_ids[number], births[index].birth_date, None)
                    for index, (number, parent_ids) in new.items()
                    if number in child_ids
                    for parent_id in parent_ids
                ]
            )
            for index, (number, _parent_ids) in new.items():
                if number in child_ids:
                    outcomes[index] = RegistryChange(person_id=child_ids[number], changed=True)
        return _one_by_one(
            outcomes,
            len(births),
            lambda index: registry_birth_record(
                national_number=births[index].national_number,
                first_name=births[index].first_name,
                last_name=births[index].last_name,
                birth_date=births[index].birth_date,
                parent_ids=births[index].parent_ids,
                now=now,
            ),
        )


def registry_deaths_record(
    *, deaths: Sequence[tuple[int, datetime.date]], now: datetime.datetime
) -> list[RegistryOutcome]:
    """Record many deaths — (person id, date of death) — at once, in one transaction: item by
    item, what ``registry_death_record`` gives for it called for each item in order.

    The first death recorded for a person named once in the batch — born on or before it, not in
    the future, married to nobody from that date on, and none of whose spouses is named by an
    earlier item left to the single function — is written with the others in two statements
    (the deaths, the ends of their marriages). Every other item is applied by
    ``registry_death_record`` after them."""
    today = timezone.localdate(now)
    outcomes: dict[int, RegistryOutcome] = {}
    with transaction.atomic():
        persons = _locked_persons({person_id for person_id, _day in deaths}, "birth_date", "death_date")
        with connection.cursor() as cursor:
            cursor.execute(_SPOUSE_LINKS_LOCKED, [FamilyLinkKind.spouse_kinds(), list(persons), list(persons)])
            links = [_SpouseLink(*row) for row in cursor.fetchall()]
        links_of: dict[int, list[_SpouseLink]] = defaultdict(list)
        for link in links:
            links_of[link.person_id].append(link)
            links_of[link.relative_id].append(link)
        dying: dict[int, datetime.date] = {}
        seen: set[int] = set()
        left: set[int] = set()  # the persons of the items left to the single function so far
        for index, (person_id, death_date) in enumerate(deaths):
            person = persons.get(person_id)
            own_links = links_of[person_id]
            if (
                person_id not in seen
                and person is not None
                and person[1] is None
                and person[0] <= death_date <= today
                and all(link.started_on < death_date for link in own_links)
                and not any(link.person_id in left or link.relative_id in left for link in own_links)
            ):
                dying[person_id] = death_date
                outcomes[index] = RegistryChange(person_id=person_id, changed=True)
            else:
                left.add(person_id)
            seen.add(person_id)
        ends: list[tuple[int, datetime.date]] = []
        for link in links:
            if link.person_id not in dying and link.relative_id not in dying:
                continue
            # What registry_death_record computes for a first death, for one or both spouses.
            candidates = (
                link.ended_on,
                dying.get(link.person_id, link.person_death_date),
                dying.get(link.relative_id, link.relative_death_date),
            )
            end = min(day for day in candidates if day is not None)
            if end != link.ended_on:
                ends.append((link.id, end))
        if dying:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(_DEATHS_UPDATE, [list(dying), list(dying.values())])
                    if ends:
                        # A link inserted earlier in the transaction has its foreign keys checked again.
                        with _foreign_keys_checked_at_once(cursor):
                            cursor.execute(_LINK_ENDS_UPDATE, [[pk for pk, _end in ends], [end for _pk, end in ends]])
            except IntegrityError:
                # A link the registry holds against its own rules: each item meets it on its own.
                outcomes.clear()
        return _one_by_one(
            outcomes,
            len(deaths),
            lambda index: registry_death_record(person_id=deaths[index][0], death_date=deaths[index][1], now=now),
        )


def registry_marriages_record(*, marriages: Sequence[MarriageRecord], now: datetime.datetime) -> list[RegistryOutcome]:
    """Record many marriages and registered partnerships at once, in one transaction: item by
    item, what ``registry_marriage_record`` gives for it called for each item in order.

    A marriage between two registered persons, both alive on its date (not in the future), of a
    pair named once in the batch, that overlaps no marriage of either spouse (registered, or
    earlier in the batch) and involves nobody named by an earlier item left to the single
    function, is written with the others in one statement; the same marriage already registered
    answers unchanged. Every other item is applied by ``registry_marriage_record`` after them.
    A kind that is not a marriage or a partnership raises ``ValueError`` before anything is
    written."""
    for marriage in marriages:
        if marriage.kind not in FamilyLinkKind.spouse_kinds():
            raise ValueError(f"not a kind of marriage or partnership: {marriage.kind!r}")
    today = timezone.localdate(now)
    outcomes: dict[int, RegistryOutcome] = {}
    with transaction.atomic():
        persons = _locked_persons(
            {person_id for marriage in marriages for person_id in marriage.person_ids}, "death_date"
        )
        with connection.cursor() as cursor:
            cursor.execute(_SPOUSE_LINKS_LOCKED, [FamilyLinkKind.spouse_kinds(), list(persons), list(persons)])
            links = [_SpouseLink(*row) for row in cursor.fetchall()]
        periods_of: dict[int, list[tuple[datetime.date, datetime.date | None]]] = defaultdict(list)
        registered: set[tuple[frozenset[int], str, datetime.date]] = set()
        for link in links:
            periods_of[link.person_id].append((link.started_on, link.ended_on))
            periods_of[link.relative_id].append((link.started_on, link.ended_on))
            registered.add((frozenset((link.person_id, link.relative_id)), link.kind, link.started_on))
        new: list[tuple[int, MarriageRecord, datetime.date | None]] = []
        pairs: set[frozenset[int]] = set()
        left: set[int] = set()
        for index, marriage in enumerate(marriages):
            pair = frozenset(marriage.person_ids)
            alone = (
                len(pair) == 2
                and pair <= persons.keys()
                and marriage.married_on <= today
                and pair not in pairs
                and not left & pair
            )
            pairs.add(pair)
            if not alone:
                left |= pair
                continue
            if (pair, marriage.kind, marriage.married_on) in registered:
                outcomes[index] = RegistryChange(person_id=marriage.person_ids[0], changed=False)
                continue
            deaths = [persons[person_id][0] for person_id in pair if persons[person_id][0] is not None]
            period = (marriage.married_on, min(deaths, default=None))
            if all(death_date > marriage.married_on for death_date in deaths) and not any(
                _overlap(period, other) for person_id in pair for other in periods_of[person_id]
            ):
                new.append((index, marriage, period[1]))
                for person_id in pair:
                    periods_of[person_id].append(period)
            else:
                left |= pair
        if new:
            try:
                with transaction.atomic():
                    _links_insert(
                        [
                            (marriage.kind, *marriage.person_ids, marriage.married_on, ended_on)
                            for _index, marriage, ended_on in new
                        ]
                    )
            except IntegrityError:
                pass  # a link the registry holds against its own rules: each item meets it on its own
            else:
                for index, marriage, _end in new:
                    outcomes[index] = RegistryChange(person_id=marriage.person_ids[0], changed=True)
        return _one_by_one(
            outcomes,
            len(marriages),
            lambda index: registry_marriage_record(
                person_ids=marriages[index].person_ids,
                married_on=marriages[index].married_on,
                kind=marriages[index].kind,
                now=now,
            ),
        )


def registry_address_changes(
    *, changes: Sequence[AddressChangeRecord], now: datetime.datetime
) -> list[RegistryOutcome]:
    """Record many changes of address at once, in one transaction: item by item, what
    ``registry_address_change`` gives for it called for each item in order.

    The first change of a registered person in the batch, to an address the registry can hold,
    is written with the others in one statement (or answers unchanged); every other item is
    applied by ``registry_address_change`` after them."""
    outcomes: dict[int, RegistryOutcome] = {}
    with transaction.atomic():
        persons = _locked_persons({change.person_id for change in changes}, *_ADDRESS_FIELDS)
        moves: dict[int, tuple[str, ...]] = {}
        seen: set[int] = set()
        for index, change in enumerate(changes):
            address = _address(
                street=change.street, postal_code=change.postal_code, city=change.city, country=change.country
            )
            current = persons.get(change.person_id)
            if change.person_id not in seen and current is not None and _address_refusal(address) is None:
                new = tuple(address[field] for field in _ADDRESS_FIELDS)
                if new != current:
                    moves[change.person_id] = new
                outcomes[index] = RegistryChange(person_id=change.person_id, changed=new != current)
            seen.add(change.person_id)
        if moves:
            streets, postal_codes, cities, countries = (list(column) for column in zip(*moves.values(), strict=True))
            with connection.cursor() as cursor:
                cursor.execute(_ADDRESSES_UPDATE, [list(moves), streets, postal_codes, cities, countries])
        return _one_by_one(
            outcomes,
            len(changes),
            lambda index: registry_address_change(
                person_id=changes[index].person_id,
                street=changes[index].street,
                postal_code=changes[index].postal_code,
                city=changes[index].city,
                country=changes[index].country,
                now=now,
            ),
        )
