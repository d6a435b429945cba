"""The insured years (a row a person and year) that careers are read from follow every write of
the declarations and their lines, whatever makes it: a declaration coming into force or
replaced, lines written into a declaration in force, a wage corrected, lines or declarations
deleted, a declaration moved to another period, and writes made with the triggers off once
rebuilt. After each write they equal what the lines in force say."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction

from contributions import selectors, services
from contributions.declarations import declaration_submit
from contributions.models import Declaration, DeclarationLine, InsuredYear
from contributions.types import LineInput
from core.periods import Period
from devtools.rates import demo_rates_seed
from tests.benefits.career_helpers import career
from tests.contributions.insured_years_helpers import years_from_lines, years_kept
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC)


def _employer():
    enterprise = EnterpriseFactory()
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    return enterprise, citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))


def _declare(employer, period, wages, *, replace=False):
    enterprise, actor = employer
    result = declaration_submit(
        actor=actor,
        enterprise_id=enterprise.pk,
        period=period,
        lines=[
            LineInput(
                national_number=person.national_number, worker_category="employee", gross_wage=wage, days_worked="20"
            )
            for person, wage in wages
        ],
        replace=replace,
        channel="form",
        now=NOW,
    )
    assert result.accepted, result.anomalies


def _in_force(enterprise, period):
    return Declaration.objects.get(enterprise=enterprise, period=period, status="in_force")


def _kept_as_lines_say():
    kept = years_kept()
    assert kept == years_from_lines()
    return kept


@pytest.fixture
def people(settings):
    settings.DECLARATION_DUE_DAY = 15
    demo_rates_seed()
    return PersonFactory(), PersonFactory()


def test_the_years_follow_declarations_coming_into_force_and_replaced(people):
    anna, ben = people
    bakery, garage = _employer(), _employer()

    _declare(bakery, "2025-12", [(anna, "2000.00"), (ben, "0.00")])
    kept = _kept_as_lines_say()
    assert kept == {(anna.pk, 2025): {12: (1, Decimal("2000.00"))}}  # a zero wage is no month

    _declare(garage, "2025-12", [(anna, "500.00")])  # a second employer the same month
    assert _kept_as_lines_say()[anna.pk, 2025] == {12: (2, Decimal("2500.00"))}

    _declare(bakery, "2025-12", [(ben, "1800.00")], replace=True)  # Anna no longer on the bakery's
    kept = _kept_as_lines_say()
    assert kept[anna.pk, 2025] == {12: (1, Decimal("500.00"))}
    assert kept[ben.pk, 2025] == {12: (1, Decimal("1800.00"))}

    _declare(garage, "2025-12", [(ben, "700.00")], replace=True)  # Anna's month gone, the row kept
    kept = _kept_as_lines_say()
    assert (anna.pk, 2025) not in kept
    assert InsuredYear.objects.filter(person=anna, year=2025).exists()
    assert selectors.insured_careers(person_ids=[anna.pk], until=Period(2025, 12)) == {}


def test_the_years_follow_lines_written_corrected_moved_and_deleted(people):
    anna, ben = people
    bakery = _employer()
    career(anna, "2024-11", "2025-02", "1000.00")  # lines written straight into declarations in force
    _declare(bakery, "2025-01", [(anna, "300.00"), (ben, "400.00")])
    assert _kept_as_lines_say()[anna.pk, 2025] == {1: (2, Decimal("1300.00")), 2: (1, Decimal("1000.00"))}

    january = _in_force(bakery[0], "2025-01")
    DeclarationLine.objects.filter(declaration=january, person=ben).update(gross_wage=Decimal("450.00"))
    assert _kept_as_lines_say()[ben.pk, 2025] == {1: (1, Decimal("450.00"))}

    carl = PersonFactory()
    DeclarationLine.objects.filter(declaration=january, person=ben).update(person=carl)  # the line was Carl's
    kept = _kept_as_lines_say()
    assert (ben.pk, 2025) not in kept
    assert kept[carl.pk, 2025] == {1: (1, Decimal("450.00"))}

    DeclarationLine.objects.filter(declaration=january, person=carl).update(gross_wage=Decimal("0.00"))
    assert (carl.pk, 2025) not in _kept_as_lines_say()

    Declaration.objects.filter(pk=january.pk).update(period="2024-06")  # moved: its lines go with it
    kept = _kept_as_lines_say()
    assert kept[anna.pk, 2024][6] == (1, Decimal("300.00"))
    assert kept[anna.pk, 2025][1] == (1, Decimal("1000.00"))

    DeclarationLine.objects.filter(declaration=january).delete()
    kept = _kept_as_lines_say()
    assert 6 not in kept[anna.pk, 2024]

    # A declaration in force deleted before its lines (their key is checked at the commit), in
    # one transaction: its lines are taken away once.
    february = Declaration.objects.get(period="2025-02", status="in_force")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM contributions_declaration WHERE id = %s", [february.pk])
        assert 2 not in years_kept()[anna.pk, 2025]
        cursor.execute("DELETE FROM contributions_declarationline WHERE declaration_id = %s", [february.pk])
    _kept_as_lines_say()


def test_careers_count_the_year_asked_up_to_its_month(people):
    anna, ben = people
    career(anna, "2023-07", "2025-05", "1000.00")
    career(anna, "2024-03", "2024-04", "500.00")  # a second employer two months
    career(ben, "2025-03", "2025-04", "2000.00")

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


def test_writes_with_the_triggers_off_are_rebuilt_for_the_persons_named(people):
    anna, ben = people
    career(anna, "2025-01", "2025-03", "1000.00")
    career(ben, "2025-01", "2025-01", "1000.00")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "UPDATE contributions_declarationline SET gross_wage = 2000 WHERE person_id IN (%s, %s)", [anna.pk, ben.pk]
        )
    assert years_kept() != years_from_lines()

    with transaction.atomic():
        services.insured_years_rebuild(person_ids=[anna.pk, ben.pk])

    assert _kept_as_lines_say()[anna.pk, 2025] == {month: (1, Decimal("2000.00")) for month in (1, 2, 3)}
