"""The civil registry's life events applied in batches: item by item, the outcome of the single
event's function called for each item in order, on the same registry — with the events that
cannot depend on one another written together in a constant number of queries."""

import datetime

import pytest
from django.db import transaction

from core.errors import NotFound
from identity import services
from identity.country_profiles import country_profile
from identity.models import FamilyLink, FamilyLinkEvent, Person, PersonEvent
from identity.types import (
    AddressChangeRecord,
    BirthRecord,
    FamilyLinkKind,
    IdentityError,
    MarriageRecord,
    RegistryChange,
)
from tests.identity.factories import PersonFactory

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = datetime.datetime(2025, 1, 10, 12, tzinfo=datetime.UTC)
BORN = D(2024, 11, 30)
WEDDING = D(1975, 6, 21)
DEATH = D(2024, 3, 1)
PARENT_CHILD = FamilyLinkKind.PARENT_CHILD
MARRIAGE = FamilyLinkKind.MARRIAGE


def _number(birth_date, serial=12):
    return country_profile().synthetic_person_number(birth_date, serial)


def _described(outcome, numbers):
    """An outcome with the person named by number: a new person's id depends on the order the
    sequence hands them out."""
    if isinstance(outcome, RegistryChange):
        return (numbers[outcome.person_id], outcome.changed)
    return (type(outcome).__name__, outcome.code)


def _registry(numbers):
    persons = sorted(tuple(value for field, value in row.items() if field != "id") for row in Person.objects.values())
    links = sorted(
        (kind, numbers[person_id], numbers[relative_id], started_on, ended_on)
        for kind, person_id, relative_id, started_on, ended_on in FamilyLink.objects.values_list(
            "kind", "person_id", "relative_id", "started_on", "ended_on"
        )
    )
    return persons, links


def _applied_then_undone(run):
    """What ``run`` answers and leaves in the registry (persons named by number), undone after."""
    with transaction.atomic():
        outcomes = run()
        numbers = dict(Person.objects.values_list("pk", "national_number"))
        seen = [_described(outcome, numbers) for outcome in outcomes], _registry(numbers)
        transaction.set_rollback(True)
    return seen


def _each(single, items):
    outcomes = []
    for item in items:
        try:
            outcomes.append(single(item))
        except (IdentityError, NotFound) as refusal:
            outcomes.append(refusal)
    return outcomes


def _as_one_by_one(batch, single, items):
    """The batch's outcomes, checked equal to the single function's for each item in order on
    the same registry, and the registry the batch leaves."""
    given_by_batch = _applied_then_undone(lambda: batch(items))
    assert given_by_batch == _applied_then_undone(lambda: _each(single, items))
    outcomes = batch(items)
    numbers = dict(Person.objects.values_list("pk", "national_number"))
    assert [_described(outcome, numbers) for outcome in outcomes] == given_by_batch[0]
    return given_by_batch[0]


def _spouse_link(first, second, started_on=WEDDING, ended_on=None, kind=MARRIAGE):
    return FamilyLink.objects.create(kind=kind, person=first, relative=second, started_on=started_on, ended_on=ended_on)


def _ends(*links):
    return [FamilyLink.objects.get(pk=link.pk).ended_on for link in links]


def _parent_links(number):
    return sorted(
        FamilyLink.objects.filter(relative__national_number=number).values_list(
            "person__national_number", "kind", "started_on"
        )
    )


# --- Births ---------------------------------------------------------------------------------------


def _births(births):
    return services.registry_births_record(births=births, now=NOW)


def _birth(birth):
    return services.registry_birth_record(
        national_number=birth.national_number,
        first_name=birth.first_name,
        last_name=birth.last_name,
        birth_date=birth.birth_date,
        parent_ids=birth.parent_ids,
        now=NOW,
    )


def _born(number, *parents, born=BORN, first_name="Léa"):
    return BirthRecord(
        national_number=number,
        first_name=f" {first_name} ",
        last_name="Dubois",
        birth_date=born,
        parent_ids=tuple(parent.pk for parent in parents),
    )


def test_a_batch_of_births_gives_item_by_item_what_one_birth_after_the_other_gives():
    mother = PersonFactory(
        birth_date=D(1990, 1, 1), street="Grand-Rue 3", postal_code="L-1660", city="Luxembourg", country="LU"
    )
    mother.preferred_language = "en"
    mother.save()
    father = PersonFactory(birth_date=D(1988, 5, 5))
    widower = PersonFactory(birth_date=D(1980, 1, 1), death_date=BORN - datetime.timedelta(days=300))
    late = PersonFactory(birth_date=D(1980, 1, 1), death_date=BORN - datetime.timedelta(days=301))
    unborn = PersonFactory(birth_date=D(2024, 12, 1))
    registered = PersonFactory(national_number=_number(D(2024, 10, 1)), birth_date=D(2024, 10, 1))
    FamilyLink.objects.create(kind=PARENT_CHILD, person=mother, relative=registered, started_on=D(2024, 10, 1))
    other_birth_date = PersonFactory(national_number=_number(D(2024, 9, 1)), birth_date=D(2024, 9, 2))
    formatted_twin = f" {country_profile().person_number.format(_number(BORN, 2))} "
    births = [
        _born(_number(BORN, 1), mother, father),  # new: lives with the mother, linked to both
        _born(_number(BORN, 2), mother, first_name="Tom"),  # new, then declared again
        _born(formatted_twin, father, mother, first_name="Other"),  # the father's declaration
        _born(registered.national_number, mother, father, born=D(2024, 10, 1)),  # the father's link added
        _born(registered.national_number, mother, born=D(2024, 10, 1)),  # repeated: nothing changes
        _born(other_birth_date.national_number, mother, born=D(2024, 9, 1)),
        _born(_number(BORN, 3), mother, Person(pk=mother.pk + 1000)),
        _born(_number(BORN, 4), mother, late),
        _born(_number(BORN, 5), unborn),
        _born(_number(BORN, 6)[:-2] + "00", mother),
        _born(_number(D(2025, 1, 11)), mother, born=D(2025, 1, 11)),
        _born(registered.national_number, registered, born=D(2024, 10, 1)),  # its own parent
        _born(_number(BORN, 7), widower),  # died 300 days before: plausible
        _born(_number(BORN, 8)),  # no parent given: the registry's defaults
        _born(_number(BORN, 9), father, father),
    ]

    outcomes = _as_one_by_one(_births, _birth, births)

    assert outcomes == [
        (_number(BORN, 1), True),
        (_number(BORN, 2), True),
        (_number(BORN, 2), True),
        (registered.national_number, True),
        (registered.national_number, False),
        ("RegistryConflict", "birth_date_differs"),
        ("NotFound", "not_found"),
        ("RegistryConflict", "parent_implausible"),
        ("RegistryConflict", "parent_implausible"),
        ("InvalidIdentifier", "checksum"),
        ("RegistryConflict", "date_in_future"),
        ("RegistryConflict", "parent_implausible"),
        (_number(BORN, 7), True),
        (_number(BORN, 8), True),
        (_number(BORN, 9), True),
    ]
    first = Person.objects.get(national_number=_number(BORN, 1))
    assert (first.first_name, first.last_name, first.birth_date, first.death_date) == ("Léa", "Dubois", BORN, None)
    assert (first.street, first.postal_code, first.city, first.country, first.preferred_language) == (
        "Grand-Rue 3",
        "L-1660",
        "Luxembourg",
        "LU",
        "en",
    )
    orphan = Person.objects.get(national_number=_number(BORN, 8))
    assert (orphan.street, orphan.postal_code, orphan.city, orphan.country, orphan.preferred_language) == (
        "",
        "",
        "",
        "BE",
        "fr",
    )
    twin = Person.objects.get(national_number=_number(BORN, 2))
    assert (twin.first_name, twin.city) == ("Tom", "Luxembourg")
    numbers = sorted([(mother.national_number, PARENT_CHILD, BORN), (father.national_number, PARENT_CHILD, BORN)])
    assert _parent_links(_number(BORN, 1)) == _parent_links(_number(BORN, 2)) == numbers
    assert _parent_links(_number(BORN, 9)) == [(father.national_number, PARENT_CHILD, BORN)]
    assert len(_parent_links(registered.national_number)) == 2
    assert not Person.objects.filter(national_number__in=[_number(BORN, 3), _number(BORN, 4)]).exists()


def test_the_links_of_a_batch_of_births_are_in_the_family_links_history():
    mother, father = PersonFactory(birth_date=D(1990, 1, 1)), PersonFactory(birth_date=D(1988, 5, 5))

    _births([_born(_number(BORN, serial), mother, father) for serial in (1, 2)])

    links = FamilyLink.objects.filter(kind=PARENT_CHILD)
    assert sorted(
        FamilyLinkEvent.objects.values_list("pgh_label", "pgh_obj_id", "person_id", "relative_id", "started_on")
    ) == sorted(("insert", link.pk, link.person_id, link.relative_id, BORN) for link in links)
    assert links.count() == 4


def test_the_persons_written_by_batches_are_in_the_person_history():
    mother = PersonFactory(birth_date=D(1990, 1, 1))
    PersonEvent.objects.all().delete()

    child_id = _births([_born(_number(BORN, 1), mother)])[0].person_id
    _deaths([(mother.pk, DEATH)])

    assert sorted(PersonEvent.objects.values_list("pgh_obj_id", "pgh_label", "birth_date", "death_date")) == sorted(
        [(child_id, "insert", BORN, None), (mother.pk, "update", D(1990, 1, 1), DEATH)]
    )


def test_a_refused_birth_leaves_nothing_written_for_it_and_the_others_are_written():
    mother = PersonFactory(birth_date=D(1990, 1, 1))
    unborn = PersonFactory(birth_date=D(2024, 12, 1))

    outcomes = _births([_born(_number(BORN, 1), mother), _born(_number(BORN, 2), mother, unborn)])

    child = Person.objects.get(national_number=_number(BORN, 1))
    assert outcomes[0] == RegistryChange(person_id=child.pk, changed=True)
    assert outcomes[1].code == "parent_implausible"
    assert list(Person.objects.filter(birth_date=BORN).values_list("national_number", flat=True)) == [_number(BORN, 1)]
    assert list(FamilyLink.objects.values_list("person_id", "relative_id")) == [(mother.pk, child.pk)]


def test_the_foreign_keys_are_deferred_again_after_a_batch():
    mother = PersonFactory(birth_date=D(1990, 1, 1))
    _births([_born(_number(BORN, 1), mother)])

    # Deferred as Django declares them: a link to nobody is refused at the commit, not at once.
    with transaction.atomic():
        FamilyLink.objects.create(kind=PARENT_CHILD, person=mother, relative_id=mother.pk + 1000, started_on=BORN)
        transaction.set_rollback(True)


@pytest.mark.parametrize("size", [50, 500])
def test_new_births_are_written_in_a_constant_number_of_queries(size, django_assert_max_num_queries):
    mother, father = PersonFactory(birth_date=D(1990, 1, 1)), PersonFactory(birth_date=D(1988, 5, 5))
    births = [_born(_number(BORN, serial), mother, father) for serial in range(1, size + 1)]

    # The batch's transaction, the parents, the children known, the children, their links (with
    # their foreign keys checked at once, then deferred again).
    with django_assert_max_num_queries(8) as captured:
        outcomes = _births(births)

    assert len(captured) == 8
    assert all(isinstance(outcome, RegistryChange) and outcome.changed for outcome in outcomes)
    assert FamilyLink.objects.filter(person=father).count() == size


# --- Deaths ---------------------------------------------------------------------------------------


def _deaths(deaths):
    return services.registry_deaths_record(deaths=deaths, now=NOW)


def _death(death):
    person_id, death_date = death
    return services.registry_death_record(person_id=person_id, death_date=death_date, now=NOW)


def test_a_batch_of_deaths_gives_item_by_item_what_one_death_after_the_other_gives():
    person, spouse, former = (PersonFactory(birth_date=D(1950, 1, 1)) for _ in range(3))
    divorced = _spouse_link(person, former, started_on=D(1970, 1, 1), ended_on=D(1974, 1, 1))
    marriage = _spouse_link(spouse, person)
    corrected, survivor = (PersonFactory(birth_date=D(1950, 1, 1)) for _ in range(2))
    corrected_marriage = _spouse_link(corrected, survivor)
    services.registry_death_record(person_id=corrected.pk, death_date=DEATH, now=NOW)
    husband, wife = (PersonFactory(birth_date=D(1950, 1, 1)) for _ in range(2))
    couple = _spouse_link(husband, wife)
    newly_wed, bride = (PersonFactory(birth_date=D(1950, 1, 1)) for _ in range(2))
    _spouse_link(newly_wed, bride, started_on=D(2024, 6, 1))
    young = PersonFactory(birth_date=D(2000, 1, 1))
    widowed = PersonFactory(birth_date=D(1950, 1, 1))
    late_spouse = PersonFactory(birth_date=D(1950, 1, 1), death_date=D(2020, 1, 1))
    widowhood = _spouse_link(late_spouse, widowed, ended_on=D(2020, 1, 1))
    late, widow, next_spouse = (PersonFactory(birth_date=D(1950, 1, 1)) for _ in range(3))
    _spouse_link(late, widow)
    services.registry_death_record(person_id=late.pk, death_date=DEATH, now=NOW)
    _spouse_link(widow, next_spouse, started_on=D(2024, 6, 1))
    twice = PersonFactory(birth_date=D(1950, 1, 1))
    deaths = [
        (person.pk, DEATH),  # the marriage ends, the divorce stays as it was
        (corrected.pk, D(2024, 2, 27)),  # a correction moves the end of the marriage
        (husband.pk, D(2024, 3, 5)),
        (wife.pk, D(2024, 3, 2)),  # both spouses: the marriage ends with the first death
        (newly_wed.pk, D(2024, 6, 1)),
        (young.pk, D(1999, 12, 31)),
        (spouse.pk + 1000, DEATH),
        (twice.pk, D(2025, 1, 11)),
        (twice.pk, DEATH),  # after a refusal, the person's first death
        (twice.pk, DEATH),  # repeated
        (twice.pk, D(2024, 2, 1)),  # corrected in the same batch
        (widowed.pk, DEATH),  # the spouse had died: the link keeps its end
        (late.pk, D(2024, 7, 1)),  # would keep the widow married after her next wedding
        (survivor.pk, D(2024, 5, 1)),  # after the spouse's correction earlier in the batch
    ]

    outcomes = _as_one_by_one(_deaths, _death, deaths)

    assert outcomes == [
        (person.national_number, True),
        (corrected.national_number, True),
        (husband.national_number, True),
        (wife.national_number, True),
        ("RegistryConflict", "spouse_dead"),
        ("RegistryConflict", "death_before_birth"),
        ("NotFound", "not_found"),
        ("RegistryConflict", "date_in_future"),
        (twice.national_number, True),
        (twice.national_number, False),
        (twice.national_number, True),
        (widowed.national_number, True),
        ("RegistryConflict", "already_married"),
        (survivor.national_number, True),
    ]
    assert _ends(divorced, marriage, corrected_marriage, couple, widowhood) == [
        D(1974, 1, 1),
        DEATH,
        D(2024, 2, 27),
        D(2024, 3, 2),
        D(2020, 1, 1),
    ]
    deaths_recorded = dict(Person.objects.values_list("pk", "death_date"))
    assert [deaths_recorded[someone.pk] for someone in (person, husband, wife, newly_wed, young, twice, late)] == [
        DEATH,
        D(2024, 3, 5),
        D(2024, 3, 2),
        None,
        None,
        D(2024, 2, 1),
        DEATH,
    ]


def test_a_refused_death_leaves_nothing_written_for_it_and_the_others_are_written():
    late, widow, next_spouse = (PersonFactory(birth_date=D(1950, 1, 1)) for _ in range(3))
    first = _spouse_link(late, widow)
    services.registry_death_record(person_id=late.pk, death_date=DEATH, now=NOW)
    second = _spouse_link(widow, next_spouse, started_on=D(2024, 6, 1))
    other, other_spouse = PersonFactory(birth_date=D(1950, 1, 1)), PersonFactory(birth_date=D(1950, 1, 1))
    other_marriage = _spouse_link(other, other_spouse)

    # The correction writes the date of death, then meets the widow's next marriage: undone.
    outcomes = _deaths([(late.pk, D(2024, 7, 1)), (other.pk, DEATH)])

    assert outcomes[0].code == "already_married"
    assert outcomes[1] == RegistryChange(person_id=other.pk, changed=True)
    assert Person.objects.get(pk=late.pk).death_date == DEATH
    assert _ends(first, second, other_marriage) == [DEATH, None, DEATH]
    assert Person.objects.get(pk=other.pk).death_date == DEATH


def test_a_link_against_the_registry_rules_sends_the_deaths_one_by_one():
    # A spouse recorded dead on the wedding day (a correction by hand): the link cannot end there.
    person = PersonFactory(birth_date=D(1950, 1, 1))
    spouse = PersonFactory(birth_date=D(1950, 1, 1), death_date=WEDDING)
    FamilyLink.objects.create(kind=MARRIAGE, person=person, relative=spouse, started_on=WEDDING)
    other = PersonFactory(birth_date=D(1950, 1, 1))

    outcomes = _as_one_by_one(_deaths, _death, [(other.pk, DEATH), (person.pk, DEATH)])

    assert outcomes == [(other.national_number, True), ("RegistryConflict", "already_married")]


def _married_couples(size):
    persons = Person.objects.bulk_create(
        PersonFactory.build(
            national_number=_number(D(1950, 1, 1) + datetime.timedelta(days=serial // 900), 1 + serial % 900)
        )
        for serial in range(2 * size)
    )
    FamilyLink.objects.bulk_create(
        FamilyLink(kind=MARRIAGE, person=first, relative=second, started_on=WEDDING)
        for first, second in zip(persons[::2], persons[1::2], strict=True)
    )
    return persons


@pytest.mark.parametrize("size", [50, 500])
def test_first_deaths_are_written_in_a_constant_number_of_queries(size, django_assert_max_num_queries):
    persons = _married_couples(size)

    # The batch's transaction, the persons, their marriages, and the fast path's savepoint
    # around the deaths and the ends of the marriages (their foreign keys checked at once).
    with django_assert_max_num_queries(10) as captured:
        outcomes = _deaths([(person.pk, DEATH) for person in persons[::2]])

    assert len(captured) == 10
    assert outcomes == [RegistryChange(person_id=person.pk, changed=True) for person in persons[::2]]
    assert set(FamilyLink.objects.values_list("ended_on", flat=True)) == {DEATH}


# --- Marriages ------------------------------------------------------------------------------------


def _marriages(marriages):
    return services.registry_marriages_record(marriages=marriages, now=NOW)


def _marriage(marriage):
    return services.registry_marriage_record(
        person_ids=marriage.person_ids, married_on=marriage.married_on, kind=marriage.kind, now=NOW
    )


def _wed(first, second, married_on=WEDDING, kind=MARRIAGE):
    return MarriageRecord(person_ids=(first.pk, second.pk), married_on=married_on, kind=kind)


def test_a_batch_of_marriages_gives_item_by_item_what_one_marriage_after_the_other_gives():
    anna, ben, carla, dora, emil = (PersonFactory(birth_date=D(1950, 1, 1)) for _ in range(5))
    dead = PersonFactory(birth_date=D(1950, 1, 1), death_date=WEDDING)
    later_dead = PersonFactory(birth_date=D(1950, 1, 1), death_date=DEATH)
    fred, gina, hugo = (PersonFactory(birth_date=D(1950, 1, 1)) for _ in range(3))
    _spouse_link(fred, gina, started_on=D(1970, 1, 1))
    ivan, jane, kurt = (PersonFactory(birth_date=D(1950, 1, 1)) for _ in range(3))
    lena, max_, nora = (PersonFactory(birth_date=D(1940, 1, 1)) for _ in range(3))
    olga = PersonFactory(birth_date=D(1940, 1, 1), death_date=D(1970, 1, 1))
    paul, quinn = PersonFactory(birth_date=D(1940, 1, 1)), PersonFactory(birth_date=D(1940, 1, 1))
    _spouse_link(olga, paul, started_on=D(1960, 1, 1), ended_on=D(1970, 1, 1))
    marriages = [
        _wed(anna, ben, kind=FamilyLinkKind.PARTNERSHIP),
        _wed(ben, anna, kind=FamilyLinkKind.PARTNERSHIP),  # repeated, in the other order
        _wed(gina, fred, married_on=D(1970, 1, 1)),  # already registered
        _wed(carla, dead),
        _wed(carla, later_dead),  # recorded ended on the death
        _wed(hugo, fred),  # fred is married to gina
        _wed(dora, dora),
        _wed(dora, emil, married_on=D(2025, 1, 11)),
        _wed(dora, Person(pk=emil.pk + 1000)),
        _wed(dora, emil),
        _wed(emil, hugo, married_on=D(1980, 1, 1)),  # emil married to dora by then
        _wed(ivan, jane, married_on=D(1960, 1, 1)),
        _wed(kurt, jane, married_on=D(1961, 1, 1)),  # jane married to ivan by then
        _wed(lena, max_, married_on=D(1960, 1, 1)),
        _wed(nora, max_, married_on=D(1965, 1, 1)),  # max married to lena by then, in this batch
        _wed(paul, quinn, married_on=D(1980, 1, 1)),  # a widower remarries
    ]

    outcomes = _as_one_by_one(_marriages, _marriage, marriages)

    assert outcomes == [
        (anna.national_number, True),
        (ben.national_number, False),
        (gina.national_number, False),
        ("RegistryConflict", "spouse_dead"),
        (carla.national_number, True),
        ("RegistryConflict", "already_married"),
        ("RegistryConflict", "same_person"),
        ("RegistryConflict", "date_in_future"),
        ("NotFound", "not_found"),
        (dora.national_number, True),
        ("RegistryConflict", "already_married"),
        (ivan.national_number, True),
        ("RegistryConflict", "already_married"),
        (lena.national_number, True),
        ("RegistryConflict", "already_married"),
        (paul.national_number, True),
    ]
    assert FamilyLink.objects.get(person=carla).ended_on == DEATH


def test_a_marriage_of_an_unknown_kind_is_refused_before_anything_is_written():
    anna, ben = PersonFactory(birth_date=D(1950, 1, 1)), PersonFactory(birth_date=D(1951, 1, 1))

    with pytest.raises(ValueError, match="not a kind of marriage"):
        _marriages([_wed(anna, ben), _wed(anna, ben, kind=PARENT_CHILD)])

    assert not FamilyLink.objects.exists()


@pytest.mark.parametrize("size", [50, 500])
def test_new_marriages_are_written_in_a_constant_number_of_queries(size, django_assert_max_num_queries):
    persons = Person.objects.bulk_create(
        PersonFactory.build(
            national_number=_number(D(1950, 1, 1) + datetime.timedelta(days=serial // 900), 1 + serial % 900)
        )
        for serial in range(2 * size)
    )
    marriages = [_wed(first, second) for first, second in zip(persons[::2], persons[1::2], strict=True)]

    # The batch's transaction, the persons, their marriages, and the marriages in a savepoint
    # (with their foreign keys checked at once, then deferred again).
    with django_assert_max_num_queries(9) as captured:
        outcomes = _marriages(marriages)

    assert len(captured) == 9
    assert outcomes == [RegistryChange(person_id=person.pk, changed=True) for person in persons[::2]]
    assert FamilyLink.objects.count() == size


# --- Addresses ------------------------------------------------------------------------------------


def _moves(changes):
    return services.registry_address_changes(changes=changes, now=NOW)


def _move(change):
    return services.registry_address_change(
        person_id=change.person_id,
        street=change.street,
        postal_code=change.postal_code,
        city=change.city,
        country=change.country,
        now=NOW,
    )


def _to(person, street=" Calle Mayor 1 ", postal_code="03001", city="Alicante ", country="es"):
    return AddressChangeRecord(person_id=person.pk, street=street, postal_code=postal_code, city=city, country=country)


def test_a_batch_of_address_changes_gives_item_by_item_what_one_change_after_the_other_gives():
    anna, ben, carla = PersonFactory(), PersonFactory(), PersonFactory()
    settled = PersonFactory(street="Calle Mayor 1", postal_code="03001", city="Alicante", country="ES")
    changes = [
        _to(anna),
        _to(anna, country="ES "),  # repeated: nothing changes
        _to(anna, city="Elche"),
        _to(settled),
        _to(ben, country="XX"),
        _to(ben, street="x" * 201),
        _to(ben, street="x" * 200, city="y" * 100),
        _to(Person(pk=carla.pk + 1000)),
        _to(carla, country="ESP"),
    ]

    outcomes = _as_one_by_one(_moves, _move, changes)

    assert outcomes == [
        (anna.national_number, True),
        (anna.national_number, False),
        (anna.national_number, True),
        (settled.national_number, False),
        ("RegistryConflict", "country_unknown"),
        ("RegistryConflict", "address_too_long"),
        (ben.national_number, True),
        ("NotFound", "not_found"),
        ("RegistryConflict", "country_unknown"),
    ]
    addresses = dict(Person.objects.values_list("pk", "city"))
    assert [addresses[anna.pk], addresses[ben.pk], addresses[carla.pk]] == ["Elche", "y" * 100, "Bruxelles"]


@pytest.mark.parametrize("size", [50, 500])
def test_address_changes_are_written_in_a_constant_number_of_queries(size, django_assert_max_num_queries):
    persons = Person.objects.bulk_create(
        PersonFactory.build(
            national_number=_number(D(1950, 1, 1) + datetime.timedelta(days=serial // 900), 1 + serial % 900)
        )
        for serial in range(size)
    )

    with django_assert_max_num_queries(4) as captured:
        outcomes = _moves([_to(person) for person in persons])

    assert len(captured) == 4
    assert outcomes == [RegistryChange(person_id=person.pk, changed=True) for person in persons]
    assert set(Person.objects.values_list("country", flat=True)) == {"ES"}
