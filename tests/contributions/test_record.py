"""The citizen's contribution record: each month's status per employer in every case (paid, not
yet due, overdue, declared-not-paid, hired-not-declared), yearly summary, a constant number of
queries, and who may read it (with the reads of others recorded)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contributions import ledger, services
from contributions.declarations import declaration_submit
from contributions.models import LedgerEntry
from contributions.record import contribution_record
from contributions.types import LineInput
from core.models import AccessRecord
from core.types import Scope
from devtools.rates import demo_rates_seed
from identity.models import User
from tests.helpers import act_for, citizen_actor, sign_in
from tests.identity.factories import EnterpriseFactory, PersonFactory, UserFactory, representation

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 10)  # October's contributions are due on 15 November
# TODAY, 10:00 in Brussels: pages read the clock, and show the history above as of that day.
NOW = datetime.datetime(2026, 11, 10, 9, 0, tzinfo=datetime.UTC)


def _employer(name):
    enterprise = EnterpriseFactory(name=name)
    declarant = UserFactory()
    representation(declarant, enterprise, "declarant")
    return enterprise, citizen_actor(declarant, enterprise_ids=frozenset({enterprise.pk}))


def _hire(enterprise, actor, person, start):
    services.employment_hire(
        actor=actor,
        enterprise_id=enterprise.pk,
        national_number=person.national_number,
        worker_category="employee",
        start_date=start,
        now=datetime.datetime.combine(start, datetime.time(8), tzinfo=datetime.UTC) - datetime.timedelta(days=1),
    )


def _declare(enterprise, actor, person, period, wage="3000.00"):
    result = declaration_submit(
        actor=actor,
        enterprise_id=enterprise.pk,
        period=period,
        lines=[
            LineInput(
                national_number=person.national_number, worker_category="employee", gross_wage=wage, days_worked="20"
            )
        ],
        replace=False,
        channel="form",
        now=datetime.datetime(2026, 11, 5, tzinfo=datetime.UTC),
    )
    assert result.accepted
    return LedgerEntry.objects.get(declaration_id=result.declaration_id)


def _pay(enterprise, debit, amount):
    ledger.credit_post(
        enterprise_id=enterprise.pk,
        amount=Decimal(amount),
        payment_reference=debit.payment_reference,
        source=f"bank:{debit.pk}:{amount}",
        booked_on=TODAY,
        now=datetime.datetime(2026, 11, 6, tzinfo=datetime.UTC),
    )


@pytest.fixture
def history(settings):
    settings.DECLARATION_DUE_DAY = 15
    demo_rates_seed()
    person = PersonFactory()
    bakery, bakery_actor = _employer("Boulangerie")
    garage, garage_actor = _employer("Garage")
    _hire(bakery, bakery_actor, person, datetime.date(2026, 6, 1))
    _hire(garage, garage_actor, person, datetime.date(2026, 8, 1))
    june = _declare(bakery, bakery_actor, person, "2026-06")
    july = _declare(bakery, bakery_actor, person, "2026-07")
    _declare(garage, garage_actor, person, "2026-08", wage="1000.00")  # never paid
    september = _declare(bakery, bakery_actor, person, "2026-09")
    _declare(bakery, bakery_actor, person, "2026-10")  # not yet due on TODAY
    _pay(bakery, june, "972.90")
    _pay(bakery, july, "500.00")  # partly
    _pay(bakery, september, "972.90")
    return {"person": person, "bakery": bakery, "garage": garage}


def test_each_month_has_its_status_per_employer(history):
    record = contribution_record(person_id=history["person"].pk, today=TODAY)

    assert [(m.period, m.enterprise_name, m.status) for m in record.months] == [
        ("2026-10", "Garage", "not_yet_due"),  # worked, not declared, not due yet
        ("2026-10", "Boulangerie", "not_yet_due"),
        ("2026-09", "Garage", "not_declared"),
        ("2026-09", "Boulangerie", "paid"),
        ("2026-08", "Garage", "declared_not_paid"),
        ("2026-08", "Boulangerie", "not_declared"),
        ("2026-07", "Boulangerie", "declared_not_paid"),  # partly paid, overdue
        ("2026-06", "Boulangerie", "paid"),
    ]
    june = record.months[-1]
    assert (june.gross_wage, june.days_worked, june.employee_contributions) == (
        Decimal("3000.00"),
        20,
        Decimal("339.60"),
    )
    [year] = record.years
    # Paid: June only. September is paid by the bakery but the garage did not declare it.
    assert (year.year, year.months_declared, year.months_paid, year.gaps) == (2026, 5, 1, 2)
    assert year.total_wages == Decimal("13000.00")


def test_a_month_is_paid_when_every_employer_settled_it_and_a_zero_declaration_owes_nothing(history):
    person, garage = history["person"], history["garage"]
    garage_actor = citizen_actor(
        User.objects.get(representations__enterprise=garage), enterprise_ids=frozenset({garage.pk})
    )
    # The garage declares September with a zero wage: nothing is owed, nothing posted.
    _declare_zero = declaration_submit(
        actor=garage_actor,
        enterprise_id=garage.pk,
        period="2026-09",
        lines=[
            LineInput(
                national_number=person.national_number, worker_category="employee", gross_wage="0.00", days_worked="0"
            )
        ],
        replace=False,
        channel="form",
        now=datetime.datetime(2026, 11, 5, tzinfo=datetime.UTC),
    )
    assert _declare_zero.accepted

    record = contribution_record(person_id=person.pk, today=TODAY)

    september = {m.enterprise_name: m.status for m in record.months if m.period == "2026-09"}
    assert september == {"Boulangerie": "paid", "Garage": "nothing_due"}
    [year] = record.years
    # June, and September now that each employer settled it (August: the garage did not pay).
    assert (year.months_declared, year.months_paid, year.gaps) == (5, 2, 1)


def test_after_the_due_day_unpaid_becomes_overdue_and_missing_becomes_a_gap(history):
    record = contribution_record(person_id=history["person"].pk, today=datetime.date(2026, 11, 16))
    october = {m.enterprise_name: m.status for m in record.months if m.period == "2026-10"}
    assert october == {"Boulangerie": "declared_not_paid", "Garage": "not_declared"}


def test_the_record_runs_a_constant_number_of_queries_whatever_the_history(history):
    with CaptureQueriesContext(connection) as short:
        first = contribution_record(person_id=history["person"].pk, today=TODAY)
    with CaptureQueriesContext(connection) as cached:
        again = contribution_record(person_id=history["person"].pk, today=TODAY)
    other, other_actor = _employer("Atelier")
    _hire(other, other_actor, history["person"], datetime.date(2026, 1, 1))
    for month in range(1, 6):
        _declare(other, other_actor, history["person"], f"2026-{month:02d}")
    with CaptureQueriesContext(connection) as long:
        record = contribution_record(person_id=history["person"].pk, today=TODAY)
    assert len(record.months) > 8
    # Computing: the version, the lines, the employments, what the employers paid, their names,
    # the months reported wrong.
    assert len(long) == len(short) == 6
    # Read again with nothing changed: the version only, and the same record.
    assert len(cached) == 1
    assert again.months == first.months


def test_a_cached_record_changes_as_soon_as_a_payment_or_declaration_changes_it(history):
    before = {
        (m.period, m.enterprise_name): m.status
        for m in contribution_record(person_id=history["person"].pk, today=TODAY).months
    }
    garage_august = LedgerEntry.objects.get(enterprise=history["garage"], period="2026-08")
    _pay(history["garage"], garage_august, "324.30")
    after = {
        (m.period, m.enterprise_name): m.status
        for m in contribution_record(person_id=history["person"].pk, today=TODAY).months
    }
    assert (before[("2026-08", "Garage")], after[("2026-08", "Garage")]) == ("declared_not_paid", "paid")


@pytest.mark.time_machine(NOW, tick=False)
def test_the_page_for_the_person_and_for_a_proxy_with_and_without_the_view_scope(history, client):
    person = history["person"]
    owner = UserFactory(person=person)
    url = reverse("contributions:record")
    assert client.get(url).status_code == 302

    sign_in(client, owner)
    page = client.get(url, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "worked, not declared by the employer" in page.content.decode()
    assert not AccessRecord.objects.exists()

    for scopes, expected in (([Scope.VIEW_FILE], 200), ([Scope.MANAGE_CLAIMS], 404)):
        proxy, mandate_id = act_for(client, owner, scopes)
        assert client.get(url).status_code == expected
        records = AccessRecord.objects.filter(actor_user=proxy, subject_person=person, mandate_id=mandate_id)
        assert records.count() == (1 if expected == 200 else 0)


def test_an_account_not_linked_to_a_file_is_sent_to_link_it(client):
    sign_in(client, UserFactory())
    assert client.get(reverse("contributions:record"))["Location"] == reverse("identity:link_person")
