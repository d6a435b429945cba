"""The record's version key — what the record and its page's tables are cached under — changes
with every row the record is computed from, and with the two updates that change it: a bulk
file's declarations coming into force, and a report that staff close."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from contributions import bulk, ledger, services
from contributions.declarations import declaration_submit
from contributions.discrepancies import discrepancy_decide, discrepancy_report
from contributions.models import (
    Allocation,
    BulkChunk,
    Declaration,
    DeclarationStatus,
    DiscrepancyReport,
    Employment,
    LedgerEntry,
)
from contributions.record import contribution_record, contribution_record_source
from contributions.types import LineInput
from identity.models import User
from tests.contributions.bulk_helpers import NOW as FILES_NOW
from tests.contributions.bulk_helpers import PERIOD, csv_bytes, receive, rows_for
from tests.contributions.test_record import TODAY, history  # noqa: F401 — fixture
from tests.helpers import citizen_actor, staff_actor
from tests.identity.factories import PersonFactory, UserFactory, representation

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 6, tzinfo=datetime.UTC)


def _key(person):
    return contribution_record_source(person_id=person.pk, today=TODAY).key


def _declarant(enterprise):
    user = UserFactory()
    representation(user, enterprise, "declarant")
    return citizen_actor(user, enterprise_ids=frozenset({enterprise.pk}))


def _submit(actor, enterprise, person, period, *, wage, replace):
    line = LineInput(
        national_number=person.national_number, worker_category="employee", gross_wage=wage, days_worked="20"
    )
    result = declaration_submit(
        actor=actor,
        enterprise_id=enterprise.pk,
        period=period,
        lines=[line],
        replace=replace,
        channel="form",
        now=NOW,
    )
    assert result.accepted, result.anomalies


def test_the_key_changes_with_each_entry_allocation_declaration_and_employment_event(history):  # noqa: F811
    person, garage = history["person"], history["garage"]
    stranger = PersonFactory()
    stranger_key = _key(stranger)
    keys = [_key(person)]

    def changed():
        key = _key(person)
        assert key not in keys
        keys.append(key)

    ledger.credit_post(
        enterprise_id=garage.pk,
        amount=Decimal("10.00"),
        payment_reference="",
        source="bank:no-reference",
        booked_on=TODAY,
        now=NOW,
    )
    changed()
    # An allocation alone, as the settlement of a credit left over does once committed.
    debit = LedgerEntry.objects.get(enterprise=garage, period="2026-08", kind="declaration")
    credit = LedgerEntry.objects.create(
        enterprise=garage,
        kind="payment",
        amount=Decimal("-1.00"),
        booked_on=TODAY,
        period="",
        payment_reference="",
        source="bank:for-allocation",
        created_at=NOW,
    )
    changed()
    Allocation.objects.create(credit=credit, debit=debit, amount=Decimal("1.00"), created_at=NOW)
    changed()
    garage_actor = _declarant(garage)
    _submit(garage_actor, garage, person, "2026-09", wage="1000.00", replace=False)
    changed()
    _submit(garage_actor, garage, person, "2026-09", wage="1200.00", replace=True)
    changed()
    employment = Employment.objects.get(enterprise=garage, person=person)
    services.employment_terminate(
        actor=garage_actor, employment_id=employment.pk, end_date=datetime.date(2026, 9, 30), now=NOW
    )
    changed()
    # Nobody else's record is told to change.
    assert _key(stranger) == stranger_key


def test_a_report_shows_in_the_record_with_each_step_of_its_case(history):  # noqa: F811
    person, garage = history["person"], history["garage"]
    owner = UserFactory(person=person)
    before = contribution_record(person_id=person.pk, today=TODAY)
    assert before.reports == {}

    discrepancy_report(
        actor=citizen_actor(owner),
        person_id=person.pk,
        enterprise_id=garage.pk,
        period="2026-08",
        message="I was paid but it says otherwise.",
        now=NOW,
    )
    report = DiscrepancyReport.objects.get(person=person)
    reported = contribution_record(person_id=person.pk, today=TODAY).reports
    assert reported == {(garage.pk, "2026-08"): (report.pk, "open", "")}

    staff = staff_actor(User.objects.create(email="agent@guichet.example", is_staff=True))
    for seen, outcome, expected in [
        ("open", "employer_asked", ("awaiting_employer", "employer_asked")),
        ("awaiting_employer", "corrected", ("closed", "corrected")),
    ]:
        discrepancy_decide(
            actor=staff, report_id=report.pk, seen_status=seen, outcome=outcome, reason="Checked.", now=NOW
        )
        # The step changes the record's version: the cached record shows where the case stands.
        assert contribution_record(person_id=person.pk, today=TODAY).reports[(garage.pk, "2026-08")][1:] == expected


# The bulk world is hired on fixed dates for PERIOD while the test reads today from the clock: on
# the day the bulk tests run (tests/contributions/bulk_helpers.py).
@pytest.mark.usefixtures("bulk_storage")
@pytest.mark.time_machine(FILES_NOW, tick=False)
def test_a_bulk_file_that_owes_nothing_shows_in_the_record_as_it_comes_into_force(w):
    """A file's declarations are written pending, then brought into force together by an
    update; with nothing owed, no ledger entry follows them."""
    person = w["staff"][w["a"].pk][0]
    today, now = timezone.localdate(), timezone.now()
    entries = LedgerEntry.objects.count()

    def october_wages():
        record = contribution_record(person_id=person.pk, today=today)
        return [month.gross_wage for month in record.months if month.period == PERIOD]

    assert october_wages() == [None]  # hired, not declared
    upload = receive(w["bureau_actor"], csv_bytes(rows_for(w["a"], [person], wage="0.00"))).upload
    bulk.upload_plan(upload_id=upload.pk, now=now)
    for chunk_id in BulkChunk.objects.filter(upload=upload).values_list("pk", flat=True):
        bulk.chunk_process(chunk_id=chunk_id, now=now)
    assert Declaration.objects.get(bulk_upload=upload).status == DeclarationStatus.PENDING
    assert october_wages() == [None]  # read, and cached, while the file is processed

    bulk.upload_finalize(upload_id=upload.pk, now=now)

    assert Declaration.objects.get(bulk_upload=upload).status == DeclarationStatus.IN_FORCE
    assert LedgerEntry.objects.count() == entries
    assert october_wages() == [Decimal("0.00")]
