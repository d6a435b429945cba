"""The person registry's history: a person's civil-status fields as they were created and after
each change the registry's events made (a death, its correction, a move), with who made it; a
repeated event, or a change of another field, leaves no row."""

import datetime

import pghistory
import pytest

from identity import services
from identity.models import Person, PersonEvent
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = datetime.datetime(2025, 1, 10, 12, tzinfo=datetime.UTC)


def _history(person: Person) -> list[tuple]:
    return list(
        PersonEvent.objects.filter(pgh_obj=person)
        .order_by("pgh_id")
        .values_list("pgh_label", "death_date", "street", "postal_code", "city", "country")
    )


def _person() -> Person:
    return PersonFactory(
        first_name="Jean",
        last_name="Peeters",
        birth_date=D(1940, 3, 3),
        street="Rue Haute 5",
        postal_code="5000",
        city="Namur",
        country="BE",
    )


def test_a_death_recorded_and_corrected_keeps_the_values_before_and_after_each_change():
    person = _person()

    services.registry_death_record(person_id=person.pk, death_date=D(2024, 12, 20), now=NOW)
    services.registry_death_record(person_id=person.pk, death_date=D(2024, 12, 20), now=NOW)  # repeated
    services.registry_death_record(person_id=person.pk, death_date=D(2024, 12, 18), now=NOW)  # corrected

    assert _history(person) == [
        ("insert", None, "Rue Haute 5", "5000", "Namur", "BE"),
        ("update", D(2024, 12, 20), "Rue Haute 5", "5000", "Namur", "BE"),
        ("update", D(2024, 12, 18), "Rue Haute 5", "5000", "Namur", "BE"),
    ]


def test_an_address_change_keeps_the_old_address_and_the_new_one():
    person = _person()

    services.registry_address_change(
        person_id=person.pk, street="Place du Marché 1", postal_code="4000", city="Liège", country="be", now=NOW
    )
    services.registry_address_change(
        person_id=person.pk, street="Place du Marché 1", postal_code="4000", city="Liège", country="BE", now=NOW
    )  # repeated

    assert _history(person) == [
        ("insert", None, "Rue Haute 5", "5000", "Namur", "BE"),
        ("update", None, "Place du Marché 1", "4000", "Liège", "BE"),
    ]


def test_the_names_and_the_birth_date_are_kept_and_other_fields_leave_no_row():
    person = _person()

    Person.objects.filter(pk=person.pk).update(preferred_language="nl")
    Person.objects.filter(pk=person.pk).update(last_name="Peeters-Dubois", birth_date=D(1940, 3, 4))

    assert list(
        PersonEvent.objects.filter(pgh_obj=person)
        .order_by("pgh_id")
        .values_list("pgh_label", "first_name", "last_name", "birth_date")
    ) == [("insert", "Jean", "Peeters", D(1940, 3, 3)), ("update", "Jean", "Peeters-Dubois", D(1940, 3, 4))]


def test_a_change_made_in_a_context_records_who_made_it():
    person = _person()
    clerk = UserFactory(is_staff=True)

    with pghistory.context(user=clerk.pk):
        services.registry_death_record(person_id=person.pk, death_date=D(2024, 12, 20), now=NOW)

    change = PersonEvent.objects.filter(pgh_obj=person, pgh_label="update").get()
    assert (change.death_date, change.pgh_context.metadata["user"]) == (D(2024, 12, 20), clerk.pk)
