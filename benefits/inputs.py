"""The rules engine's inputs for a person and their family, read through identity's and
contributions' faces (never their models): civil status, family links and insured careers.

One family per question: the person, their spouse or partner (the one in force, else the one
whose death ended the last marriage) and their children (``identity.selectors.family_members``).
A handful of queries whatever the size of the family, or the number of families of a batch.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Collection, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

import numpy
from django.conf import settings

from benefits.rules import Population
from contributions.selectors import InsuredCareer, insured_careers
from core.periods import Period
from identity.selectors import family_members, person_summaries
from identity.types import PersonFacts, PersonSummary

NEVER = datetime.date(9999, 12, 31)
# A member's person: their summary (a claim's family, whose names its pages show). The families of
# a batch are columns (``families_in_columns``), not members.
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
    found = family_members(person_ids=[person_id], on=on)
    persons = person_summaries(person_ids=found.person_id)
    careers = insured_careers(person_ids=found.person_id, until=careers_until)
    members = tuple(
        Member(person=persons[member_id], role="child" if child else "parent", career=careers.get(member_id))
        for member_id, child in zip(found.person_id, found.child, strict=True)
        if member_id in persons
    )
    married_on = found.married_on[0] if found.person_id else None
    # The spouse comes second (``identity.selectors.family_members``), on the marriage's rows.
    return Family(members=members, marriage_started_on=married_on, spouse_index=None if married_on is None else 1)


class CareerColumns(NamedTuple):
    """An insured career as the engine reads it: the months insured and each year's wages."""

    months: int
    years: numpy.ndarray
    wages: numpy.ndarray


def _career_columns(career: InsuredCareer) -> CareerColumns:
    return CareerColumns(
        months=career.insured_months,
        years=numpy.fromiter((year for year, _wage in career.wages_by_year), dtype=numpy.int64),
        wages=numpy.fromiter((float(wage) for _year, wage in career.wages_by_year), dtype=numpy.float64),
    )


@dataclass(frozen=True)
class Families:
    """Many persons' families as the engine's columns, a member a row (``families_in_columns``):
    the members of ``family_of`` in the same order, each family's rows together. A batch of
    births reads tens of thousands of members: no object per member."""

    person_ids: tuple[int, ...]  # each family's person, in the order of the rows
    starts: numpy.ndarray  # each family's first row, and the number of rows last
    members: numpy.ndarray  # each row's person
    columns: dict[str, Any]  # the engine's columns, every row, but the wages
    role: numpy.ndarray
    insured_rows: numpy.ndarray  # the rows of the members with a career, and their careers
    insured: list[CareerColumns]

    @functools.cached_property
    def _position(self) -> dict[int, int]:
        return {person_id: index for index, person_id in enumerate(self.person_ids)}

    def __contains__(self, person_id: object) -> bool:
        return person_id in self._position

    def subject_index(self, person_id: int, subject_id: int | None) -> int:
        """The subject's row in the person's family, the person's own (0) without a subject or
        when the subject is not in it, as a claim's computation reads it."""
        if subject_id is None:
            return 0
        return self._places.get((self._position[person_id], subject_id), 0)

    @functools.cached_property
    def _places(self) -> dict[tuple[int, int], int]:
        """Each member's row in their family, by (family, person); the first when twice."""
        family = numpy.repeat(numpy.arange(len(self.person_ids)), numpy.diff(self.starts))
        place = numpy.arange(len(self.members)) - self.starts[family]
        pairs = zip(family.tolist(), self.members.tolist(), place.tolist(), strict=True)
        return {(family, member): place for family, member, place in reversed(list(pairs))}

    def population(self, person_ids: Sequence[int]) -> tuple[Population, list[int]]:
        """The families of ``person_ids`` as one population (family ``i`` numbered ``i``, as
        ``population_of_families`` makes it), with the row of each family's first member."""
        families = numpy.fromiter((self._position[person_id] for person_id in person_ids), dtype=numpy.int64)
        lengths = self.starts[families + 1] - self.starts[families]
        starts = numpy.zeros(len(families), dtype=numpy.int64)
        numpy.cumsum(lengths[:-1], out=starts[1:])
        rows = numpy.repeat(self.starts[families] - starts, lengths) + numpy.arange(int(lengths.sum()))
        columns: dict[str, Any] = {name: column[rows] for name, column in self.columns.items()}
        wages = _wages(rows, self.insured_rows, self.insured)
        if wages:
            columns["yearly_wage"] = wages
        population = Population(
            columns=columns, family=numpy.repeat(numpy.arange(len(families)), lengths), role=self.role[rows]
        )
        return population, starts.tolist()


def families_in_columns(
    *,
    person_ids: Sequence[int],
    on: datetime.date,
    careers_until: Period,
    careers_read: MutableMapping[int, CareerColumns | None] | None = None,
) -> Families:
    """The families of the persons on ``on`` (those in the registry), with the members' careers
    up to ``careers_until``, in the queries of one whatever their number. ``careers_read``: the
    careers a run of batches read already, by person (None: never insured); those read here are
    added to it."""
    found = family_members(person_ids=list(person_ids), on=on)
    members = numpy.array(found.person_id, dtype=numpy.int64)
    family = numpy.array(found.family, dtype=numpy.int64)
    firsts = numpy.flatnonzero(numpy.diff(family, prepend=-1))
    starts = numpy.append(firsts, len(members))
    careers = _read_once(
        dict.fromkeys(found.person_id),
        careers_read,
        lambda missing: {
            person_id: _career_columns(career)
            for person_id, career in insured_careers(person_ids=missing, until=careers_until).items()
        },
    )
    insured = [(row, careers[member_id]) for row, member_id in enumerate(found.person_id) if member_id in careers]
    country = settings.COUNTRY_PROFILE
    columns: dict[str, Any] = {
        "birth_date": _dates(found.birth_date),
        "death_date": _dates([death or NEVER for death in found.death_date]),
        "marriage_date": _dates([married or NEVER for married in found.married_on]),
        "insured_months": numpy.zeros(len(members), dtype=numpy.int64),
        "resident": numpy.array([member_country == country for member_country in found.country], dtype=bool),
    }
    insured_rows = numpy.fromiter((row for row, _career in insured), dtype=numpy.int64, count=len(insured))
    columns["insured_months"][insured_rows] = [career.months for _row, career in insured]
    return Families(
        person_ids=tuple(found.person_id[first] for first in firsts.tolist()),
        starts=starts,
        members=members,
        columns=columns,
        role=numpy.where(numpy.array(found.child, dtype=bool), "child", "parent"),
        insured_rows=insured_rows,
        insured=[career for _row, career in insured],
    )


def _wages(rows: numpy.ndarray, insured_rows: numpy.ndarray, insured: list[CareerColumns]) -> dict[str, numpy.ndarray]:
    """The yearly wages of the members at ``rows`` (of the frame whose members at
    ``insured_rows`` have the careers ``insured``), a column a year of their careers, as
    ``population_of_families`` gives them: built for the population, not kept for the frame."""
    place = numpy.full(int(rows.max()) + 1 if rows.size else 0, -1, dtype=numpy.int64)
    place[rows] = numpy.arange(len(rows))
    kept = numpy.flatnonzero(insured_rows < len(place))
    kept = kept[place[insured_rows[kept]] >= 0]
    if not kept.size:
        return {}
    careers = [insured[index] for index in kept.tolist()]
    years = numpy.concatenate([career.years for career in careers])
    columns_of_years = numpy.unique(years)
    matrix = numpy.zeros((len(rows), len(columns_of_years)), order="F")
    lengths = numpy.fromiter((len(career.years) for career in careers), dtype=numpy.int64, count=len(careers))
    matrix[numpy.repeat(place[insured_rows[kept]], lengths), numpy.searchsorted(columns_of_years, years)] = (
        numpy.concatenate([career.wages for career in careers])
    )
    return {str(year): matrix[:, index] for index, year in enumerate(columns_of_years.tolist())}


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
