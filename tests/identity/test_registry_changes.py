"""The civil registry's life events written in the person registry: births, deaths, marriages and
addresses — once, repeated, out of order, corrected, or refused with nothing changed."""

import datetime

import pytest

from core.errors import NotFound
from identity import services
from identity.country_profiles import country_profile
from identity.models import FamilyLink, Person
from identity.selectors import person_ids_by_national_numbers
from identity.types import FamilyLinkKind, InvalidIdentifier, RegistryChange, RegistryConflict
from tests.identity.factories import PersonFactory

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = datetime.datetime(2025, 1, 10, 12, tzinfo=datetime.UTC)
BORN = D(2024, 11, 30)
WEDDING = D(1975, 6, 21)
DEATH = D(2024, 3, 1)


def _number(birth_date, serial=12):
    return country_profile().synthetic_person_number(birth_date, serial)


def _registry():
    return list(Person.objects.order_by("pk").values()), list(FamilyLink.objects.order_by("pk").values())


def _refused(code, call, error=RegistryConflict):
    before = _registry()
    with pytest.raises(error) as refusal:
        call()
    assert refusal.value.code == code
    assert _registry() == before


def _birth(parents, number=None, born=BORN, **overrides):
    fields = {"first_name": "Léa", "last_name": "Dubois", "birth_date": born, "now": NOW}
    fields.update(overrides)
    return services.registry_birth_record(
        national_number=number or _number(born), parent_ids=[parent.pk for parent in parents], **fields
    )


def _parent_links(child):
    return sorted(FamilyLink.objects.filter(relative=child).values_list("person_id", "kind", "started_on", "ended_on"))


def _spouse_link(first, second, started_on=WEDDING, ended_on=None, kind=FamilyLinkKind.MARRIAGE):
    return FamilyLink.objects.create(kind=kind, person=first, relative=second, started_on=started_on, ended_on=ended_on)


def _ends(*links):
    return [FamilyLink.objects.get(pk=link.pk).ended_on for link in links]


# --- Births ---------------------------------------------------------------------------------------


def test_a_birth_registers_the_child_where_the_first_parent_lives_linked_to_both_parents():
    mother = PersonFactory(
        birth_date=D(1990, 1, 1),
        street="Grand-Rue 3",
        postal_code="L-1660",
        city="Luxembourg",
        country="LU",
        preferred_language="en",
    )
    father = PersonFactory(birth_date=D(1988, 5, 5), street="Rue Haute 9", postal_code="5000", city="Namur")

    # The number as people write it: the registry stores its compact form.
    change = _birth([mother, father], number=f" {country_profile().person_number.format(_number(BORN))} ")

    child = Person.objects.get(national_number=_number(BORN))
    assert change == RegistryChange(person_id=child.pk, changed=True)
    assert (child.first_name, child.last_name, child.birth_date, child.death_date) == ("Léa", "Dubois", BORN, None)
    assert (child.street, child.postal_code, child.city, child.country, child.preferred_language) == (
        "Grand-Rue 3",
        "L-1660",
        "Luxembourg",
        "LU",
        "en",
    )
    kind = FamilyLinkKind.PARENT_CHILD
    assert _parent_links(child) == sorted([(mother.pk, kind, BORN, None), (father.pk, kind, BORN, None)])


def test_a_repeated_birth_changes_nothing_and_a_second_parents_declaration_adds_their_link():
    mother, father = PersonFactory(birth_date=D(1990, 1, 1)), PersonFactory(birth_date=D(1988, 5, 5))
    first = _birth([mother])
    before = _registry()

    assert _birth([mother]) == RegistryChange(person_id=first.person_id, changed=False)
    assert _registry() == before

    # The father's declaration: his link is added, the child's registered details stay.
    assert _birth([father, mother], first_name="Other") == RegistryChange(person_id=first.person_id, changed=True)
    child = Person.objects.get(pk=first.person_id)
    assert (Person.objects.count(), child.first_name, child.city) == (3, "Léa", mother.city)
    kind = FamilyLinkKind.PARENT_CHILD
    assert _parent_links(child) == sorted([(mother.pk, kind, BORN, None), (father.pk, kind, BORN, None)])


def test_a_parent_who_died_up_to_300_days_before_the_birth_is_plausible():
    father = PersonFactory(birth_date=D(1980, 1, 1), death_date=BORN - datetime.timedelta(days=300))
    assert _birth([father]).changed is True


def test_births_that_contradict_the_registry_are_refused():
    mother = PersonFactory(birth_date=D(1990, 1, 1))
    PersonFactory(national_number=_number(D(2024, 10, 1)), birth_date=D(2024, 10, 2))
    late = PersonFactory(birth_date=D(1980, 1, 1), death_date=BORN - datetime.timedelta(days=301))
    unborn = PersonFactory(birth_date=D(2024, 12, 1))

    _refused("birth_date_differs", lambda: _birth([mother], number=_number(D(2024, 10, 1)), born=D(2024, 10, 1)))
    _refused("parent_implausible", lambda: _birth([mother, late]))
    _refused("parent_implausible", lambda: _birth([unborn]))
    _refused("date_in_future", lambda: _birth([mother], born=D(2025, 1, 11)))
    _refused("checksum", lambda: _birth([mother], number=_number(BORN)[:-2] + "00"), error=InvalidIdentifier)
    _refused("not_found", lambda: _birth([mother, Person(pk=mother.pk + 1000)]), error=NotFound)


# --- Deaths ---------------------------------------------------------------------------------------


def test_a_death_ends_the_marriage_in_force_on_its_date_on_either_side_of_the_link():
    person, spouse, former = (PersonFactory(birth_date=D(1950, 1, 1)) for _ in range(3))
    divorced = _spouse_link(person, former, started_on=D(1970, 1, 1), ended_on=D(1974, 1, 1))
    marriage = _spouse_link(spouse, person)

    change = services.registry_death_record(person_id=person.pk, death_date=DEATH, now=NOW)

    assert change == RegistryChange(person_id=person.pk, changed=True)
    assert Person.objects.get(pk=person.pk).death_date == DEATH
    assert _ends(divorced, marriage) == [D(1974, 1, 1), DEATH]
    before = _registry()
    assert services.registry_death_record(person_id=person.pk, death_date=DEATH, now=NOW) == RegistryChange(
        person_id=person.pk, changed=False
    )
    assert _registry() == before


def test_a_corrected_death_moves_the_end_of_the_marriage_it_had_ended():
    person, spouse = PersonFactory(birth_date=D(1950, 1, 1)), PersonFactory(birth_date=D(1951, 1, 1))
    marriage = _spouse_link(person, spouse)
    services.registry_death_record(person_id=person.pk, death_date=DEATH, now=NOW)

    earlier = services.registry_death_record(person_id=person.pk, death_date=D(2024, 2, 27), now=NOW)
    assert (earlier.changed, Person.objects.get(pk=person.pk).death_date, _ends(marriage)) == (
        True,
        D(2024, 2, 27),
        [D(2024, 2, 27)],
    )
    services.registry_death_record(person_id=person.pk, death_date=D(2024, 3, 5), now=NOW)
    assert _ends(marriage) == [D(2024, 3, 5)]

    # The spouse died after the recorded death, before the date corrected later: the marriage
    # ended with the spouse's death.
    services.registry_death_record(person_id=spouse.pk, death_date=D(2024, 3, 7), now=NOW)
    assert _ends(marriage) == [D(2024, 3, 5)]
    services.registry_death_record(person_id=person.pk, death_date=D(2024, 3, 9), now=NOW)
    assert _ends(marriage) == [D(2024, 3, 7)]


def test_deaths_that_contradict_the_registry_are_refused():
    person, spouse = PersonFactory(birth_date=D(1950, 1, 1)), PersonFactory(birth_date=D(1951, 1, 1))
    _spouse_link(person, spouse)
    record = services.registry_death_record

    _refused("death_before_birth", lambda: record(person_id=person.pk, death_date=D(1949, 12, 31), now=NOW))
    _refused("spouse_dead", lambda: record(person_id=person.pk, death_date=WEDDING, now=NOW))
    _refused("date_in_future", lambda: record(person_id=person.pk, death_date=D(2025, 1, 11), now=NOW))
    _refused("not_found", lambda: record(person_id=spouse.pk + 1000, death_date=DEATH, now=NOW), error=NotFound)

    # A correction that would keep the survivor married after their next wedding.
    late, widow, next_spouse = (PersonFactory(birth_date=D(1950, 1, 1)) for _ in range(3))
    _spouse_link(late, widow)
    record(person_id=late.pk, death_date=DEATH, now=NOW)
    _spouse_link(widow, next_spouse, started_on=D(2024, 6, 1))
    _refused("already_married", lambda: record(person_id=late.pk, death_date=D(2024, 7, 1), now=NOW))


# --- Marriages ------------------------------------------------------------------------------------


def test_a_marriage_is_recorded_once_whichever_order_the_spouses_come_in():
    anna, ben = PersonFactory(birth_date=D(1950, 1, 1)), PersonFactory(birth_date=D(1951, 1, 1))

    change = services.registry_marriage_record(
        person_ids=(anna.pk, ben.pk), married_on=WEDDING, now=NOW, kind=FamilyLinkKind.PARTNERSHIP
    )

    assert change == RegistryChange(person_id=anna.pk, changed=True)
    assert list(FamilyLink.objects.values_list("kind", "person_id", "relative_id", "started_on", "ended_on")) == [
        (FamilyLinkKind.PARTNERSHIP, anna.pk, ben.pk, WEDDING, None)
    ]
    before = _registry()
    repeated = services.registry_marriage_record(
        person_ids=(ben.pk, anna.pk), married_on=WEDDING, now=NOW, kind=FamilyLinkKind.PARTNERSHIP
    )
    assert repeated == RegistryChange(person_id=ben.pk, changed=False)
    assert _registry() == before


def test_a_marriage_received_after_the_deaths_is_recorded_ended_on_the_first_death():
    anna = PersonFactory(birth_date=D(1950, 1, 1), death_date=D(2024, 5, 1))
    ben = PersonFactory(birth_date=D(1951, 1, 1), death_date=DEATH)

    change = services.registry_marriage_record(person_ids=(anna.pk, ben.pk), married_on=WEDDING, now=NOW)

    assert change == RegistryChange(person_id=anna.pk, changed=True)
    link = FamilyLink.objects.get()
    assert (link.kind, link.started_on, link.ended_on) == (FamilyLinkKind.MARRIAGE, WEDDING, DEATH)


def test_marriages_that_contradict_the_registry_are_refused():
    anna, ben = PersonFactory(birth_date=D(1950, 1, 1)), PersonFactory(birth_date=D(1951, 1, 1))
    carla = PersonFactory(birth_date=D(1952, 1, 1))
    dead = PersonFactory(birth_date=D(1950, 1, 1), death_date=WEDDING)
    _spouse_link(carla, ben, started_on=D(1970, 1, 1))
    record = services.registry_marriage_record

    _refused("spouse_dead", lambda: record(person_ids=(anna.pk, dead.pk), married_on=WEDDING, now=NOW))
    _refused("already_married", lambda: record(person_ids=(anna.pk, ben.pk), married_on=WEDDING, now=NOW))
    _refused("same_person", lambda: record(person_ids=(anna.pk, anna.pk), married_on=WEDDING, now=NOW))
    _refused("date_in_future", lambda: record(person_ids=(anna.pk, carla.pk), married_on=D(2025, 1, 11), now=NOW))
    _refused("not_found", lambda: record(person_ids=(anna.pk, dead.pk + 1000), married_on=WEDDING, now=NOW), NotFound)


# --- Addresses ------------------------------------------------------------------------------------


def _move(person, **overrides):
    fields = {"street": " Calle Mayor 1 ", "postal_code": "03001", "city": "Alicante ", "country": "es"}
    fields.update(overrides)
    return services.registry_address_change(person_id=person.pk, now=NOW, **fields)


def test_an_address_change_records_the_new_address_once():
    person = PersonFactory()

    assert _move(person) == RegistryChange(person_id=person.pk, changed=True)
    person.refresh_from_db()
    assert (person.street, person.postal_code, person.city, person.country) == (
        "Calle Mayor 1",
        "03001",
        "Alicante",
        "ES",
    )
    before = _registry()
    assert _move(person, country="ES ") == RegistryChange(person_id=person.pk, changed=False)
    assert _registry() == before


def test_an_address_the_registry_cannot_hold_is_refused():
    person = PersonFactory()
    assert _move(person, street="x" * 200, city="y" * 100).changed is True

    _refused("country_unknown", lambda: _move(person, country="XX"))
    _refused("country_unknown", lambda: _move(person, country="ESP"))
    _refused("address_too_long", lambda: _move(person, street="x" * 201))
    _refused("address_too_long", lambda: _move(person, postal_code="1" * 21))
    _refused("address_too_long", lambda: _move(person, city="y" * 101))
    _refused(
        "not_found",
        lambda: services.registry_address_change(
            person_id=person.pk + 1000, street="", postal_code="", city="", country="BE", now=NOW
        ),
        NotFound,
    )


# --- Reading persons by number --------------------------------------------------------------------


def test_person_ids_by_national_numbers_maps_the_numbers_as_given_in_one_query(django_assert_num_queries):
    anna, ben = PersonFactory(), PersonFactory()
    formatted = country_profile().person_number.format(ben.national_number)
    unknown = _number(D(1960, 2, 2), 500)

    with django_assert_num_queries(1):
        found = person_ids_by_national_numbers(numbers=[anna.national_number, formatted, unknown, "12345"])

    assert found == {anna.national_number: anna.pk, formatted: ben.pk}
    with django_assert_num_queries(0):
        assert person_ids_by_national_numbers(numbers=["not a number"]) == {}
