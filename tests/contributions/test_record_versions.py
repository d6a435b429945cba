"""The record versions of many persons at once are, for each person, exactly the version read
alone — whatever their record (none, one employer, two, shared employers, events, entries and
allocations, a replaced declaration, reports and their steps) — change as it does, and cost
the same queries whatever the number of persons."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contributions import ledger
from contributions.discrepancies import discrepancy_decide, discrepancy_report
from contributions.models import DiscrepancyReport, DiscrepancyStep
from contributions.selectors import contribution_record_version, contribution_record_versions
from identity.models import User
from tests.contributions.test_record import TODAY, _employer, _hire, history  # noqa: F401 — fixture
from tests.contributions.test_record_version import NOW, _declarant, _submit
from tests.helpers import citizen_actor, staff_actor
from tests.identity.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def _one_by_one(person_ids):
    return {person_id: contribution_record_version(person_id=person_id, today=TODAY) for person_id in person_ids}


def _versions(person_ids):
    return contribution_record_versions(person_ids=person_ids, today=TODAY)


@pytest.fixture
def population(history):  # noqa: F811
    """The history's person (a bakery and a garage, declared, paid in part, a report with its
    steps), and around them: a person with no record, colleagues sharing the bakery (one of them
    declared in a replaced declaration), another person of both employers, and the employee of
    a café that has declared nothing."""
    person, bakery, garage = history["person"], history["bakery"], history["garage"]
    bakery_actor, garage_actor = _declarant(bakery), _declarant(garage)
    nobody = PersonFactory()
    colleagues = [PersonFactory() for _ in range(3)]
    for colleague in colleagues:
        _hire(bakery, bakery_actor, colleague, datetime.date(2026, 7, 1))
    # October, declared with the first colleague: the history's October is replaced.
    _submit(bakery_actor, bakery, colleagues[0], "2026-10", wage="2000.00", replace=True)
    both = PersonFactory()
    _hire(bakery, bakery_actor, both, datetime.date(2026, 9, 1))
    _hire(garage, garage_actor, both, datetime.date(2026, 9, 1))
    cafe, cafe_actor = _employer("Café")
    waiter = PersonFactory()
    _hire(cafe, cafe_actor, waiter, datetime.date(2026, 10, 1))

    owner = UserFactory(person=person)
    report_id = discrepancy_report(
        actor=citizen_actor(owner),
        person_id=person.pk,
        enterprise_id=garage.pk,
        period="2026-08",
        message="I was paid but it says otherwise.",
        now=NOW,
    )
    staff = staff_actor(User.objects.create(email="agent@guichet.example", is_staff=True))
    discrepancy_decide(
        actor=staff, report_id=report_id, seen_status="open", outcome="employer_asked", reason="Checked.", now=NOW
    )
    return {
        "person": person,
        "nobody": nobody,
        "colleagues": colleagues,
        "both": both,
        "waiter": waiter,
        "bakery": bakery,
        "garage": garage,
        "garage_actor": garage_actor,
    }


def _ids(population):
    return [
        population["person"].pk,
        population["nobody"].pk,
        *(colleague.pk for colleague in population["colleagues"]),
        population["both"].pk,
        population["waiter"].pk,
    ]


def test_each_version_is_the_one_read_alone(population):
    person_ids = _ids(population)
    # The world is what the names should be told apart by.
    assert DiscrepancyReport.objects.filter(person=population["person"]).count() == 1
    assert DiscrepancyStep.objects.filter(report__person=population["person"]).exists()

    versions = _versions(person_ids)

    assert versions == _one_by_one(person_ids)
    # Persons sharing an employer share its parts, not their own.
    colleagues = [versions[colleague.pk] for colleague in population["colleagues"]]
    assert len(set(colleagues)) == 3
    nobody = population["nobody"].pk
    assert versions[nobody] == f"contributions:record:{nobody}:2026-11-10:0.0.0:0.0:0.0:0.0:0.0:0.0"


def test_a_person_given_twice_or_unknown_is_named_as_alone(population):
    person = population["person"].pk
    missing = 10**9

    assert _versions([person, person, missing]) == _one_by_one([person, missing])
    assert _versions([]) == {}


def test_the_versions_change_with_a_declaration_a_correction_and_a_payment_of_an_employer(population):
    person_ids = _ids(population)
    of_the_garage = {population["person"].pk, population["both"].pk}
    garage, garage_actor = population["garage"], population["garage_actor"]
    seen = [_versions(person_ids)]

    def changed():
        versions = _versions(person_ids)
        assert versions == _one_by_one(person_ids)
        before = seen[-1]
        assert {p for p in person_ids if versions[p] != before[p]} == of_the_garage
        seen.append(versions)

    _submit(garage_actor, garage, population["both"], "2026-09", wage="1500.00", replace=False)
    changed()
    _submit(garage_actor, garage, population["both"], "2026-09", wage="1600.00", replace=True)
    changed()
    ledger.credit_post(
        enterprise_id=garage.pk,
        amount=Decimal("50.00"),
        payment_reference="",
        source="bank:garage-pays",
        booked_on=TODAY,
        now=NOW,
    )
    changed()


def test_the_versions_take_as_many_queries_for_three_persons_as_for_thirty(population):
    bakery, bakery_actor = population["bakery"], _declarant(population["bakery"])
    more = [PersonFactory() for _ in range(23)]
    for index, person in enumerate(more):
        if index % 2:
            _hire(bakery, bakery_actor, person, datetime.date(2026, 8, 1))
    thirty = _ids(population) + [person.pk for person in more]
    assert len(thirty) == 30

    counted = []
    for person_ids in (thirty[:3], thirty):
        with CaptureQueriesContext(connection) as queries:
            versions = _versions(person_ids)
        assert versions == _one_by_one(person_ids)
        counted.append(len(queries))

    # The session's setting for the statement, who has lines, then the versions.
    assert counted == [3, 3]
