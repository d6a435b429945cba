"""What benefits will read of contributions, through its face: a person's record and the
insured careers of a population — dataclasses, with the promises their docstrings make."""

import dataclasses
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contributions import selectors, services
from contributions.types import ContributionRecord, RecordStatus
from core.periods import Period
from devtools.rates import demo_rates_seed
from tests.contributions.insured_years_helpers import declare, employer
from tests.identity.factories import PersonFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def careers(settings):
    settings.DECLARATION_DUE_DAY = 15
    demo_rates_seed()
    anna, ben, never = PersonFactory(), PersonFactory(), PersonFactory()
    bakery, garage = employer("Boulangerie"), employer("Garage")
    declare(bakery, "2025-11", [(anna, "2000.00")])
    declare(bakery, "2025-12", [(anna, "2000.00"), (ben, "0.00")])
    declare(garage, "2025-12", [(anna, "500.00")])  # a second employer the same month
    declare(bakery, "2026-01", [(anna, "2100.00"), (ben, "1800.00")])
    declare(bakery, "2026-01", [(anna, "2200.00"), (ben, "1800.00")], replace=True)  # only the version in force counts
    declare(bakery, "2026-02", [(anna, "2200.00")])  # after the period asked
    return {"anna": anna, "ben": ben, "never": never}


def test_insured_careers_count_months_with_a_wage_and_sum_wages_per_year_up_to_the_period(careers):
    anna, ben, never = careers["anna"], careers["ben"], careers["never"]

    found = selectors.insured_careers(person_ids=[anna.pk, ben.pk, never.pk], until=Period(2026, 1))

    assert found == {
        anna.pk: selectors.InsuredCareer(
            person_id=anna.pk,
            insured_months=3,
            wages_by_year=((2025, Decimal("4500.00")), (2026, Decimal("2200.00"))),
            first_period=Period(2025, 11),
            last_period=Period(2026, 1),
        ),
        ben.pk: selectors.InsuredCareer(  # December's zero wage is not a month of insurance
            person_id=ben.pk,
            insured_months=1,
            wages_by_year=((2026, Decimal("1800.00")),),
            first_period=Period(2026, 1),
            last_period=Period(2026, 1),
        ),
    }


def test_insured_careers_of_a_population_take_the_queries_of_one(careers):
    anna = careers["anna"].pk
    persons = [PersonFactory().pk for _ in range(50)] + [anna]

    def read(person_ids):
        with CaptureQueriesContext(connection) as queries:
            found = selectors.insured_careers(person_ids=person_ids, until=Period(2026, 2))
        return len(queries.captured_queries), found

    for folded in (False, True):  # the lines not counted yet read with the years, or the years alone
        if folded:
            services.insured_years_fold()
        one, _found = read([anna])
        many, found = read(persons)
        assert many == one <= 5
        assert found[anna].insured_months == 4


def test_the_record_through_the_face_is_a_frozen_dataclass_of_months_per_employer(careers):
    anna = careers["anna"]

    record = selectors.contribution_record(person_id=anna.pk, today=datetime.date(2026, 3, 20))

    assert isinstance(record, ContributionRecord)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.months = []  # type: ignore[misc]
    assert [(m.period, m.enterprise_name, m.gross_wage, m.status) for m in record.months] == [
        ("2026-02", "Boulangerie", Decimal("2200.00"), RecordStatus.DECLARED_NOT_PAID),
        ("2026-01", "Boulangerie", Decimal("2200.00"), RecordStatus.DECLARED_NOT_PAID),
        ("2025-12", "Garage", Decimal("500.00"), RecordStatus.DECLARED_NOT_PAID),
        ("2025-12", "Boulangerie", Decimal("2000.00"), RecordStatus.DECLARED_NOT_PAID),
        ("2025-11", "Boulangerie", Decimal("2000.00"), RecordStatus.DECLARED_NOT_PAID),
    ]
    assert [(y.year, y.months_declared, y.total_wages) for y in record.years] == [
        (2026, 2, Decimal("4400.00")),
        (2025, 2, Decimal("4500.00")),
    ]


def test_a_person_s_employment_history_comes_as_rows(careers):
    enterprise, actor = employer("Atelier")
    person = careers["ben"]
    services.employment_hire(
        actor=actor,
        enterprise_id=enterprise.pk,
        national_number=person.national_number,
        worker_category="employee",
        start_date=datetime.date(2026, 12, 1),
        now=NOW,
    )

    [row] = selectors.employment_list_for_person(person_id=person.pk)

    assert (row.enterprise_name, row.start_date, row.end_date, row.cancelled) == (
        "Atelier",
        datetime.date(2026, 12, 1),
        None,
        False,
    )
