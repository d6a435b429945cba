"""The rules engine's inputs for a person and their family, read through identity's and
contributions' faces (never their models): civil status, family links and insured careers.

One family per question: the person, their spouse or partner (the one in force, else the one
whose death ended the last marriage) and their children. A handful of queries whatever the size
of the family.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy
from django.conf import settings

from benefits.rules import Population
from contributions.selectors import InsuredCareer, insured_careers
from core.periods import Period
from identity.selectors import family_on, last_marriages_of, person_facts, person_summaries
from identity.types import PersonFacts, PersonSummary

NEVER = datetime.date(9999, 12, 31)
# A member's person: their summary (a claim's family, whose names its pages show), or only what
# the engine reads (the families of a batch).
PersonT = TypeVar("PersonT", bound=PersonFacts)
ValueT = TypeVar("ValueT")


@dataclass(frozen=True)
class Member(Generic[PersonT]):
    person: PersonT
    role: str  # "parent" or "child"
    career: InsuredCareer | None


@dataclass(frozen=True)
class Family(Generic[PersonT]):
    """The members in the engine's order (the person first) and the marriage of the parents."""

    members: tuple[Member[PersonT], ...]
    marriage_started_on: datetime.date | None
    spouse_index: int | None

    def index_of(self, person_id: int) -> int:
        return next(index for index, member in enumerate(self.members) if member.person.id == person_id)

    @property
    def children(self) -> list[tuple[int, Member[PersonT]]]:
        return [(index, member) for index, member in enumerate(self.members) if member.role == "child"]


def family_of(*, person_id: int, on: datetime.date, careers_until: Period) -> Family[PersonSummary]:
    """The person's family on ``on``, with each member's insured career up to ``careers_until``."""
    return _families(person_summaries, person_ids=[person_id], on=on, careers_until=careers_until)[person_id]


def families_of(
    *,
    person_ids: Sequence[int],
    on: datetime.date,
    careers_until: Period,
    careers_read: MutableMapping[int, InsuredCareer | None] | None = None,
    facts_read: MutableMapping[int, PersonFacts | None] | None = None,
) -> dict[int, Family[PersonFacts]]:
    """Each person's family, as ``family_of`` reads it but with only what the engine reads of
    each member, in the same handful of queries whatever the number of persons (the proposals
    of a batch of births). ``careers_read``: the careers (to ``careers_until``) a run of batches
    read already, by person (None: never insured); ``facts_read``: the members' facts it read
    already; those read here are added to them. (Who is in each family is read every time.)"""

    def read(*, person_ids: Collection[int]) -> Mapping[int, PersonFacts]:
        return _read_once(person_ids, facts_read, lambda missing: person_facts(person_ids=missing))

    return _families(read, person_ids=person_ids, on=on, careers_until=careers_until, careers_read=careers_read)


def _families(
    read: Callable[..., Mapping[int, PersonT]],
    *,
    person_ids: Sequence[int],
    on: datetime.date,
    careers_until: Period,
    careers_read: MutableMapping[int, InsuredCareer | None] | None = None,
) -> dict[int, Family[PersonT]]:
    """``read``: the persons' summaries or facts (``person_ids``: the members)."""
    today_families = family_on(person_ids=list(person_ids), on=on)
    lone = [person_id for person_id, family in today_families.items() if family.spouse is None]
    last_marriages = last_marriages_of(person_ids=lone) if lone else {}
    # The spouse of each person: in force, else (a widow or widower) the one of the last marriage
    # if the spouse's death ended it (checked below, once the spouses' deaths are read).
    spouses: dict[int, tuple[int, datetime.date, bool]] = {}
    for person_id, family in today_families.items():
        if family.spouse is not None:
            spouses[person_id] = (family.spouse.person_id, family.spouse.since, False)
            continue
        last = last_marriages.get(person_id)
        if last is not None and last.ended_on is not None and last.ended_on <= on:
            spouses[person_id] = (last.spouse_id, last.started_on, True)
    members_of = {
        person_id: [
            person_id,
            *([spouses[person_id][0]] if person_id in spouses else []),
            *(child.person_id for child in family.children),
        ]
        for person_id, family in today_families.items()
    }
    persons = read(person_ids={member for members in members_of.values() for member in members})
    careers = _careers(list(persons), careers_until, careers_read)
    families = {}
    for person_id, ids in members_of.items():
        spouse_id, marriage_started_on, widowed = spouses.get(person_id, (None, None, False))
        if widowed and spouse_id is not None:
            death = persons[spouse_id].death_date if spouse_id in persons else None
            if death is None or death > on:  # ended by a divorce: no spouse for the rules
                ids = [member for member in ids if member != spouse_id]
                spouse_id, marriage_started_on = None, None
        child_ids = {child.person_id for child in today_families[person_id].children}
        members = tuple(
            Member(
                person=persons[member_id],
                role="child" if member_id in child_ids else "parent",
                career=careers.get(member_id),
            )
            for member_id in ids
            if member_id in persons
        )
        spouse_index = next((index for index, member in enumerate(members) if member.person.id == spouse_id), None)
        families[person_id] = Family(
            members=members, marriage_started_on=marriage_started_on, spouse_index=spouse_index
        )
    return families


def _careers(
    person_ids: list[int], until: Period, known: MutableMapping[int, InsuredCareer | None] | None
) -> dict[int, InsuredCareer]:
    return _read_once(person_ids, known, lambda missing: insured_careers(person_ids=missing, until=until))


def _read_once(
    person_ids: Collection[int],
    known: MutableMapping[int, ValueT | None] | None,
    read: Callable[[list[int]], Mapping[int, ValueT]],
) -> dict[int, ValueT]:
    """``read`` of the persons (those it finds), through ``known``: what a run of batches read
    already, by person (None: read, nothing found), to which the persons read here are added."""
    if known is None:
        return dict(read(list(person_ids)))
    missing = [person_id for person_id in person_ids if person_id not in known]
    if missing:
        found = read(missing)
        known.update((person_id, found.get(person_id)) for person_id in missing)
    return {person_id: value for person_id in person_ids if (value := known[person_id]) is not None}


_EPOCH = datetime.date(1970, 1, 1).toordinal()


def _dates(values: list[datetime.date]) -> numpy.ndarray:
    """The dates as days (a population holds tens of thousands: their ordinals, not their text)."""
    days = numpy.fromiter((value.toordinal() for value in values), dtype=numpy.int64, count=len(values))
    return (days - _EPOCH).astype("datetime64[D]")


def population_of(family: Family[Any], month: Period, *, extra: Mapping[str, Any] | None = None) -> Population:
    """The family as the engine's population for ``month``: one family, the spouses as parents.
    ``extra`` adds or replaces columns (a disability's onset, a simulator's projected career)."""
    population, _starts = population_of_families([family], month)
    return Population(columns={**population.columns, **(extra or {})}, family=population.family, role=population.role)


def population_of_families(families: Sequence[Family[Any]], month: Period) -> tuple[Population, list[int]]:
    """Many families as one population of the engine (family ``i`` numbered ``i``), with the row
    of each family's first member: one simulation computes them all."""
    members = [member for family in families for member in family.members]
    starts, numbers, parent_rows, roles = [], [], [], []
    row = 0
    for number, family in enumerate(families):
        starts.append(row)
        parents = {0, family.spouse_index} - {None}
        for index, member in enumerate(family.members):
            numbers.append(number)
            roles.append(member.role)
            parent_rows.append(family.marriage_started_on if index in parents and family.marriage_started_on else NEVER)
        row += len(family.members)
    count = len(members)
    years = sorted({year for member in members if member.career for year, _ in member.career.wages_by_year})
    wages = {str(year): numpy.zeros(count) for year in years}
    for index, member in enumerate(members):
        if member.career:
            for year, wage in member.career.wages_by_year:
                wages[str(year)][index] = float(wage)
    country = settings.COUNTRY_PROFILE
    columns: dict[str, Any] = {
        "birth_date": _dates([member.person.birth_date for member in members]),
        "death_date": _dates([member.person.death_date or NEVER for member in members]),
        "marriage_date": _dates(parent_rows),
        "insured_months": numpy.array(
            [member.career.insured_months if member.career else 0 for member in members], dtype=numpy.int64
        ),
        "resident": numpy.array([member.person.country == country for member in members], dtype=bool),
    }
    if wages:
        columns["yearly_wage"] = wages
    population = Population(columns=columns, family=numpy.array(numbers, dtype=numpy.int64), role=numpy.array(roles))
    return population, starts
