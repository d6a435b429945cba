"""Careers are read from the insured years (a row a person and year) and the lines of the
declarations not counted in them yet: a career is what the lines in force say, before and after
the fold, whatever wrote the declarations (form, replacement, the tests' SQL). The fold counts
the lines of declarations come into force and takes away those replaced, once."""

from decimal import Decimal

import pytest
from django.db import connection

from contributions import selectors, services
from contributions.careers import insured_years_to_fold
from contributions.models import Declaration, InsuredYear
from core.periods import Period
from devtools.rates import demo_rates_seed
from tests.benefits.career_helpers import career
from tests.contributions.insured_years_helpers import declare, employer, years_from_lines, years_kept
from tests.identity.factories import PersonFactory

pytestmark = pytest.mark.django_db


_CAREERS_FROM_LINES = """
SELECT l.person_id, substr(d.period, 1, 4)::int AS year, COUNT(DISTINCT d.period), SUM(l.gross_wage),
       MIN(d.period), MAX(d.period)
FROM contributions_declarationline l JOIN contributions_declaration d ON d.id = l.declaration_id
WHERE l.person_id = ANY(%s) AND d.status = 'in_force' AND d.period <= %s AND l.gross_wage > 0
GROUP BY l.person_id, year ORDER BY l.person_id, year
"""


def _careers_from_lines(person_ids, until):
    """The careers as the lines in force say (the definition: how careers were read before the
    insured years)."""
    with connection.cursor() as cursor:
        cursor.execute(_CAREERS_FROM_LINES, [person_ids, str(until)])
        rows = cursor.fetchall()
    careers = {}
    for person_id in {row[0] for row in rows}:
        years = [row for row in rows if row[0] == person_id]
        careers[person_id] = selectors.InsuredCareer(
            person_id=person_id,
            insured_months=sum(row[2] for row in years),
            wages_by_year=tuple((row[1], row[3]) for row in years),
            first_period=Period.parse(years[0][4]),
            last_period=Period.parse(years[-1][5]),
        )
    return careers


UNTILS = (Period(2024, 12), Period(2025, 6), Period(2025, 12), Period(2026, 1))


def _careers_as_lines_say(persons, untils=UNTILS):
    """Careers read before the fold, then after it, are those the lines in force say; the
    insured years then count exactly the lines in force."""
    ids = [person.pk for person in persons]
    for folded in (False, True):
        if folded:
            services.insured_years_fold()
            assert not insured_years_to_fold()
            assert years_kept() == years_from_lines()
        for until in untils:
            assert selectors.insured_careers(person_ids=ids, until=until) == _careers_from_lines(ids, until), (
                folded,
                until,
            )


@pytest.fixture
def people(settings):
    settings.DECLARATION_DUE_DAY = 15
    demo_rates_seed()
    return PersonFactory(), PersonFactory(), PersonFactory()


def test_careers_are_what_the_lines_in_force_say_before_and_after_each_fold(people):
    anna, ben, carl = people
    bakery, garage = employer(), employer()

    career(anna, "2023-07", "2025-05", "1000.00")  # written straight into declarations in force
    career(anna, "2024-03", "2024-04", "500.00")  # a second employer two months
    _careers_as_lines_say(people)

    declare(bakery, "2025-12", [(anna, "2000.00"), (ben, "0.00")])  # a zero wage is no month
    declare(garage, "2025-12", [(anna, "500.00"), (carl, "700.00")])  # a second employer the same month
    _careers_as_lines_say(people)
    assert years_kept()[anna.pk, 2025][12] == (2, Decimal("2500.00"))
    assert (ben.pk, 2025) not in years_kept()

    declare(bakery, "2025-12", [(ben, "1800.00")], replace=True)  # Anna no longer on the bakery's
    assert insured_years_to_fold()  # the replaced version's lines are still counted
    _careers_as_lines_say(people)
    assert years_kept()[anna.pk, 2025][12] == (1, Decimal("500.00"))

    declare(garage, "2025-12", [(carl, "700.00")], replace=True)  # Anna's December gone
    declare(bakery, "2026-01", [(anna, "2200.00"), (carl, "100.00")])
    _careers_as_lines_say(people)
    assert 12 not in years_kept()[anna.pk, 2025]
    assert InsuredYear.objects.filter(person=anna, year=2025).exists()
    assert selectors.insured_careers(person_ids=[ben.pk], until=Period(2025, 11)) == {}


def test_a_career_counts_the_year_asked_up_to_its_month(people):
    anna, ben, _carl = people
    career(anna, "2023-07", "2025-05", "1000.00")
    career(anna, "2024-03", "2024-04", "500.00")
    career(ben, "2025-03", "2025-04", "2000.00")
    services.insured_years_fold()

    found = selectors.insured_careers(person_ids=[anna.pk, ben.pk], until=Period(2025, 2))

    assert found == {
        anna.pk: selectors.InsuredCareer(
            person_id=anna.pk,
            insured_months=6 + 12 + 2,
            wages_by_year=((2023, Decimal("6000.00")), (2024, Decimal("13000.00")), (2025, Decimal("2000.00"))),
            first_period=Period(2023, 7),
            last_period=Period(2025, 2),
        )
    }  # Ben's months all come after the period asked
    assert selectors.insured_careers(person_ids=[anna.pk], until=Period(2023, 6)) == {}
    assert selectors.insured_careers(person_ids=[anna.pk], until=Period(2030, 1))[anna.pk].last_period == Period(
        2025, 5
    )


def test_the_fold_counts_each_declaration_once(people):
    anna, _ben, _carl = people
    career(anna, "2025-01", "2025-03", "1000.00")

    assert services.insured_years_fold() == 3
    assert services.insured_years_fold() == 0  # run twice: nothing more
    assert set(Declaration.objects.values_list("counted", flat=True)) == {True}
    assert years_kept() == {(anna.pk, 2025): {month: (1, Decimal("1000.00")) for month in (1, 2, 3)}}


def test_the_beat_folds_every_minute_what_a_lost_message_left(people, settings):
    from contributions import tasks

    anna, _ben, _carl = people
    career(anna, "2025-01", "2025-02", "1000.00")  # brought into force without queuing the fold
    entry = settings.CELERY_BEAT_SCHEDULE["insured-years-fold"]
    assert entry["task"] == "contributions.insured_years_fold" and entry["schedule"] <= 60

    tasks.insured_years_fold()

    assert not insured_years_to_fold()
    assert years_kept() == years_from_lines() != {}
