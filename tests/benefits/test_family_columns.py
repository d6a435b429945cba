"""The families of a batch read as the engine's columns (``inputs.families_in_columns``) are the
families of a claim (``inputs.family_of``), member for member: the spouse in force, the widowed
spouse whose death ended the marriage, no divorced spouse, no spouse not married yet, the
children linked by the day (oldest first), the facts and the careers."""

import datetime

import numpy
import pytest

from benefits.inputs import families_in_columns, family_of, population_of, population_of_families
from core.periods import Period
from identity.models import FamilyLink
from identity.types import FamilyLinkKind
from tests.benefits.career_helpers import career
from tests.identity.factories import PersonFactory

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 3, 15)
UNTIL = Period(2026, 2)


def _link(kind, person, relative, started_on, ended_on=None):
    FamilyLink.objects.create(kind=kind, person=person, relative=relative, started_on=started_on, ended_on=ended_on)


def _married(first, second, started_on, ended_on=None):
    _link(FamilyLinkKind.MARRIAGE, first, second, started_on, ended_on)


def _child(parent, birth_date, **fields):
    child = PersonFactory(birth_date=birth_date, **fields)
    _link(FamilyLinkKind.PARENT_CHILD, parent, child, birth_date)
    return child


def _registry():
    """Persons in every situation a family can be in on ``ON``."""
    d = datetime.date
    wed, husband = PersonFactory(birth_date=d(1985, 4, 1)), PersonFactory(birth_date=d(1983, 9, 9))
    _married(husband, wed, d(2010, 6, 5))  # the link from the other side
    younger = _child(wed, d(2018, 2, 2))
    _child(wed, d(2014, 7, 1), country="FR")  # older, abroad: second among the children
    _child(wed, d(2026, 5, 1))  # born after the day: not yet a member
    adopted = PersonFactory(birth_date=d(2012, 1, 1))
    _link(FamilyLinkKind.PARENT_CHILD, husband, adopted, d(2020, 3, 1))
    _link(FamilyLinkKind.PARENT_CHILD, husband, younger, d(2018, 2, 2))

    widow, late = PersonFactory(birth_date=d(1950, 1, 1)), PersonFactory(birth_date=d(1948, 1, 1))
    late.death_date = d(2025, 11, 20)
    late.save(update_fields=["death_date"])
    _married(widow, late, d(1975, 5, 5), d(2025, 11, 20))

    divorced, former = PersonFactory(birth_date=d(1970, 1, 1)), PersonFactory(birth_date=d(1971, 1, 1))
    _married(divorced, former, d(1995, 1, 1), d(2005, 1, 1))
    _child(divorced, d(1998, 3, 3))

    engaged, future = PersonFactory(birth_date=d(1990, 1, 1)), PersonFactory(birth_date=d(1991, 1, 1))
    _married(engaged, future, d(2026, 6, 1))  # after the day

    remarried, first, second = (PersonFactory(birth_date=d(1960, 1, 1)) for _ in range(3))
    _married(remarried, first, d(1985, 1, 1), d(1999, 1, 1))
    _married(second, remarried, d(2001, 1, 1))

    widowed_then_divorced, dead_first, divorced_second = (PersonFactory(birth_date=d(1955, 1, 1)) for _ in range(3))
    dead_first.death_date = d(1990, 1, 1)
    dead_first.save(update_fields=["death_date"])
    _married(widowed_then_divorced, dead_first, d(1980, 1, 1), d(1990, 1, 1))
    _married(widowed_then_divorced, divorced_second, d(1995, 1, 1), d(2000, 1, 1))  # the newest: no spouse

    alone = PersonFactory(birth_date=d(1966, 6, 6), country="DE")
    career(wed, "2005-01", "2025-12", "2800.00")
    career(husband, "2003-01", "2026-02", "3100.00")
    career(widow, "1970-01", "2010-12")
    career(late, "1968-01", "2008-12", "4100.00")
    career(alone, "2020-01", "2026-03")  # the month after ``UNTIL`` is not read
    persons = [
        wed,
        husband,
        widow,
        divorced,
        engaged,
        remarried,
        second,
        widowed_then_divorced,
        alone,
        younger,
        late,
    ]
    named = {
        "wed": wed,
        "husband": husband,
        "younger": younger,
        "adopted": adopted,
        "widow": widow,
        "late": late,
        "divorced": divorced,
        "engaged": engaged,
        "remarried": remarried,
        "second": second,
        "widowed_then_divorced": widowed_then_divorced,
        "alone": alone,
    }
    return [person.pk for person in persons], named


def _equal(left, right):
    assert left.columns.keys() == right.columns.keys()
    for name, column in left.columns.items():
        if name == "yearly_wage":
            assert column.keys() == right.columns[name].keys()
            for year, wages in column.items():
                numpy.testing.assert_array_equal(wages, right.columns[name][year], err_msg=year)
        else:
            numpy.testing.assert_array_equal(column, right.columns[name], err_msg=name)
    numpy.testing.assert_array_equal(left.family, right.family)
    numpy.testing.assert_array_equal(left.role, right.role)


def test_each_family_in_columns_is_the_family_a_claim_reads():
    person_ids, _named = _registry()

    families = families_in_columns(person_ids=person_ids, on=ON, careers_until=UNTIL)

    for person_id in person_ids:
        population, starts = families.population([person_id])
        assert starts == [0]
        _equal(population, population_of(family_of(person_id=person_id, on=ON, careers_until=UNTIL), Period.of(ON)))


def test_who_is_the_spouse_on_the_day():
    person_ids, named = _registry()
    families = families_in_columns(person_ids=person_ids, on=ON, careers_until=UNTIL)

    def members(name):
        start, end = families.starts[person_ids.index(named[name].pk) : person_ids.index(named[name].pk) + 2]
        return families.members[start:end].tolist()

    assert members("widow") == [named["widow"].pk, named["late"].pk]  # the death ended the marriage
    assert (
        families.population([named["widow"].pk])[0].columns["marriage_date"][:2].tolist()
        == [datetime.date(1975, 5, 5)] * 2
    )
    assert members("divorced")[:1] == [named["divorced"].pk] and len(members("divorced")) == 2  # and the child
    assert families.population([named["divorced"].pk])[0].role.tolist() == ["parent", "child"]
    assert members("engaged") == [named["engaged"].pk]
    assert members("remarried") == [named["remarried"].pk, named["second"].pk]
    assert members("widowed_then_divorced") == [named["widowed_then_divorced"].pk]
    assert members("alone") == [named["alone"].pk]


def test_a_batch_of_families_is_one_population_in_the_order_asked():
    person_ids, _named = _registry()
    families = families_in_columns(person_ids=person_ids, on=ON, careers_until=UNTIL)
    order = list(reversed(person_ids[::2]))

    population, starts = families.population(order)

    expected, expected_starts = population_of_families(
        [family_of(person_id=person_id, on=ON, careers_until=UNTIL) for person_id in order], Period.of(ON)
    )
    _equal(population, expected)
    assert starts == expected_starts


def test_the_members_the_claim_counts_and_their_rows():
    person_ids, named = _registry()
    wed, husband, younger, adopted = named["wed"], named["husband"], named["younger"], named["adopted"]
    families = families_in_columns(person_ids=person_ids, on=ON, careers_until=UNTIL)
    population, _starts = families.population([wed.pk])

    # Wed, her husband, then her two children born by the day, the older first.
    assert population.role.tolist() == ["parent", "parent", "child", "child"]
    assert families.subject_index(wed.pk, younger.pk) == 3
    assert families.subject_index(wed.pk, None) == 0
    assert families.subject_index(wed.pk, adopted.pk) == 0  # not her child: her own row
    assert families.subject_index(husband.pk, adopted.pk) == 2  # adopted in 2020, born 2012: the older
    assert population.columns["marriage_date"][:2].tolist() == [datetime.date(2010, 6, 5)] * 2
    assert population.columns["resident"].tolist() == [True, True, False, True]  # the older abroad
    assert population.columns["insured_months"].tolist() == [252, 278, 0, 0]


def test_careers_read_once_for_a_run_and_a_person_not_in_the_registry():
    person_ids, named = _registry()
    read: dict = {}
    first = families_in_columns(person_ids=person_ids, on=ON, careers_until=UNTIL, careers_read=read)
    known = dict(read)

    again = families_in_columns(person_ids=[named["wed"].pk, 0], on=ON, careers_until=UNTIL, careers_read=read)

    assert read == known  # nothing read twice
    assert 0 not in again and named["wed"].pk in again
    _equal(again.population([named["wed"].pk])[0], first.population([named["wed"].pk])[0])
