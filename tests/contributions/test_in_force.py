"""A declaration comes into force by one rule, whatever the channel: the same declarations — a
first version, then a replacement, for an enterprise declared through its mandated bureau and
for one declared by its own representative — filed by form and API, or sent as one bulk file
and then replaced by API, give the same versions, statuses, bureau, lines and ledger postings.

A bulk file never replaces (a file naming a declared period is refused, see test_bulk.py): in
both worlds the replacements are sent the one way there is, by API, so that the second world
also shows that replacing a version a file brought into force is replacing any version."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contributions import bulk, ledger
from contributions.careers import insured_years_fold
from contributions.declarations import declaration_submit
from contributions.in_force import declarations_bring_into_force
from contributions.models import Allocation, BulkChunk, Declaration, DeclarationLine, LedgerEntry, UploadStatus
from contributions.types import LineInput
from core import tasks as core_tasks
from core.periods import Period
from tests.contributions.bulk_helpers import NOW, PERIOD, csv_bytes, rows_for, world
from tests.contributions.insured_years_helpers import years_from_lines, years_kept
from tests.helpers import citizen_actor
from tests.identity.factories import EnterpriseFactory, UserFactory, representation

# The bulk world hires on fixed 2026 dates and files declare 2026-10: on its day.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bulk_storage"), pytest.mark.time_machine(NOW, tick=False)]

# (employee's index on the staff, gross wage), per enterprise: "a" declared through the bureau
# A mandated, "b" by the same person as B's own declarant.
FIRST = {"a": [(0, "3000.00"), (1, "2500.00"), (2, "2000.00")], "b": [(0, "1800.00"), (1, "2200.00")]}
# A's replacement owes less (its correction is a credit), B's more (a debit).
REPLACEMENT = {"a": [(0, "2900.00"), (1, "2500.00")], "b": [(0, "1800.00"), (1, "2200.00"), (2, "1500.00")]}
CREDIT = Decimal("500.00")  # B paid this before declaring: its first debit is settled from it


@pytest.fixture(autouse=True)
def _broker(monkeypatch):
    """The broker is the outside world: what is queued once committed is only noted."""
    sent: list[str] = []
    monkeypatch.setattr(core_tasks.current_app, "send_task", lambda name, kwargs: sent.append(name))
    return sent


def _world(now):
    w = world()
    # One declarant for both: of the bureau (A mandated it) and of B itself.
    representation(w["bureau_user"], w["b"], "declarant")
    w["actor"] = citizen_actor(w["bureau_user"], enterprise_ids=frozenset({w["bureau"].pk, w["b"].pk}))
    ledger.credit_post(
        enterprise_id=w["b"].pk,
        amount=CREDIT,
        payment_reference="",
        source=f"transfer:{w['b'].pk}",
        booked_on=timezone.localdate(now),
        now=now,
    )
    return w


def _lines(w, role, declared):
    staff = w["staff"][w[role].pk]
    return [LineInput(staff[index].national_number, "employee", wage, "22") for index, wage in declared]


def _submit(w, role, declared, *, replace, channel, now):
    result = declaration_submit(
        actor=w["actor"],
        enterprise_id=w[role].pk,
        period=PERIOD,
        lines=_lines(w, role, declared),
        replace=replace,
        channel=channel,
        now=now,
    )
    assert result.accepted, result.anomalies
    return result


def _file(w, now):
    rows = []
    for role, declared in FIRST.items():
        staff = w["staff"][w[role].pk]
        for index, wage in declared:
            rows += rows_for(w[role], [staff[index]], wage=wage)
    content = csv_bytes(rows)
    upload = bulk.upload_receive(
        actor=w["actor"], name="paie.csv", chunks=[content], size=len(content), channel="form", now=now
    ).upload
    bulk.upload_plan(upload_id=upload.pk, now=now)
    for chunk_id in BulkChunk.objects.filter(upload=upload).values_list("pk", flat=True):
        bulk.chunk_process(chunk_id=chunk_id, now=now)
    bulk.upload_finalize(upload_id=upload.pk, now=now)
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED
    return upload


def _snapshot(w):
    """Everything the declarations left, with ids named by what they stand for: an enterprise by
    its role, a person by their place on the staff, a posting by what it posts."""
    roles = {w["a"].pk: "a", w["b"].pk: "b", w["bureau"].pk: "bureau", None: None}
    people = {person.pk: index for staff in w["staff"].values() for index, person in enumerate(staff)}
    versions = {
        pk: (roles[enterprise_id], version)
        for pk, enterprise_id, version in Declaration.objects.filter(
            enterprise_id__in=[w["a"].pk, w["b"].pk]
        ).values_list("pk", "enterprise_id", "version")
    }
    references = {
        ledger.structured_reference(
            enterprise_number=w[role].enterprise_number, letter="D", period=Period.parse(PERIOD)
        ): (
            role,
            "D",
            PERIOD,
        )
        for role in ("a", "b")
    }
    references[""] = ""

    def posting(entry):
        if entry.declaration_id is not None:
            assert entry.source == f"declaration:{entry.declaration_id}"
            return ("declaration", *versions[entry.declaration_id])
        assert entry.source == f"transfer:{entry.enterprise_id}"
        return ("transfer", roles[entry.enterprise_id])

    entries = {entry.pk: entry for entry in LedgerEntry.objects.filter(enterprise_id__in=[w["a"].pk, w["b"].pk])}
    return {
        "declarations": sorted(
            (
                *versions[d.pk],
                d.status,
                roles[d.via_bureau_id],
                d.submitted_by_id == w["bureau_user"].pk,
                d.submitted_at,
                d.line_count,
                d.total_wages,
                d.totals,
            )
            for d in Declaration.objects.filter(pk__in=versions)
        ),
        "lines": sorted(
            (
                *versions[line.declaration_id],
                people[line.person_id],
                line.worker_category,
                line.gross_wage,
                line.days_worked,
                line.employee_amount,
                line.employer_amount,
            )
            for line in DeclarationLine.objects.filter(declaration_id__in=versions)
        ),
        "postings": sorted(
            (
                posting(entry),
                roles[entry.enterprise_id],
                entry.kind,
                entry.amount,
                entry.booked_on,
                entry.due_on,
                entry.period,
                references[entry.payment_reference],
                entry.created_at,
            )
            for entry in entries.values()
        ),
        "allocations": sorted(
            (posting(entries[a.credit_id]), posting(entries[a.debit_id]), a.amount, a.created_at)
            for a in Allocation.objects.filter(credit_id__in=entries)
        ),
    }


def test_form_and_api_or_a_bulk_file_bring_the_same_declarations_into_force(
    django_capture_on_commit_callbacks, _broker
):
    declared = timezone.now().replace(microsecond=0)
    replaced = declared + datetime.timedelta(days=1)

    by_form = _world(declared)
    with django_capture_on_commit_callbacks(execute=True):
        for role, lines in FIRST.items():
            _submit(by_form, role, lines, replace=False, channel="form", now=declared)
    with django_capture_on_commit_callbacks(execute=True):
        for role, lines in REPLACEMENT.items():
            _submit(by_form, role, lines, replace=True, channel="api", now=replaced)

    by_file = _world(declared)
    with django_capture_on_commit_callbacks(execute=True):
        _file(by_file, declared)
    with django_capture_on_commit_callbacks(execute=True):
        for role, lines in REPLACEMENT.items():
            _submit(by_file, role, lines, replace=True, channel="api", now=replaced)

    form_snapshot, file_snapshot = _snapshot(by_form), _snapshot(by_file)
    assert form_snapshot == file_snapshot
    assert [d[:6] for d in form_snapshot["declarations"]] == [
        ("a", 1, "replaced", "bureau", True, declared),
        ("a", 2, "in_force", "bureau", True, replaced),
        ("b", 1, "replaced", None, True, declared),
        ("b", 2, "in_force", None, True, replaced),
    ]
    assert [(d[:2], d[6], d[7]) for d in form_snapshot["declarations"]] == [
        (("a", 1), 3, Decimal("7500.00")),
        (("a", 2), 2, Decimal("5400.00")),
        (("b", 1), 2, Decimal("4000.00")),
        (("b", 2), 3, Decimal("5500.00")),
    ]
    owed = {d[:2]: ledger.declaration_total(d[8]) for d in form_snapshot["declarations"]}
    due = ledger.payment_due_date(Period.parse(PERIOD))
    assert [posting[:8] for posting in form_snapshot["postings"]] == [
        (("declaration", "a", 1), "a", "declaration", owed["a", 1], declared.date(), due, PERIOD, ("a", "D", PERIOD)),
        (
            ("declaration", "a", 2),
            "a",
            "correction",
            owed["a", 2] - owed["a", 1],
            replaced.date(),
            due,
            PERIOD,
            ("a", "D", PERIOD),
        ),
        (("declaration", "b", 1), "b", "declaration", owed["b", 1], declared.date(), due, PERIOD, ("b", "D", PERIOD)),
        (
            ("declaration", "b", 2),
            "b",
            "correction",
            owed["b", 2] - owed["b", 1],
            replaced.date(),
            due,
            PERIOD,
            ("b", "D", PERIOD),
        ),
        (("transfer", "b"), "b", "payment", -CREDIT, timezone.localdate(declared), None, "", ""),
    ]
    assert owed["a", 2] < owed["a", 1] and owed["b", 2] > owed["b", 1]
    # B's transfer settles its first debit when it comes into force; A's correction lowers A's
    # debt and pays nothing: only money is allocated.
    assert form_snapshot["allocations"] == [
        (("transfer", "b"), ("declaration", "b", 1), CREDIT, declared),
    ]
    # The insured years careers are read from, once folded, count both worlds' lines in force,
    # the file's included (brought into force in bulk, then replaced); the fold is queued.
    assert "contributions.insured_years_fold" in _broker
    insured_years_fold()
    kept = years_kept()
    assert kept == years_from_lines()
    assert len(kept) == 2 * (2 + 3)  # in each world, the replacements name two of A's staff, three of B's


# --- The rule itself ---------------------------------------------------------------------------


def _pending(enterprise, period, owed, user, now):
    return Declaration.objects.create(
        enterprise=enterprise,
        period=period,
        version=0,
        status="pending",
        reference=f"T-{enterprise.pk}-{period}-{Declaration.objects.count()}",
        channel="file",
        submitted_at=now,
        submitted_by=user,
        line_count=1,
        total_wages=Decimal("1000.00"),
        totals={"pension": [owed, "0.00"]},
    )


def _batch(size, user, now):
    """``size`` pending declarations of distinct (enterprise, period), half of them replacing a
    version in force, over several enterprises."""
    batch = []
    for index in range(size):
        enterprise, period = EnterpriseFactory(), "2026-09"
        if index % 2:
            in_force = _pending(enterprise, period, "100.00", user, now)
            Declaration.objects.filter(pk=in_force.pk).update(status="in_force", version=1)
        batch.append(_pending(enterprise, period, "130.00", user, now))
    return batch


def test_the_rule_runs_as_many_queries_for_ten_declarations_as_for_two(django_assert_num_queries):
    user, now = UserFactory(), timezone.now()
    small, large = _batch(2, user, now), _batch(10, user, now)
    with CaptureQueriesContext(connection) as two:
        declarations_bring_into_force(declaration_ids=[d.pk for d in small], bureaus={}, now=now)

    with django_assert_num_queries(len(two.captured_queries)):
        declarations_bring_into_force(declaration_ids=[d.pk for d in large], bureaus={}, now=now)

    assert (
        sorted(
            Declaration.objects.filter(enterprise_id__in=[d.enterprise_id for d in large]).values_list(
                "version", "status"
            )
        )
        == [(1, "in_force")] * 5 + [(1, "replaced")] * 5 + [(2, "in_force")] * 5
    )
    assert (
        sorted(
            LedgerEntry.objects.filter(enterprise_id__in=[d.enterprise_id for d in large]).values_list("kind", "amount")
        )
        == [("correction", Decimal("30.00"))] * 5 + [("declaration", Decimal("130.00"))] * 5
    )


def test_the_rule_brings_only_pending_declarations_into_force_one_per_enterprise_and_period():
    user, now = UserFactory(), timezone.now()
    enterprise = EnterpriseFactory()
    first = _pending(enterprise, "2026-09", "100.00", user, now)
    declarations_bring_into_force(declaration_ids=[first.pk], bureaus={}, now=now)
    twice = [_pending(enterprise, "2026-10", "100.00", user, now), _pending(enterprise, "2026-10", "100.00", user, now)]

    with pytest.raises(ValueError, match="only pending"):
        declarations_bring_into_force(declaration_ids=[first.pk], bureaus={}, now=now)
    with pytest.raises(ValueError, match="one declaration per enterprise and period"):
        declarations_bring_into_force(declaration_ids=[d.pk for d in twice], bureaus={}, now=now)

    assert sorted(Declaration.objects.values_list("period", "version", "status")) == [
        ("2026-09", 1, "in_force"),
        ("2026-10", 0, "pending"),
        ("2026-10", 0, "pending"),
    ]
    assert LedgerEntry.objects.count() == 1
